"""Reading the extra formats the way the tests need: raw HTTP streams, MP3 and ADTS frames, ICY
metadata, HLS playlists (RFC 8216)."""
import datetime
import re
import socket
import time
import urllib.error
import urllib.request


def open_stream(port, path, headers=(), rcvbuf=None):
    """GET `path` on a raw socket (`rcvbuf`: its receive buffer, bytes); returns (socket,
    status, {lower-case header: value}, body bytes already read past the head)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(10)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: the window
    s.connect(("127.0.0.1", port))
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: auralis-test", *headers]
    s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin1").split("\r\n")
    status = int(head_lines[0].split()[1])
    fields = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return s, status, fields, body


def read_for(sock, seconds, already=b""):
    data = bytearray(already)
    deadline = time.time() + seconds
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def capture(port, path, seconds, headers=()):
    s, status, fields, body = open_stream(port, path, headers)
    try:
        return status, fields, read_for(s, seconds, body)
    finally:
        s.close()


def mp3_frame_length(h):
    """Length of the MPEG-1 Layer III frame with header `h` (4 bytes), 0 when not one."""
    if len(h) < 4 or h[0] != 0xFF or (h[1] & 0xFE) != 0xFA:  # sync, MPEG-1, Layer III
        return 0
    rates = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0]
    samplerates = [44100, 48000, 32000, 0]
    bitrate, samplerate = rates[h[2] >> 4], samplerates[(h[2] >> 2) & 3]
    if not bitrate or not samplerate:
        return 0
    return 144 * bitrate * 1000 // samplerate + ((h[2] >> 1) & 1)


def mp3_frames(data):
    """Whole MP3 frames from the start of `data` (a cut-off last frame is left out); raises if
    the bytes do not start with a frame or lose the frame sync."""
    frames, at = [], 0
    while at + 4 <= len(data):
        n = mp3_frame_length(data[at:at + 4])
        if n == 0:
            raise AssertionError(f"no MP3 frame header at byte {at}")
        if at + n > len(data):
            break
        frames.append(data[at:at + n])
        at += n
    return frames


def adts_frames(data):
    """Whole ADTS frames from the start of `data`; raises when the sync is lost."""
    frames, at = [], 0
    while at + 7 <= len(data):
        h = data[at:at + 7]
        if h[0] != 0xFF or (h[1] & 0xF6) != 0xF0:
            raise AssertionError(f"no ADTS header at byte {at}")
        n = ((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5)
        if at + n > len(data):
            break
        frames.append(data[at:at + n])
        at += n
    return frames


def read_icy(port, path, seconds, pause=None):
    """Plays `path` with Icy-MetaData: 1 like a radio: returns (metaint, audio bytes, [(seconds
    since start, StreamTitle)] - one entry per metadata block). `pause` = (after_s, for_s):
    reads nothing for for_s once after_s have passed, like a player on a stalled network (with
    a small receive buffer, so the daemon's writes stop short)."""
    s, status, fields, data = open_stream(port, path, ["Icy-MetaData: 1"],
                                          rcvbuf=8192 if pause else None)
    assert status == 200, status
    metaint = int(fields["icy-metaint"])
    audio, titles, t0 = bytearray(), [], time.time()
    try:
        while time.time() - t0 < seconds:
            if pause and time.time() - t0 >= pause[0]:
                time.sleep(pause[1])
                pause = None
            while len(data) < metaint + 1:
                data += s.recv(65536)
            audio += data[:metaint]
            n = data[metaint] * 16
            while len(data) < metaint + 1 + n:
                data += s.recv(65536)
            block = data[metaint + 1:metaint + 1 + n].rstrip(b"\0").decode()
            m = re.fullmatch(r"StreamTitle='(.*)';", block)
            assert m, f"not a StreamTitle block: {block!r}"
            titles.append((time.time() - t0, m.group(1)))
            data = data[metaint + 1 + n:]
    finally:
        s.close()
    return metaint, bytes(audio), titles


def http_get(url, headers=None, timeout=20):
    """(status, {lower-case header: value}, body); errors are answers too."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def parse_media_playlist(text):
    """A live media playlist: {'version', 'target', 'sequence', 'map', 'segments': [{'seq',
    'duration', 'uri', 'pdt'}]}; raises on anything RFC 8216 does not allow here."""
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines[0] == "#EXTM3U", text
    out = {"segments": [], "map": None, "version": None}
    pending = {}
    for line in lines[1:]:
        if line.startswith("#EXT-X-VERSION:"):
            out["version"] = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-TARGETDURATION:"):
            out["target"] = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            out["sequence"] = int(line.split(":", 1)[1])
        elif line.startswith("#EXT-X-MAP:"):
            out["map"] = re.search(r'URI="([^"]+)"', line).group(1)
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            value = line.split(":", 1)[1].replace("Z", "+00:00")
            pending["pdt"] = datetime.datetime.fromisoformat(value).timestamp()
        elif line.startswith("#EXTINF:"):
            pending["duration"] = float(line.split(":", 1)[1].rstrip(",").split(",")[0])
        elif line.startswith("#EXT-X-ENDLIST"):
            raise AssertionError("a live playlist must not end")
        elif not line.startswith("#"):
            assert "duration" in pending, f"segment {line} without EXTINF"
            out["segments"].append({"uri": line, **pending,
                                    "seq": out["sequence"] + len(out["segments"])})
            pending = {}
    assert "target" in out and "sequence" in out, text
    return out


def parse_master_playlist(text):
    """[(attributes dict, uri)] of a master playlist's EXT-X-STREAM-INF entries."""
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines[0] == "#EXTM3U", text
    variants = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attrs = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            attrs = {k: v.strip('"') for k, v in attrs.items()}
            variants.append((attrs, lines[i + 1]))
    return variants


def metric(base, name, labels=""):
    """One sample's value from /metrics (None when absent)."""
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        text = r.read().decode()
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" (\S+)"
    m = re.search(r"(?m)^" + pattern + "$", text)
    return float(m.group(1)) if m else None
