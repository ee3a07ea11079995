#!/usr/bin/env python3
"""Prints what the extra formats (issue 18) cost the real daemon on 127.0.0.1, from its CPU time
in /proc/PID/stat and its own per-format encode counter (auralis_format_encode_cpu_seconds_total):
  - per extra format per session: the daemon's CPU with one listener of the format minus its CPU
    with none (the session renders and encodes Opus either way), and the encoder's own CPU;
    MP3, AAC (ADTS) and HLS (AAC-LC in MPEG-TS + Opus in fMP4, one playlist poller);
  - per listener per format: the daemon's CPU with N listeners of a mount minus its CPU with one
    (Ogg, MP3, AAC; N = --listeners), in us of CPU per listener-second.
Each figure is the median of --rounds windows of --window seconds; the listeners are read by
one epoll loop in this process (its CPU is printed beside). Figures include loopback TCP.
Usage: bench/formats_bench.py path/to/auralis [--listeners 1000] [--window 10] [--rounds 3]
       [--set key=value ...]"""
import argparse
import os
import resource
import selectors
import socket
import statistics
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def metric(base, name, label):
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + "{") and label in line:
                return float(line.rsplit(" ", 1)[1])
    return 0.0


class Readers:
    """Listeners of one mount, read by one thread on epoll: bytes counted, nothing kept."""

    def __init__(self, port, path, n):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        self.bytes = 0
        self.stop = threading.Event()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ)
            self.socks.append(s)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            for key, _ in self.sel.select(0.05):
                try:
                    data = key.fileobj.recv(262144)
                except BlockingIOError:
                    continue
                if not data:
                    self.sel.unregister(key.fileobj)
                    continue
                self.bytes += len(data)
            time.sleep(0.02)  # arrivals read in batches, as a player's buffer would

    def close(self):
        self.stop.set()
        self.thread.join()
        for s in self.socks:
            s.close()


def window(pid, seconds):
    """The daemon's CPU cores and this process's over `seconds`."""
    c0, m0, t0 = cpu_s(pid), time.process_time(), time.monotonic()
    time.sleep(seconds)
    dt = time.monotonic() - t0
    return (cpu_s(pid) - c0) / dt, (time.process_time() - m0) / dt


def hls_poller(base, stop):
    """One HLS player: the AAC playlist every 2 s and every new segment (the Opus variant too,
    so both variants are segmented)."""
    seen = set()
    while not stop.is_set():
        for variant in ("aac.m3u8", "opus.m3u8"):
            try:
                with urllib.request.urlopen(f"{base}/hls/default/{variant}", timeout=10) as r:
                    lines = r.read().decode().splitlines()
                for uri in [l for l in lines if l and not l.startswith("#")][-2:]:
                    if uri not in seen:
                        seen.add(uri)
                        urllib.request.urlopen(f"{base}/hls/default/{uri}", timeout=10).read()
            except OSError:
                pass
        stop.wait(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--listeners", type=int, default=1000)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--set", action="append", default=[])
    o = ap.parse_args()
    harness.AURALIS = os.path.abspath(o.binary)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, o.listeners + 256)), hard))
    extra = [a for kv in o.set for a in ("--set", kv)]
    d = harness.Daemon("--set", "limits.max_listeners_per_ip=0", *extra).start()
    pid, base = d.proc.pid, d.base
    rounds = o.rounds
    try:
        time.sleep(3)
        print(f"auralis pid {pid}, {o.window:.0f} s windows, median of {rounds}")

        def median_window():
            return statistics.median(window(pid, o.window)[0] for _ in range(rounds))

        idle = median_window()
        print(f"no listener: {idle * 100:.2f}% of a core (render + Opus encode of one session)")

        # Per extra format per session.
        print("\nper extra format, one session (one listener / one HLS player):")
        for fmt, label in (("mp3", "mp3"), ("aac", "aac"), ("hls", "aac")):
            enc0 = {k: metric(base, "auralis_format_encode_cpu_seconds_total", f'format="{k}"')
                    for k in ("mp3", "aac", "hls_opus")}
            if fmt == "hls":
                stop = threading.Event()
                t = threading.Thread(target=hls_poller, args=(base, stop), daemon=True)
                t.start()
            else:
                readers = Readers(d.port, f"/stream/default.{fmt}", 1)
            time.sleep(4)  # the encoder's start and catch-up are not the steady cost
            e0 = {k: metric(base, "auralis_format_encode_cpu_seconds_total", f'format="{k}"')
                  for k in enc0}
            t0 = time.monotonic()
            cores = median_window()
            dt = time.monotonic() - t0
            e1 = {k: metric(base, "auralis_format_encode_cpu_seconds_total", f'format="{k}"')
                  for k in enc0}
            if fmt == "hls":
                stop.set()
                t.join()
                enc = (e1["aac"] - e0["aac"] + e1["hls_opus"] - e0["hls_opus"]) / dt
            else:
                readers.close()
                enc = (e1[label] - e0[label]) / dt
            print(f"  {fmt}: daemon +{(cores - idle) * 100:.2f}% of a core "
                  f"({cores * 100:.2f}% vs {idle * 100:.2f}%); encoder counter {enc * 100:.2f}%")
            time.sleep(15)  # formats.idle_stop_s, hls.idle_stop_s: the encoder stops

        # Per listener per format.
        n = o.listeners
        print(f"\nper listener ({n} listeners minus 1, same mount):")
        for fmt in ("ogg", "mp3", "aac"):
            one = Readers(d.port, f"/stream/default.{fmt}", 1)
            time.sleep(5)
            c1 = median_window()
            many = Readers(d.port, f"/stream/default.{fmt}", n - 1)
            time.sleep(6)
            b0, t0 = many.bytes, time.monotonic()
            samples = [window(pid, o.window) for _ in range(rounds)]
            kib_s = (many.bytes - b0) / 1024 / (time.monotonic() - t0) / (n - 1)
            cn = statistics.median(s[0] for s in samples)
            client = statistics.median(s[1] for s in samples)
            many.close()
            one.close()
            us = (cn - c1) / (n - 1) * 1e6
            print(f"  {fmt}: {us:.1f} us of daemon CPU per listener-second "
                  f"({cn * 100:.1f}% of a core at {n}, {c1 * 100:.1f}% at 1); "
                  f"{kib_s:.1f} KiB/s per listener; this client {client * 100:.1f}%")
            time.sleep(15)
    finally:
        d.stop()


if __name__ == "__main__":
    main()
