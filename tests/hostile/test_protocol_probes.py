"""What an attacker or a careless client sends at the protocol level, replayed against the real
daemon: each answer is the one RFC 9110/9112/6455 asks for, and the daemon and its listeners
carry on. The cases the first probe found holding are kept here as regressions too."""
import http.client
import json
import socket
import struct
import time
import unittest

from harness import Daemon
from wsclient import WebSocket


def exchange(port, payload, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(payload)
        data = b""
        while True:
            try:
                got = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not got:
                break
            data += got
        return data
    finally:
        s.close()


def status_of(answer):
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else None


def body_of(answer):
    return json.loads(answer.partition(b"\r\n\r\n")[2] or b"null")


class ProtocolProbes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon("--set", "limits.header_timeout_s=3").start()
        cls.port = cls.daemon.port

    @classmethod
    def tearDownClass(cls):
        code, _ = cls.daemon.stop()
        assert code == 0, code

    def assert_alive(self):
        self.assertIsNone(self.daemon.proc.poll())
        self.assertEqual(self.daemon.get_json("/healthz")[0], 200)

    def test_transfer_encoding_must_end_in_chunked(self):
        # RFC 9112 6.1: read by length instead, a proxy in front could frame it differently.
        for te in (b"chunked, identity", b"xchunked", b"gzip", b"identity"):
            answer = exchange(self.port, b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                              b"Content-Type: application/json\r\nTransfer-Encoding: " + te +
                              b"\r\nContent-Length: 2\r\n\r\n{}")
            self.assertEqual(status_of(answer), 400, (te, answer[:200]))
            self.assertEqual(body_of(answer)["error"]["field"], "Transfer-Encoding")
        answer = exchange(self.port, b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n"
                          b"Content-Length: 2\r\n\r\n{}")
        self.assertEqual(status_of(answer), 400, answer[:200])
        self.assertIn(b"Connection: close", answer)
        self.assert_alive()

    def test_two_content_lengths_are_refused(self):
        answer = exchange(self.port, b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Length: 2\r\nContent-Length: 5\r\n\r\n{}")
        self.assertEqual(status_of(answer), 400, answer[:200])

    def test_host_is_required_and_checked(self):
        self.assertEqual(status_of(exchange(self.port, b"GET /healthz HTTP/1.1\r\n\r\n")), 400)
        for host in (b"exa mple", b"a/b", b"evil.example:80:80", b"x\x01y", b"[zz]"):
            answer = exchange(self.port, b"GET /api/v1/sessions HTTP/1.1\r\nHost: " + host +
                              b"\r\n\r\n")
            self.assertEqual(status_of(answer), 400, (host, answer[:200]))
        for host in (b"x", b"example.org:8000", b"127.0.0.1:1", b"[::1]:8000"):
            answer = exchange(self.port, b"GET /healthz HTTP/1.1\r\nHost: " + host +
                              b"\r\nConnection: close\r\n\r\n")
            self.assertEqual(status_of(answer), 200, (host, answer[:200]))
        # HTTP/1.0 needs none.
        answer = exchange(self.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertEqual(answer.split(b" ")[1:2], [b"200"], answer[:100])

    def test_oversized_header_and_body_and_bad_methods(self):
        big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
        self.assertEqual(status_of(exchange(self.port, big)), 431)
        body = b"{" + b" " * 70000 + b"}"
        answer = exchange(self.port, b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nContent-Length: " +
                          str(len(body)).encode() + b"\r\n\r\n" + body)
        self.assertEqual(status_of(answer), 413)
        answer = exchange(self.port, b"BREW /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(status_of(answer), (400, 405))
        self.assertEqual(status_of(exchange(self.port, b"garbage\r\n\r\n")), 400)

    def test_traversal_finds_nothing(self):
        for target in (b"/../../etc/passwd", b"/%2e%2e/%2e%2e/etc/passwd", b"/..%2fconfig",
                       b"/stream/..%2f..%2fetc%2fpasswd.ogg", b"/ws/../../etc"):
            answer = exchange(self.port, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                              b"Connection: close\r\n\r\n")
            self.assertEqual(status_of(answer), 404, (target, answer[:200]))
            self.assertNotIn(b"root:", answer)

    def test_half_closed_client_keeps_its_stream(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
        s.shutdown(socket.SHUT_WR)  # done sending; still reading
        received, deadline = 0, time.time() + 3
        while time.time() < deadline:
            got = s.recv(65536)
            if not got:
                break
            received += len(got)
        s.close()
        self.assertGreater(received, 30000, "a half-closed listener lost its stream")

    def test_websocket_key_must_be_a_nonce(self):
        for key in (b"", b"not base64 at all!!", b"c2hvcnQ=", b"dGhlIHNhbXBsZSBub25jZQ"):
            answer = exchange(self.port, b"GET /ws/default HTTP/1.1\r\nHost: x\r\nUpgrade: websocket"
                              b"\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                              b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
            self.assertEqual(status_of(answer), 400, (key, answer[:200]))
            self.assertEqual(body_of(answer)["error"]["field"], "Sec-WebSocket-Key")

    def test_ping_flood_is_closed_with_policy(self):
        ws = WebSocket(self.port, "/ws/default")
        self.assertEqual(ws.status, 101)
        try:
            for _ in range(2000):
                ws.send(9, b"p")
        except OSError:
            pass  # closed while we were still flooding
        code = None
        deadline = time.time() + 10
        try:
            while time.time() < deadline:
                op, payload = ws.recv()
                if op == 8:
                    code = struct.unpack(">H", payload[:2])[0]
                    break
        except (ConnectionError, OSError):
            pass
        self.assertEqual(code, 1008, "a ping flood was not closed with 1008 (policy)")
        metrics = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        metrics.request("GET", "/metrics")
        self.assertRegex(metrics.getresponse().read().decode(), r"auralis_ws_floods_total [1-9]")
        self.assert_alive()

    def test_websocket_protocol_errors_close_with_the_right_codes(self):
        ws = WebSocket(self.port, "/ws/default")
        ws.sock.sendall(bytes([0x81, 0x05]) + b"hello")  # unmasked client frame: 1002
        code = None
        try:
            while True:
                op, payload = ws.recv()
                if op == 8:
                    code = struct.unpack(">H", payload[:2])[0]
                    break
        except (ConnectionError, OSError):
            pass
        self.assertIn(code, (1002, None))
        ws = WebSocket(self.port, "/ws/default")
        ws.send(1, b"x" * 10000)  # over limits.ws_max_message_bytes: 1009
        code = None
        try:
            while True:
                op, payload = ws.recv()
                if op == 8:
                    code = struct.unpack(">H", payload[:2])[0]
                    break
        except (ConnectionError, OSError):
            pass
        self.assertIn(code, (1009, None))
        self.assert_alive()

    def test_patch_flood_is_logged_sparingly(self):
        before = len(self.daemon.logs())
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for i in range(300):
            c.request("PATCH", "/api/v1/sessions/default",
                      body=json.dumps({"energy": 0.3 + (i % 5) / 10}),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            self.assertEqual(r.status, 200)
        c.close()
        lines = self.daemon.logs()[before:]
        self.assertLess(len(lines), 20, "300 PATCHes wrote:\n" + "\n".join(lines[:30]))


class PublicUrl(unittest.TestCase):
    def test_resource_urls_come_from_public_url_when_set(self):
        d = Daemon("--set", "server.public_url=https://radio.example.org").start()
        try:
            c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
            c.request("GET", "/api/v1/sessions/default", headers={"Host": "attacker.example"})
            body = json.loads(c.getresponse().read())
            self.assertEqual(body["stream_url"], "https://radio.example.org/stream/default.ogg")
            self.assertEqual(body["ws_url"], "wss://radio.example.org/ws/default")
        finally:
            d.stop()

    def test_a_bad_public_url_stops_the_start_naming_the_key(self):
        d = Daemon("--set", "server.public_url=radio.example.org/path")
        with self.assertRaises(RuntimeError) as cm:
            d.start(timeout_s=20)
        self.assertIn("server.public_url", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
