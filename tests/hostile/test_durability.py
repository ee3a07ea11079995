"""An operator's worst days: kill -9 in the middle of API traffic loses nothing that was
acknowledged; SIGHUP and SIGTERM under listener load are clean; idle sockets by the thousand are
closed at the header timeout and give their descriptors back."""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import tempfile
import threading
import time
import unittest

from harness import Daemon


def call(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body).encode() if body is not None else None,
              headers={"Content-Type": "application/json"} if body is not None else {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, json.loads(data) if data else None


class KillNine(unittest.TestCase):
    def test_acknowledged_operations_survive_kill_9(self):
        tmp = tempfile.mkdtemp(prefix="auralis-kill9-")
        state = os.path.join(tmp, "state")
        try:
            d = Daemon("--state-dir", state, "--set", "api.max_sessions=64").start()
            expected = {}  # id -> energy, as acknowledged
            in_flight = []  # the operation the kill interrupted: it may or may not have landed
            rng = random.Random(7)
            stop = threading.Event()

            def traffic():
                n = 0
                while not stop.is_set():
                    n += 1
                    op = rng.random()
                    if op < 0.4 or not expected:
                        sid, value = f"k{n}", 0.5
                        request = ("POST", "/api/v1/sessions", {"id": sid, "energy": value}, 201)
                    elif op < 0.8:
                        sid, value = rng.choice(sorted(expected)), round(rng.random(), 3)
                        request = ("PATCH", f"/api/v1/sessions/{sid}", {"energy": value}, 200)
                    else:
                        sid, value = rng.choice(sorted(expected)), None
                        request = ("DELETE", f"/api/v1/sessions/{sid}", None, 204)
                    try:
                        status, _ = call(d.port, *request[:3])
                    except OSError:
                        in_flight.append((sid, value))
                        return  # killed mid-request: never acknowledged
                    if status == request[3]:
                        if value is None:
                            del expected[sid]
                        else:
                            expected[sid] = value

            worker = threading.Thread(target=traffic)
            worker.start()
            time.sleep(4)
            d.proc.send_signal(signal.SIGKILL)
            stop.set()
            worker.join()
            d.proc.wait()
            self.assertGreater(len(expected), 5)
            d2 = Daemon("--state-dir", state, "--set", "api.max_sessions=64").start()
            try:
                _, body = call(d2.port, "GET", "/api/v1/sessions")
                live = {s["id"]: s["params"]["energy"] for s in body["sessions"] if s["id"] != "default"}
                landed = dict(expected)
                for sid, value in in_flight:
                    if value is None:
                        landed.pop(sid, None)
                    else:
                        landed[sid] = value
                self.assertIn(live, (expected, landed))
            finally:
                d2.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


class SignalsUnderLoad(unittest.TestCase):
    def test_sighup_then_sigterm_with_listeners_connected(self):
        d = Daemon("--set", "limits.max_listeners_per_ip=0").start()
        socks = []
        try:
            for _ in range(200):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=10)
                s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
            time.sleep(1)
            d.proc.send_signal(signal.SIGHUP)
            time.sleep(1)
            self.assertEqual(d.get_json("/healthz")[0], 200)
            code, took = d.stop(signal.SIGTERM)
            self.assertEqual(code, 0)
            self.assertLess(took, 2.0)
        finally:
            for s in socks:
                s.close()


class IdleSockets(unittest.TestCase):
    def test_idle_sockets_are_closed_at_the_header_timeout(self):
        d = Daemon("--set", "limits.header_timeout_s=2").start()
        socks = []
        try:
            base = len(os.listdir(f"/proc/{d.proc.pid}/fd"))
            for _ in range(1000):
                socks.append(socket.create_connection(("127.0.0.1", d.port), timeout=10))
            time.sleep(1)
            self.assertGreater(len(os.listdir(f"/proc/{d.proc.pid}/fd")), base + 900)
            time.sleep(3)
            self.assertLess(len(os.listdir(f"/proc/{d.proc.pid}/fd")), base + 20,
                            "idle connections were not closed")
            self.assertEqual(d.get_json("/healthz")[0], 200)
        finally:
            for s in socks:
                s.close()
            d.stop()


if __name__ == "__main__":
    unittest.main()
