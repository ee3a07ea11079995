"""Issue 19: 2,000 HTTP listeners on one session, every one at the live rate, and the delay from
a page's publication to the write that carries it bounded by stream.http_write_ms + 50 ms in
steady state, as the daemon measures it for each write pass (sampled through the window); for a sample of listeners the Ogg pages' granules
against their arrival times check the cadence from outside."""
import re
import selectors
import socket
import struct
import time
import unittest
import urllib.request

from harness import Daemon, SANITIZER

LISTENERS = 2000
WRITE_MS = 1000  # the default
SAMPLED = 40  # listeners whose pages are parsed for arrival times


class Listener:
    def __init__(self, port, sampled):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
        self.sock.setblocking(False)
        self.bytes = 0
        self.sampled = sampled
        self.buf = b""
        self.head_done = False
        self.arrivals = []  # (arrival time, granule) of each whole page, sampled listeners

    def on_data(self, data, now):
        self.bytes += len(data)
        if not self.sampled:
            return
        self.buf += data
        if not self.head_done:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.buf, self.head_done = self.buf[end + 4:], True
        while len(self.buf) >= 27:
            if self.buf[:4] != b"OggS":
                raise AssertionError("lost Ogg sync")
            segments = self.buf[26]
            if len(self.buf) < 27 + segments:
                return
            size = 27 + segments + sum(self.buf[27:27 + segments])
            if len(self.buf) < size:
                return
            granule = struct.unpack("<q", self.buf[6:14])[0]
            if granule > 0:
                self.arrivals.append((now, granule))
            self.buf = self.buf[size:]


def write_delay(daemon, which):
    metrics = urllib.request.urlopen(daemon.base + "/metrics", timeout=10).read().decode()
    return float(re.search(rf'auralis_http_write_delay_seconds\{{pass="{which}"\}} (\S+)',
                           metrics).group(1))


class FanoutLatency(unittest.TestCase):
    def test_two_thousand_listeners_within_the_write_bound(self):
        d = Daemon("--set", "limits.max_listeners_per_ip=0").start()
        listeners = []
        try:
            sel = selectors.DefaultSelector()
            step = LISTENERS // SAMPLED
            for i in range(LISTENERS):
                l = Listener(d.port, i % step == 0)
                listeners.append(l)
                sel.register(l.sock, selectors.EVENT_READ, l)
            buf = bytearray(65536)
            t_start = time.time()
            window_start = t_start + 5  # every listener admitted and streaming by then
            bytes_at_window = None
            steady_delays = []  # the daemon's last pass's delay, sampled in the window
            next_sample = window_start
            while time.time() < window_start + 12:
                now = time.time()
                if bytes_at_window is None and now >= window_start:
                    bytes_at_window = [l.bytes for l in listeners]
                    for l in listeners:
                        l.arrivals = [a for a in l.arrivals if a[0] >= window_start]
                if now >= next_sample:
                    steady_delays.append(write_delay(d, "last"))
                    next_sample = now + 0.4
                for key, _ in sel.select(timeout=0.05):
                    l = key.data
                    try:
                        n = l.sock.recv_into(buf)
                    except BlockingIOError:
                        continue
                    if n == 0:
                        raise AssertionError("a listener was closed")
                    if l.sampled:
                        l.on_data(bytes(buf[:n]), now)
                    else:
                        l.bytes += n
            elapsed = time.time() - window_start
            rates = sorted((l.bytes - b) / elapsed for l, b in zip(listeners, bytes_at_window))
            live = rates[len(rates) // 2]
            self.assertGreater(live, 10000, "the median listener got under 10 kB/s")
            self.assertGreater(rates[0], 0.9 * live,
                               f"the slowest listener got {rates[0]:.0f} B/s of {live:.0f}")
            worst_ever = write_delay(d, "max")  # since start, the ramp of 2,000 connects too
            worst = max(steady_delays)
            # Client side: a page's arrival minus its audio time, for each sampled listener;
            # the spread is the delay (the fastest page sets zero). The client's own turn adds
            # up to its 50 ms select timeout.
            spreads = []
            for l in listeners:
                if len(l.arrivals) > 20:
                    lags = [t - g / 48000 for t, g in l.arrivals]
                    spreads.append(max(lags) - min(lags))
            self.assertGreater(len(spreads), SAMPLED // 2)
            print(f"{LISTENERS} listeners: median {live / 1024:.1f} KiB/s, slowest "
                  f"{rates[0] / 1024:.1f}; daemon's write delay in steady state: worst of "
                  f"{len(steady_delays)} samples {worst * 1000:.0f} ms (since start, with the "
                  f"ramp: {worst_ever * 1000:.0f} ms); "
                  f"sampled listeners' arrival spread max {max(spreads) * 1000:.0f} ms")
            if SANITIZER:
                return  # the bound is for the release build; the behaviour is checked above
            self.assertLessEqual(worst, (WRITE_MS + 50) / 1000)
            # From outside the spread also holds the pacer's own lateness and this client's
            # turns on a shared machine: a coarse check that writes keep their cadence.
            self.assertLessEqual(max(spreads), WRITE_MS / 1000 + 1.5)
        finally:
            for l in listeners:
                l.sock.close()
            code, _ = d.stop()
            self.assertEqual(code, 0)


if __name__ == "__main__":
    unittest.main()
