"""A small independent Ogg page parser for the tests (CRC, granules, packets)."""
import struct


def _crc_table():
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_TABLE = _crc_table()


def crc(data):
    c = 0
    for b in data:
        c = ((c << 8) & 0xFFFFFFFF) ^ _TABLE[((c >> 24) & 0xFF) ^ b]
    return c


class Page:
    def __init__(self, raw, header_type, granule, serial, sequence, crc_ok, packet_sizes):
        self.raw = raw
        self.header_type = header_type
        self.granule = granule
        self.serial = serial
        self.sequence = sequence
        self.crc_ok = crc_ok
        self.packet_sizes = packet_sizes

    @property
    def body(self):
        return self.raw[27 + self.raw[26]:]


def parse_pages(data):
    """Returns (pages, trailing bytes that do not form a whole page)."""
    pages = []
    pos = 0
    while pos + 27 <= len(data):
        if data[pos:pos + 4] != b"OggS":
            raise ValueError(f"no page at byte {pos}")
        nseg = data[pos + 26]
        if pos + 27 + nseg > len(data):
            break
        lacing = data[pos + 27:pos + 27 + nseg]
        total = 27 + nseg + sum(lacing)
        if pos + total > len(data):
            break
        raw = bytes(data[pos:pos + total])
        header_type = raw[5]
        granule, serial, sequence, stored_crc = struct.unpack_from("<qIII", raw, 6)
        zeroed = raw[:22] + b"\0\0\0\0" + raw[26:]
        sizes, acc = [], 0
        for v in lacing:
            acc += v
            if v < 255:
                sizes.append(acc)
                acc = 0
        pages.append(Page(raw, header_type, granule, serial, sequence, crc(zeroed) == stored_crc, sizes))
        pos += total
    return pages, bytes(data[pos:])
