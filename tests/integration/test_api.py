"""Issue 6: the REST API — every route and every error code, a rejected request changes
nothing, bearer token, CORS, metrics, health/readiness, and the OpenAPI document matches the
routes the server answers."""
import http.client
import json
import socket
import time
import unittest

from harness import Daemon
from ogg import parse_pages


class Api:
    def __init__(self, port, token=None):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, headers=None, raw=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if self.token and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        payload = r.read()
        c.close()
        ctype = r.getheader("Content-Type", "")
        parsed = json.loads(payload) if payload and ctype.startswith("application/json") else payload
        return r.status, parsed, dict(r.getheaders())


class RestApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon("--set", "api.max_sessions=4").start()
        cls.api = Api(cls.daemon.port)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def sessions(self):
        status, body, _ = self.api.call("GET", "/api/v1/sessions")
        self.assertEqual(status, 200)
        return {s["id"]: s for s in body["sessions"]}

    def assert_error(self, status, body, expected_status, code=None, field=None):
        self.assertEqual(status, expected_status, body)
        self.assertIn("error", body)
        self.assertIsInstance(body["error"]["message"], str)
        if code:
            self.assertEqual(body["error"]["code"], code, body)
        if field:
            self.assertEqual(body["error"].get("field"), field, body)

    def test_create_get_patch_delete(self):
        status, s, headers = self.api.call("POST", "/api/v1/sessions", {
            "name": "Night drive", "key": "F#", "mode": "lydian", "tempo_bpm": 88, "energy": 0.7,
            "brightness": 0.9, "density": 0.3, "deja_vu": 0.25, "seed": 42,
            "layers": {"percussion": False}})
        self.assertEqual(status, 201, s)
        for field in ("id", "params", "stream_url", "ws_url", "created_at"):
            self.assertIn(field, s)
        sid = s["id"]
        self.assertEqual(headers.get("Location"), "/api/v1/sessions/" + sid)
        self.assertEqual(s["name"], "Night drive")
        self.assertEqual(s["params"]["key"], "F#")
        self.assertEqual(s["params"]["mode"], "lydian")
        self.assertEqual(s["params"]["seed"], 42)
        self.assertEqual(s["params"]["deja_vu"], 0.25)
        self.assertFalse(s["params"]["layers"]["percussion"])
        self.assertTrue(s["stream_url"].endswith(f"/stream/{sid}.ogg"))
        self.assertTrue(s["ws_url"].startswith("ws://") and s["ws_url"].endswith(f"/ws/{sid}"))

        # It plays: the resource shows now playing once the stream starts.
        deadline = time.time() + 30
        while time.time() < deadline:
            status, one, _ = self.api.call("GET", f"/api/v1/sessions/{sid}")
            self.assertEqual(status, 200)
            if one["now_playing"]:
                break
            time.sleep(0.2)
        self.assertEqual(one["now_playing"]["key"], "F#")
        self.assertEqual(one["now_playing"]["mode"], "lydian")
        self.assertIn(one["now_playing"]["engine"], ("cpu", "torch"))
        self.assertIsInstance(one["now_playing"]["chord"], str)
        self.assertEqual(one["listeners"], {"http": 0, "ws": 0})
        self.assertIn(sid, self.sessions())

        status, patched, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", {"tempo_bpm": 60, "mode": "dorian"})
        self.assertEqual(status, 200, patched)
        self.assertEqual(patched["params"]["tempo_bpm"], 60)
        self.assertEqual(patched["params"]["mode"], "dorian")
        self.assertEqual(patched["params"]["key"], "F#", "PATCH is partial")
        self.assertEqual(patched["params"]["deja_vu"], 0.25, "PATCH is partial")
        self.assertGreater(patched["change"], 0, "the id of the change's events on the stream")
        status, again, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", {"tempo_bpm": 60})
        self.assertEqual((status, again["change"]), (200, 0), "nothing changed, no change events")
        status, patched, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", {"deja_vu": "auto"})
        self.assertEqual((status, patched["params"]["deja_vu"]), (200, "auto"), patched)

        status, body, _ = self.api.call("DELETE", f"/api/v1/sessions/{sid}")
        self.assertEqual(status, 204)
        status, body, _ = self.api.call("GET", f"/api/v1/sessions/{sid}")
        self.assert_error(status, body, 404, "not_found")
        status, body, _ = self.api.call("DELETE", f"/api/v1/sessions/{sid}")
        self.assert_error(status, body, 404, "not_found")

    def test_delete_closes_its_listeners_cleanly(self):
        status, s, _ = self.api.call("POST", "/api/v1/sessions", {"seed": 7})
        self.assertEqual(status, 201)
        sid = s["id"]
        sock = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=30)
        sock.sendall(f"GET /stream/{sid}.ogg HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = sock.recv(4096)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"))
        deadline = time.time() + 30
        while len(data) < 8000 and time.time() < deadline:  # a few audio pages first
            data += sock.recv(65536)
        self.assertEqual(self.api.call("DELETE", f"/api/v1/sessions/{sid}")[0], 204)
        sock.settimeout(10)
        while chunk := sock.recv(65536):  # ends with an orderly close, not a hang
            data += chunk
        sock.close()
        # The stream ends as an Ogg stream should: whole pages, the last one marked end-of-stream
        # (and only that one), granules running on to it without a gap.
        pages, rest = parse_pages(data.partition(b"\r\n\r\n")[2])
        self.assertEqual(rest, b"", "the stream ended inside a page")
        self.assertGreater(len(pages), 4)
        self.assertTrue(all(p.crc_ok for p in pages))
        self.assertEqual(pages[-1].header_type & 0x04, 0x04, "the last page is not marked end-of-stream")
        self.assertFalse(any(p.header_type & 0x04 for p in pages[:-1]))
        for prev, cur in zip(pages[2:], pages[3:]):
            self.assertEqual(cur.sequence, prev.sequence + 1)
            self.assertEqual(cur.granule - prev.granule, 960 * len(cur.packet_sizes))

    def test_bad_values_are_400_naming_the_field_and_change_nothing(self):
        status, s, _ = self.api.call("POST", "/api/v1/sessions", {"seed": 1, "tempo_bpm": 70})
        self.assertEqual(status, 201)
        sid = s["id"]
        before = self.sessions()
        cases = [
            ({"tempo_bpm": 300}, "tempo_bpm"), ({"tempo_bpm": "fast"}, "tempo_bpm"), ({"energy": -0.1}, "energy"),
            ({"brightness": 2}, "brightness"), ({"density": None}, "density"), ({"key": "H"}, "key"),
            ({"mode": "locrian"}, "mode"), ({"seed": -1}, "seed"), ({"layers": {"pad": "yes"}}, "layers.pad"),
            ({"deja_vu": 1.5}, "deja_vu"), ({"deja_vu": "often"}, "deja_vu"), ({"deja_vu": None}, "deja_vu"),
            ({"layers": {"drums": True}}, "layers.drums"), ({"colour": 1}, "colour"), ({"name": ""}, "name"),
            ({"name": "a\u0000b"}, "name"), ({"name": "tab\there"}, "name"), ({"name": "c1\u0085"}, "name"),
            ({"name": "\u00e9" * 101}, "name"),
            ({"tempo_bpm": 60, "energy": 5}, "energy"),  # the valid part must not be applied either
        ]
        for body, field in cases:
            status, err, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", body)
            self.assert_error(status, err, 400, field=field)
            status, err, _ = self.api.call("POST", "/api/v1/sessions", body)
            self.assert_error(status, err, 400, field=field)
        status, err, _ = self.api.call("POST", "/api/v1/sessions", {"id": "bad id!"})
        self.assert_error(status, err, 400, field="id")
        status, err, _ = self.api.call("POST", "/api/v1/sessions", raw=b"{not json", headers={"Content-Type": "application/json"})
        self.assert_error(status, err, 400, "bad_json")
        for huge in (b"1e400", b"-1e400"):  # valid JSON, past double range: still names the field
            status, err, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", raw=b'{"energy": 0.5, "tempo_bpm": ' + huge + b"}",
                                           headers={"Content-Type": "application/json"})
            self.assert_error(status, err, 400, "invalid_value", "tempo_bpm")
        status, err, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", raw=b'{"layers": {"pad": 1e999}}',
                                       headers={"Content-Type": "application/json"})
        self.assert_error(status, err, 400, "invalid_value", "layers.pad")
        status, err, _ = self.api.call("POST", "/api/v1/sessions", raw=b"[1,2]", headers={"Content-Type": "application/json"})
        self.assert_error(status, err, 400)
        status, err, _ = self.api.call("POST", "/api/v1/sessions", raw=b"tempo=60", headers={"Content-Type": "text/plain"})
        self.assert_error(status, err, 415, "unsupported_media_type")
        status, err, _ = self.api.call("POST", "/api/v1/sessions", raw=b"{}", headers={"Content-Type": "application/jsonx"})
        self.assert_error(status, err, 415, "unsupported_media_type")
        status, err, _ = self.api.call("PATCH", f"/api/v1/sessions/{sid}", raw=b"x" * 70000,
                                       headers={"Content-Type": "application/json"})
        self.assert_error(status, err, 413)
        after = self.sessions()
        self.assertEqual(set(before), set(after), "a rejected request created or deleted a session")
        self.assertEqual(before[sid]["params"], after[sid]["params"], "a rejected request changed params")
        self.api.call("DELETE", f"/api/v1/sessions/{sid}")

    def test_names_count_characters_and_media_types_ignore_case(self):
        # 100 characters of two bytes each are 100 characters; the media type has no case and
        # may carry parameters.
        status, s, _ = self.api.call("POST", "/api/v1/sessions", raw=json.dumps({"name": "\u00e9" * 100}).encode(),
                                     headers={"Content-Type": "APPLICATION/JSON; charset=utf-8"})
        self.assertEqual(status, 201, s)
        self.assertEqual(s["name"], "\u00e9" * 100)
        self.api.call("DELETE", f"/api/v1/sessions/{s['id']}")

    def test_head_answers_carry_no_body(self):
        # A HEAD answer with a body would be read as the start of the next response on a kept
        # connection: send HEADs and then a GET on one connection and read them back in order.
        for path in ("/healthz", "/readyz", "/metrics", "/", "/api/v1/sessions", "/nope"):
            with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as c:
                c.sendall(f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
                          f"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while chunk := c.recv(65536):
                    data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 "), (path, data[:200]))
            self.assertTrue(rest.startswith(b"HTTP/1.1 200"), f"HEAD {path} sent a body: {rest[:80]!r}")
            length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            self.assertTrue(length, head)
            self.assertGreater(int(length[0].split(b":")[1]), 0, "HEAD keeps the GET answer's length")

    def test_404_405_409_429(self):
        status, err, _ = self.api.call("GET", "/api/v1/sessions/nope")
        self.assert_error(status, err, 404, field="id")
        status, err, _ = self.api.call("PATCH", "/api/v1/sessions/nope", {"energy": 0.5})
        self.assert_error(status, err, 404)
        status, err, _ = self.api.call("GET", "/api/v1/nothing")
        self.assert_error(status, err, 404)
        status, err, headers = self.api.call("PUT", "/api/v1/sessions", {"energy": 0.5})
        self.assert_error(status, err, 405, "method_not_allowed")
        self.assertIn("POST", headers.get("Allow", ""))
        status, err, _ = self.api.call("POST", "/api/v1/sessions/default", {"energy": 0.5})
        self.assert_error(status, err, 405)
        status, err, _ = self.api.call("POST", "/healthz")
        self.assert_error(status, err, 405)
        status, err, headers = self.api.call("POST", "/", {"energy": 0.5})
        self.assert_error(status, err, 405)
        self.assertIn("GET", headers.get("Allow", ""))
        status, err, _ = self.api.call("POST", "/api/v1/sessions", {"id": "default"})
        self.assert_error(status, err, 409, "conflict", "id")
        created = []
        try:
            while True:
                status, body, _ = self.api.call("POST", "/api/v1/sessions", {"seed": 5})
                if status != 201:
                    break
                created.append(body["id"])
                self.assertLess(len(created), 10, "api.max_sessions not enforced")
            self.assert_error(status, body, 429, "too_many_sessions")
            self.assertEqual(len(self.sessions()), 4)
        finally:
            for sid in created:
                self.api.call("DELETE", f"/api/v1/sessions/{sid}")

    def test_cors_preflight_and_headers(self):
        status, _, headers = self.api.call("OPTIONS", "/api/v1/sessions", headers={"Origin": "http://example.test",
                                                                             "Access-Control-Request-Method": "POST"})
        self.assertEqual(status, 204)
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")
        self.assertIn("PATCH", headers.get("Access-Control-Allow-Methods", ""))
        status, _, headers = self.api.call("GET", "/api/v1/sessions")
        self.assertEqual(headers.get("Access-Control-Allow-Origin"), "*")

    def test_health_ready_metrics(self):
        status, body, _ = self.api.call("GET", "/healthz")
        self.assertEqual((status, body["status"]), (200, "ok"))
        deadline = time.time() + 30
        while time.time() < deadline:
            status, body, _ = self.api.call("GET", "/readyz")
            if status == 200:
                break
            self.assertEqual(status, 503)
            time.sleep(0.2)
        self.assertEqual(body["status"], "ready")
        status, text, headers = self.api.call("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        text = text.decode()
        for name in ("auralis_sessions", "auralis_listeners{transport=\"http\"}", "auralis_listeners{transport=\"ws\"}",
                     "auralis_bytes_sent_total", "auralis_phrases_total{engine=", "auralis_deadline_misses_total",
                     "auralis_render_seconds_bucket{le=\"+Inf\"}", "auralis_encoder_seconds_total",
                     "auralis_lookahead_seconds{session=\"default\"}"):
            self.assertIn(name, text)

    def test_openapi_documents_exactly_the_served_routes(self):
        status, doc, _ = self.api.call("GET", "/api/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertTrue(doc["openapi"].startswith("3."))
        documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
        # Every documented route answers with a documented status.
        status, s, _ = self.api.call("POST", "/api/v1/sessions", {"seed": 3})
        self.assertEqual(status, 201)
        sid = s["id"]
        probes = {
            ("GET", "/"): ("GET", "/", None),
            ("GET", "/healthz"): ("GET", "/healthz", None),
            ("GET", "/readyz"): ("GET", "/readyz", None),
            ("GET", "/metrics"): ("GET", "/metrics", None),
            ("GET", "/api/v1/openapi.json"): ("GET", "/api/v1/openapi.json", None),
            ("GET", "/api/v1/sessions"): ("GET", "/api/v1/sessions", None),
            ("POST", "/api/v1/sessions"): ("POST", "/api/v1/sessions", {"tempo_bpm": 500}),
            ("GET", "/api/v1/sessions/{id}"): ("GET", f"/api/v1/sessions/{sid}", None),
            ("PATCH", "/api/v1/sessions/{id}"): ("PATCH", f"/api/v1/sessions/{sid}", {"energy": 0.2}),
            ("DELETE", "/api/v1/sessions/{id}"): ("DELETE", "/api/v1/sessions/missing", None),
            ("GET", "/stream/{id}.ogg"): ("HEAD", f"/stream/{sid}.ogg", None),
            ("GET", "/stream/{id}.mp3"): ("HEAD", f"/stream/{sid}.mp3", None),
            ("GET", "/stream/{id}.aac"): ("HEAD", f"/stream/missing.aac", None),
            ("GET", "/hls/{id}/{file}"): ("GET", f"/hls/{sid}/aac-0.ts", None),
            ("GET", "/ws/{id}"): ("GET", f"/ws/{sid}", None),
        }
        self.assertEqual(documented, set(probes), "OpenAPI paths differ from the routes the tests know")
        for (method, template), (m, path, body) in probes.items():
            status, _, _ = self.api.call(m, path, body)
            responses = doc["paths"][template][method.lower()]["responses"]
            self.assertIn(str(status), responses, f"{m} {path} answered {status}, not documented")
        self.api.call("DELETE", f"/api/v1/sessions/{sid}")
        # And nothing undocumented is served under /api/.
        for path in ("/api/v1", "/api/v2/sessions", "/api/v1/sessions/x/y", "/api/v1/openapi.yaml"):
            self.assertEqual(self.api.call("GET", path)[0], 404, path)


class BearerToken(unittest.TestCase):
    def test_writes_need_the_token_listening_does_not(self):
        daemon = Daemon("--set", "api.token=s3cret").start()
        try:
            anon = Api(daemon.port)
            status, err, headers = anon.call("POST", "/api/v1/sessions", {"seed": 1})
            self.assertEqual(status, 401, err)
            self.assertEqual(err["error"]["code"], "unauthorized")
            self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))
            status, err, _ = Api(daemon.port, "wrong").call("PATCH", "/api/v1/sessions/default", {"energy": 0.9})
            self.assertEqual(status, 401)
            status, err, _ = anon.call("DELETE", "/api/v1/sessions/default")
            self.assertEqual(status, 401)
            self.assertEqual(anon.call("GET", "/api/v1/sessions/default")[0], 200)
            self.assertEqual(anon.call("HEAD", "/stream/default.ogg")[0], 200)
            self.assertEqual(anon.call("GET", "/api/v1/sessions/default")[1]["params"]["energy"], 0.4)
            status, s, _ = Api(daemon.port, "s3cret").call("POST", "/api/v1/sessions", {"seed": 1})
            self.assertEqual(status, 201, s)
            # The scheme has no case; the token has.
            status, s, _ = anon.call("POST", "/api/v1/sessions", {"seed": 2}, headers={"Authorization": "bearer s3cret"})
            self.assertEqual(status, 201, s)
            status, _, _ = anon.call("POST", "/api/v1/sessions", {"seed": 2}, headers={"Authorization": "Bearer S3CRET"})
            self.assertEqual(status, 401)
        finally:
            daemon.stop()


class ListenerLimits(unittest.TestCase):
    def test_per_address_limit_is_429_json(self):
        daemon = Daemon("--set", "limits.max_listeners_per_ip=2").start()
        socks = []
        try:
            for _ in range(2):
                s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
                s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
                socks.append(s)
            status, err, _ = Api(daemon.port).call("GET", "/stream/default.ogg")
            self.assertEqual(status, 429, err)
            self.assertEqual(err["error"]["code"], "too_many_listeners_from_address")
            socks.pop().close()
            time.sleep(0.5)
            s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
            s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"), "a freed place was not given back")
            socks.append(s)
        finally:
            for s in socks:
                s.close()
            daemon.stop()

    def test_slowloris_header_is_cut_off(self):
        daemon = Daemon("--set", "limits.header_timeout_s=2").start()
        try:
            s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            t0 = time.time()
            try:
                for _ in range(20):
                    s.sendall(b"X-Slow: 1\r\n")
                    time.sleep(0.25)
            except OSError:
                pass
            s.settimeout(10)
            data = s.recv(4096)
            self.assertEqual(data, b"", "the server answered or kept a trickling request open")
            self.assertLess(time.time() - t0, 6)
            s.close()
            self.assertEqual(Api(daemon.port).call("GET", "/healthz")[0], 200)
        finally:
            daemon.stop()


class IdleSessions(unittest.TestCase):
    def test_unpinned_idle_session_ends_pinned_stays(self):
        daemon = Daemon("--set", "limits.idle_session_stop_s=2").start()
        try:
            api = Api(daemon.port)
            idle = api.call("POST", "/api/v1/sessions", {"seed": 1})[1]["id"]
            pinned = api.call("POST", "/api/v1/sessions", {"seed": 2, "pinned": True})[1]["id"]
            deadline = time.time() + 20
            while time.time() < deadline and api.call("GET", f"/api/v1/sessions/{idle}")[0] == 200:
                time.sleep(0.5)
            self.assertEqual(api.call("GET", f"/api/v1/sessions/{idle}")[0], 404, "idle session was not ended")
            self.assertEqual(api.call("GET", f"/api/v1/sessions/{pinned}")[0], 200)
            self.assertEqual(api.call("GET", "/api/v1/sessions/default")[0], 200)
        finally:
            daemon.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
