#!/usr/bin/env python3
"""Prints start-up latencies of the real daemon on 127.0.0.1:
  - WebSocket connect -> first audio packet (a live session),
  - POST of a new session -> its first audio packet (over WebSocket, connected right after the POST),
  - HTTP stream request -> first audio page.
Usage: bench/latency_bench.py path/to/auralis [rounds]"""
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


def main():
    harness.AURALIS = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("AURALIS_BIN", "build/server/auralis")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
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
    finally:
        d.stop()
    print(f"{'latency (ms)':40s} {'median':>8s} {'min':>8s} {'max':>8s}  (n={rounds})")
    for name, xs in (("WebSocket connect -> first audio packet", ws), ("HTTP request -> first audio page", http_s),
                     ("POST new session -> first audio packet", post)):
        ms = [x * 1000 for x in xs]
        print(f"{name:40s} {statistics.median(ms):8.1f} {min(ms):8.1f} {max(ms):8.1f}")


if __name__ == "__main__":
    main()
