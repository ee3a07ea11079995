"""Requests built to kill or bloat the daemon: every one is refused with an HTTP error (or the
connection is closed), the daemon lives on, its memory stays bounded, and other listeners keep
playing."""
import socket
import time
import unittest

from harness import Daemon, SANITIZER


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def exchange(port, payload, chunks=None, read_timeout=15):
    """Sends `payload` (or each of `chunks` in turn) and returns what the server answered before
    closing (b"" when it closed without a word)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        try:
            for part in ([payload] if chunks is None else chunks):
                s.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what it answered is below
        data = b""
        while True:
            try:
                got = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not got:
                break
            data += got
            if b"\r\n\r\n" in data and b"Content-Length" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
        return data
    finally:
        s.close()


def status_of(answer):
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer[9:12])


class RequestLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()
        cls.port = cls.daemon.port

    @classmethod
    def tearDownClass(cls):
        code, _ = cls.daemon.stop()
        assert code == 0, f"daemon exit code {code}"

    def assert_alive(self):
        self.assertIsNone(self.daemon.proc.poll(), "the daemon died:\n" +
                          "\n".join(self.daemon.logs()[-20:]))
        status, body = self.daemon.get_json("/healthz")
        self.assertEqual(status, 200, body)

    def test_huge_trailer_field_is_refused_and_the_daemon_lives(self):
        # A trailer value of 65,534 bytes made Beast throw length_error out of the parser and
        # abort the process (every listener cut).
        trailer = b"X: " + b"a" * 65534 + b"\r\n"
        request = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n" + trailer + b"\r\n")
        answer = exchange(self.port, request)
        self.assertIn(status_of(answer), (400, 413, 431, None), answer[:200])
        self.assert_alive()

    def test_many_trailer_fields_are_bounded(self):
        trailers = b"".join(b"T%d: %s\r\n" % (i, b"b" * 1000) for i in range(200))
        request = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"0\r\n" + trailers + b"\r\n")
        answer = exchange(self.port, request)
        self.assertIn(status_of(answer), (400, 413, 431, None), answer[:200])
        self.assert_alive()

    def test_huge_chunk_extension_is_refused_without_growing_memory(self):
        # A 1 GiB chunk extension took RSS from 278 MB to 1.73 GB and was answered 200.
        before = rss_kib(self.daemon.proc.pid)
        head = (b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n2;ext=")
        block = b"e" * (1 << 20)
        chunks = [head] + [block] * 64  # 64 MiB of extension, no end of line
        answer = exchange(self.port, None, chunks=chunks)
        self.assertIn(status_of(answer), (400, 413, 431, None), answer[:200])
        grown = rss_kib(self.daemon.proc.pid) - before
        limit = 64 * 1024 if SANITIZER else 16 * 1024
        self.assertLess(grown, limit, f"RSS grew by {grown} KiB on one request")
        self.assert_alive()

    def test_huge_trailer_total_is_refused_without_growing_memory(self):
        before = rss_kib(self.daemon.proc.pid)
        head = (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n")
        field = b"".join(b"F%d: %s\r\n" % (i, b"c" * 4000) for i in range(256))  # ~1 MiB
        answer = exchange(self.port, None, chunks=[head] + [field] * 32)
        self.assertIn(status_of(answer), (400, 413, 431, None), answer[:200])
        grown = rss_kib(self.daemon.proc.pid) - before
        limit = 64 * 1024 if SANITIZER else 16 * 1024
        self.assertLess(grown, limit, f"RSS grew by {grown} KiB on one request")
        self.assert_alive()

    def test_a_listener_plays_on_through_hostile_requests(self):
        listener = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        listener.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
        got = listener.recv(65536)
        self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:100])
        trailer = b"X: " + b"a" * 70000 + b"\r\n"
        for _ in range(3):
            exchange(self.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                     b"chunked\r\n\r\n0\r\n" + trailer + b"\r\n")
        received = 0
        deadline = time.time() + 3
        while time.time() < deadline:
            received += len(listener.recv(65536))
        listener.close()
        self.assertGreater(received, 4000, "the listener stopped receiving audio")
        self.assert_alive()


if __name__ == "__main__":
    unittest.main()
