"""Many HLS players in one process: each keeps one HTTP/1.1 connection, reads the master
playlist, picks a variant, starts three segments from the live end like a player and then
follows the playlist (reloaded every half target duration), fetching every new segment in
order. asyncio, so hundreds of them cost the test little CPU."""
import asyncio
import hashlib
import random
import time

from formats import parse_master_playlist, parse_media_playlist


class Connection:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def get(self, path):
        """(status, {lower-case header: value}, body); reconnects once if the server closed."""
        for attempt in (0, 1):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.writer.write(f"GET {path} HTTP/1.1\r\nHost: edge.example\r\n"
                                  "User-Agent: hls-crowd\r\n\r\n".encode())
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin1").split("\r\n")
                status = int(lines[0].split()[1])
                fields = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, _, v = line.partition(":")
                        fields[k.strip().lower()] = v.strip()
                body = await self.reader.readexactly(int(fields.get("content-length", "0")))
                if fields.get("connection", "").lower() == "close":
                    self.close()
                return status, fields, body
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Player:
    def __init__(self, host, port, session, variant):
        self.conn = Connection(host, port)
        self.prefix = f"/hls/{session}/"
        self.variant = variant
        self.segments = {}  # seq -> (sha256, bytes length, EXTINF, uri)
        self.init = None
        self.bytes = {}     # seq -> bytes, kept for the players asked to keep them
        self.keep = False
        self.problems = []
        self.requests = 0

    async def fetch(self, name):
        self.requests += 1
        return await self.conn.get(self.prefix + name)

    async def run(self, seconds):
        deadline = time.time() + seconds
        status, _, body = await self.fetch("index.m3u8")
        if status != 200:
            self.problems.append(f"master: {status}")
            return
        uris = {attrs["CODECS"]: uri for attrs, uri in parse_master_playlist(body.decode())}
        playlist_name = uris["mp4a.40.2" if self.variant == "aac" else "opus"]
        next_seq = None
        while time.time() < deadline:
            status, _, body = await self.fetch(playlist_name)
            if status != 200:
                self.problems.append(f"playlist: {status}")
                await asyncio.sleep(1)
                continue
            p = parse_media_playlist(body.decode())
            if p["map"] and self.init is None:
                st, _, self.init = await self.fetch(p["map"])
                if st != 200:
                    self.problems.append(f"init: {st}")
            listed = {s["seq"]: s for s in p["segments"]}
            if next_seq is None:  # a player starts three segments from the live end
                next_seq = p["segments"][max(0, len(p["segments"]) - 3)]["seq"]
            if next_seq < p["sequence"]:
                self.problems.append(f"fell out of the window at {next_seq} (now {p['sequence']})")
                next_seq = p["sequence"]
            while next_seq in listed:
                seg = listed[next_seq]
                st, _, data = await self.fetch(seg["uri"])
                if st != 200:
                    self.problems.append(f"segment {next_seq}: {st}")
                    break
                self.segments[next_seq] = (hashlib.sha256(data).hexdigest(), len(data),
                                           seg["duration"], seg["uri"])
                if self.keep:
                    self.bytes[next_seq] = data
                next_seq += 1
            await asyncio.sleep(p["target"] / 2 * random.uniform(0.8, 1.2))
        self.conn.close()


async def run_crowd(host, port, session, count, seconds, keep=3):
    """`count` players (every fourth on the Opus variant) for `seconds`; the first `keep` of
    each variant keep their segments' bytes."""
    players = [Player(host, port, session, "opus" if i % 4 == 3 else "aac") for i in range(count)]
    kept = {"aac": 0, "opus": 0}
    for p in players:
        if kept[p.variant] < keep:
            p.keep = True
            kept[p.variant] += 1

    async def start(i, p):
        await asyncio.sleep(random.uniform(0, 2))  # they arrive over two seconds
        await p.run(seconds)

    await asyncio.gather(*(start(i, p) for i, p in enumerate(players)))
    return players


def crowd(host, port, session, count, seconds, keep=3):
    return asyncio.run(run_crowd(host, port, session, count, seconds, keep))
