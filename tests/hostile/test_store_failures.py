"""A change the store failed to keep is never acknowledged: with the session store unable to
write (a file-size limit stands in for a full disk), POST/PATCH/DELETE answer 503 naming the
store and change nothing; what was acknowledged survives a restart exactly as answered. Also:
session admission holds api.max_sessions under concurrent POSTs on several network threads."""
import http.client
import json
import os
import shutil
import tempfile
import threading
import unittest

from harness import Daemon


def call(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, path, body=data, headers=headers)
    r = c.getresponse()
    payload = r.read()
    c.close()
    return r.status, (json.loads(payload) if payload else None)


def session_ids(port):
    status, body = call(port, "GET", "/api/v1/sessions")
    assert status == 200, body
    return {s["id"]: s for s in body["sessions"]}


class StoreFailures(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-store-")
        self.state = os.path.join(self.tmp, "state")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, fsize=None):
        d = Daemon("--state-dir", self.state, "--set", "api.max_sessions=200")
        if fsize:
            # Files the daemon writes may not grow past `fsize` bytes: the store's writes fail
            # (EFBIG) once its database and journal reach it, as on a full disk. SIGXFSZ is
            # ignored here too, so the test measures the store's handling on any build.
            d.args = ["sh", "-c", 'trap "" XFSZ; exec "$@"', "sh",
                      "prlimit", f"--fsize={fsize}", *d.args]
        return d.start()

    def test_unsaved_changes_are_refused_and_acknowledged_ones_survive(self):
        d = self.start(fsize=96 * 1024)
        acknowledged, refused = [], []
        try:
            for i in range(120):
                status, body = call(d.port, "POST", "/api/v1/sessions",
                                    {"id": f"s{i}", "name": "n" * 90, "energy": 0.3})
                if status == 201:
                    acknowledged.append(f"s{i}")
                    continue
                self.assertEqual(status, 503, body)
                self.assertEqual(body["error"]["code"], "store_unavailable", body)
                self.assertEqual(body["error"].get("field"), "state.dir", body)
                refused.append(f"s{i}")
                if len(refused) >= 3:
                    break
            self.assertTrue(acknowledged, "no session was saved before the store filled")
            self.assertTrue(refused, "the store never failed: raise the number of sessions")
            live = session_ids(d.port)
            for sid in refused:
                self.assertNotIn(sid, live, "a refused session runs anyway")
            # PATCH and DELETE of acknowledged sessions are refused too, and change nothing.
            target = acknowledged[0]
            status, body = call(d.port, "PATCH", f"/api/v1/sessions/{target}", {"energy": 0.9})
            self.assertEqual(status, 503, body)
            self.assertEqual(session_ids(d.port)[target]["params"]["energy"], 0.3)
            doomed = acknowledged[-1]
            status, body = call(d.port, "DELETE", f"/api/v1/sessions/{doomed}")
            self.assertEqual(status, 503, body)
            self.assertIn(doomed, session_ids(d.port))
            # Readiness tells an operator the store cannot write.
            status, ready = d.get_json("/readyz")
            self.assertEqual(ready.get("store"), "failing", ready)
            import urllib.request
            text = urllib.request.urlopen(d.base + "/metrics").read().decode()
            self.assertRegex(text, r"auralis_store_write_failures_total [1-9]")
            # The stream plays on.
            status, _ = d.get_json("/healthz")
            self.assertEqual(status, 200)
        finally:
            code, _ = d.stop()
        self.assertEqual(code, 0)

        # After a restart with room on disk: exactly the acknowledged sessions, as answered.
        d2 = self.start()
        try:
            live = session_ids(d2.port)
            for sid in acknowledged:
                self.assertIn(sid, live, f"acknowledged session {sid} was lost")
                self.assertEqual(live[sid]["params"]["energy"], 0.3)
            for sid in refused:
                self.assertNotIn(sid, live)
            # With room again, changes are kept.
            status, body = call(d2.port, "PATCH", f"/api/v1/sessions/{acknowledged[0]}",
                                {"energy": 0.7})
            self.assertEqual(status, 200, body)
            status, ready = d2.get_json("/readyz")
            self.assertEqual(ready.get("store"), "ok", ready)
        finally:
            d2.stop()


class ConcurrentAdmission(unittest.TestCase):
    def test_max_sessions_holds_under_parallel_posts(self):
        # 40 POSTs at once on 4 network threads against a limit of 6 once left 7-8 sessions.
        d = Daemon("--set", "server.io_threads=4", "--set", "api.max_sessions=6").start()
        try:
            statuses = []
            lock = threading.Lock()
            barrier = threading.Barrier(40)

            def post(i):
                barrier.wait()
                status, _ = call(d.port, "POST", "/api/v1/sessions", {"id": f"p{i}"})
                with lock:
                    statuses.append(status)

            threads = [threading.Thread(target=post, args=(i,)) for i in range(40)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            live = session_ids(d.port)
            self.assertLessEqual(len(live), 6, sorted(live))
            self.assertEqual(statuses.count(201), 6 - 1)  # the default session holds one place
            self.assertEqual(statuses.count(429), 40 - 5)
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main()
