#!/usr/bin/env python3
"""Prints start-up latencies of the real daemon on 127.0.0.1:
  - WebSocket connect -> first audio packet (a live session),
  - POST of a new session -> its first audio packet (over WebSocket, connected right after the POST),
  - HTTP stream request -> first audio page,
  - PATCH of a sound parameter (brightness) -> the first encoded packet rendered with it leaves
    the server, and PATCH of a musical one (energy) -> the first packet of the re-planned music:
    the pacer publishes the WebSocket event change_applied in the same pass as that packet, so
    the time from sending the PATCH to receiving the event on an open WebSocket is the figure
    (the WebSocket gets every fan-out batch; HTTP listeners get a write per stream.http_write_ms).
Usage: bench/latency_bench.py path/to/auralis [rounds] [patch rounds]"""
import json
import os
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import harness  # noqa: E402
from wsclient import WebSocket  # noqa: E402


def first_audio_ws(port, sid):
    t0 = time.perf_counter()
    ws = WebSocket(port, f"/ws/{sid}")
    while True:
        op, _ = ws.recv()
        if op == 2:
            ws.close()
            return time.perf_counter() - t0


def first_audio_http(port, sid):
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET /stream/{sid}.ogg HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while data.count(b"OggS") < 3:  # OpusHead page, OpusTags page, first audio page
        data += s.recv(65536)
    s.close()
    return time.perf_counter() - t0


def post_session(port):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/api/v1/sessions", body=json.dumps({"seed": 11}), headers={"Content-Type": "application/json"})
    r = c.getresponse()
    return json.loads(r.read())["id"]


def patch(port, sid, body):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("PATCH", f"/api/v1/sessions/{sid}", body=json.dumps(body),
              headers={"Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    return r.status


def change_latencies(port, sid, rounds, body_for, wait_s):
    """PATCH -> change_applied on the session's WebSocket, `rounds` times."""
    ws = WebSocket(port, f"/ws/{sid}")
    out = []
    for i in range(rounds):
        t0 = time.perf_counter()
        status = patch(port, sid, body_for(i))
        if status != 200:
            raise RuntimeError(f"PATCH answered {status}")
        while True:
            op, payload = ws.recv()
            if op == 1:
                ev = json.loads(payload)
                if ev.get("type") == "change_applied":
                    out.append(time.perf_counter() - t0)
                    break
        time.sleep(wait_s)
    ws.close()
    return out


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    harness.AURALIS = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AURALIS_BIN", "build/server/auralis")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    patch_rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    d = harness.Daemon("--set", "api.max_sessions=100").start()
    try:
        while d.get_json("/readyz")[0] != 200:
            time.sleep(0.05)
        ws = [first_audio_ws(d.port, "default") for _ in range(rounds)]
        http_s = [first_audio_http(d.port, "default") for _ in range(rounds)]
        post = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            sid = post_session(d.port)
            ws_conn = WebSocket(d.port, f"/ws/{sid}")
            while ws_conn.recv()[0] != 2:
                pass
            post.append(time.perf_counter() - t0)
            ws_conn.close()
            import http.client
            c = http.client.HTTPConnection("127.0.0.1", d.port)
            c.request("DELETE", f"/api/v1/sessions/{sid}")
            c.getresponse().read()
        sid = post_session(d.port)
        sound = change_latencies(d.port, sid, patch_rounds,
                                 lambda i: {"brightness": 0.35 if i % 2 else 0.65}, 0.2)
        musical = change_latencies(d.port, sid, max(5, patch_rounds // 10),
                                   lambda i: {"energy": 0.35 if i % 2 else 0.6}, 0.5)
    finally:
        d.stop()
    print(f"{'latency (ms)':40s} {'median':>8s} {'min':>8s} {'max':>8s}  (n={rounds})")
    for name, xs in (("WebSocket connect -> first audio packet", ws), ("HTTP request -> first audio page", http_s),
                     ("POST new session -> first audio packet", post)):
        ms = [x * 1000 for x in xs]
        print(f"{name:40s} {statistics.median(ms):8.1f} {min(ms):8.1f} {max(ms):8.1f}")
    print(f"\n{'PATCH latency (ms)':52s} {'median':>8s} {'p99':>8s} {'max':>8s}")
    for name, xs in (("sound (brightness) -> first packet with it", sound),
                     ("musical (energy) -> first re-planned packet", musical)):
        ms = [x * 1000 for x in xs]
        print(f"{name:52s} {statistics.median(ms):8.1f} {pct(ms, 0.99):8.1f} {max(ms):8.1f}"
              f"  (n={len(ms)})")
    print("targets: sound median <= 100 ms, p99 <= 250 ms; musical <= one bar (3.43 s at the "
          "session's 70 BPM) + 250 ms")


if __name__ == "__main__":
    main()
