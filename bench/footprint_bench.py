#!/usr/bin/env python3
"""Prints the real daemon's footprint on 127.0.0.1 (issue 19's memory and start-up figures):
  - start-up: exec -> /readyz answering 200 (the default session playing), median of N starts;
  - RSS with one session and no listener, and whether LibTorch is mapped;
  - RSS per extra listener (2,000 HTTP listeners, then 2,000 more: the second step, once the
    allocator has grown for the first, is the steady cost of a listener), on the fresh daemon;
  - RSS per extra session (10 sessions created over the API, all playing).
Usage: bench/footprint_bench.py path/to/auralis [starts] [--set key=value ...]"""
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def torch_mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        return any("libtorch" in l for l in f)


def startup_ms(binary, extra):
    port = 18000 + os.getpid() % 1000
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", *extra],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return (time.perf_counter() - t0) * 1000
            except OSError:
                pass
            if p.poll() is not None:
                raise RuntimeError("auralis exited")
            time.sleep(0.002)
    finally:
        p.terminate()
        p.wait()


def settle(pid, seconds=3):
    time.sleep(seconds)
    return rss_kib(pid)


def main():
    args = sys.argv[1:]
    binary = args[0]
    starts = int(args[1]) if len(args) > 1 and not args[1].startswith("--") else 5
    extra = [a for i, a in enumerate(args) if i > 0 and (a == "--set" or args[i - 1] == "--set")]
    times = [startup_ms(binary, extra) for _ in range(starts)]
    print(f"start-up to /readyz: median {statistics.median(times):.0f} ms "
          f"(min {min(times):.0f}, max {max(times):.0f}, {starts} starts)")

    harness.AURALIS = binary
    d = harness.Daemon("--set", "limits.max_listeners_per_ip=0", "--set", "api.max_sessions=64",
                       *extra).start()
    try:
        pid = d.proc.pid
        base = settle(pid, 5)
        print(f"RSS, one session, no listener: {base / 1024:.1f} MiB; LibTorch mapped: "
              f"{'yes' if torch_mapped(pid) else 'no'}")
        socks = []

        def listeners(n):
            for _ in range(n):
                s = socket.create_connection(("127.0.0.1", d.port))
                s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                socks.append(s)

        listeners(2000)
        first = settle(pid)
        listeners(2000)
        second = settle(pid)
        print(f"RSS per extra listener: {(second - first) / 2000:.2f} KiB (the second 2,000; the "
              f"first 2,000 cost {(first - base) / 2000:.2f} KiB each while the heap "
              f"grew)")
        for s in socks:
            s.close()
        after_listeners = settle(pid)
        for i in range(10):
            req = urllib.request.Request(d.base + "/api/v1/sessions", method="POST",
                                         data=json.dumps({"id": f"fp{i}", "seed": i}).encode(),
                                         headers={"Content-Type": "application/json"})
            urllib.request.urlopen(req, timeout=30).read()
        deadline = time.time() + 120
        while time.time() < deadline:
            body = json.loads(urllib.request.urlopen(d.base + "/api/v1/sessions").read())
            if all(s["now_playing"] for s in body["sessions"]):
                break
            time.sleep(0.2)
        with_sessions = settle(pid, 5)
        print(f"RSS per extra session: {(with_sessions - after_listeners) / 10 / 1024:.2f} MiB "
              f"(10 sessions playing)")
    finally:
        d.stop()


if __name__ == "__main__":
    main()
