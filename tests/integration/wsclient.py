"""A minimal WebSocket client (RFC 6455, client side, no extensions) and the Auralis binary
message parser (docs/stream-protocol.md), plus a libopus decoder through ctypes."""
import base64
import ctypes
import ctypes.util
import os
import socket
import struct


class WebSocket:
    def __init__(self, port, path, timeout=30, tls=None):
        """tls: an ssl.SSLContext for wss:// (the handshake checks the certificate for 127.0.0.1)."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if tls is not None:
            self.sock = tls.wrap_socket(self.sock, server_hostname="127.0.0.1")
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during handshake")
            head += chunk
        self.status = int(head.split(b" ")[1])
        self.buf = b""

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """Returns (opcode, payload) of the next whole message; answers pings."""
        message, first_op = b"", None
        while True:
            b0, b1 = self._read(2)
            fin, op, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            if op == 9:  # ping
                self.send(10, payload)
                continue
            if op in (1, 2, 8):
                first_op = op
            message += payload
            if fin:
                return first_op, message

    def send(self, opcode, payload=b""):
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        n = len(payload)
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def close(self):
        try:
            self.send(8, struct.pack(">H", 1000))
        except OSError:
            pass
        self.sock.close()


def parse_audio(payload):
    """AUO1 message -> (first_packet, granule, [packets])."""
    if payload[:4] != b"AUO1":
        raise ValueError("bad magic")
    first, granule, count = struct.unpack_from("<QQH", payload, 4)
    sizes = struct.unpack_from(f"<{count}H", payload, 22)
    pos, packets = 22 + 2 * count, []
    for s in sizes:
        packets.append(payload[pos:pos + s])
        pos += s
    if pos != len(payload):
        raise ValueError("sizes do not add up")
    return first, granule, packets


class OpusDecoder:
    def __init__(self):
        lib = ctypes.util.find_library("opus") or "libopus.so.0"
        self.lib = ctypes.CDLL(lib)
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_decode_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                               ctypes.POINTER(ctypes.c_float), ctypes.c_int, ctypes.c_int]
        err = ctypes.c_int()
        self.dec = self.lib.opus_decoder_create(48000, 2, ctypes.byref(err))
        if err.value != 0:
            raise RuntimeError("opus_decoder_create failed")
        self.out = (ctypes.c_float * (5760 * 2))()

    def decode(self, packet):
        """Returns the decoded interleaved samples as a list of floats."""
        n = self.lib.opus_decode_float(ctypes.c_void_p(self.dec), packet, len(packet), self.out, 5760, 0)
        if n < 0:
            raise RuntimeError(f"opus_decode_float error {n}")
        return self.out[:2 * n]
