"""Issue 6: server.tls_cert/tls_key serve HTTPS and WSS on the listen port (beside plain HTTP,
told apart by the first byte), so browsers on a LAN get a secure context. Real clients check it:
curl and Python's ssl verify the certificate, ffmpeg decodes the HTTPS stream, a WSS client
decodes Opus packets in sequence. A bad certificate or key stops the daemon with an error that
names the key; a client that stalls in the TLS handshake is cut off."""
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from harness import AURALIS, Daemon, run
from wsclient import OpusDecoder, WebSocket, parse_audio

HEADER_TIMEOUT_S = 3


def make_certificate(directory, name="auralis"):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.cert, cls.key = make_certificate(cls.tmp.name)
        cls.daemon = Daemon("--set", f"server.tls_cert={cls.cert}", "--set", f"server.tls_key={cls.key}",
                            "--set", f"limits.header_timeout_s={HEADER_TIMEOUT_S}").start()
        cls.https = f"https://127.0.0.1:{cls.daemon.port}"
        cls.tls = ssl.create_default_context(cafile=cls.cert)  # verifies chain and host name

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.tmp.cleanup()

    def https_json(self, method, path, body=None):
        req = urllib.request.Request(self.https + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"} if body is not None else {})
        try:
            with urllib.request.urlopen(req, context=self.tls, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_https_api_and_plain_http_share_the_port(self):
        code, out = run(["curl", "-sS", "--cacert", self.cert, "-o", "/dev/null", "-w", "%{http_code} %{ssl_verify_result}",
                         self.https + "/healthz"], 30)
        self.assertEqual((code, out.strip()), (0, "200 0"), out)
        status, created = self.https_json("POST", "/api/v1/sessions", {"name": "over tls", "tempo_bpm": 80})
        self.assertEqual(status, 201, created)
        self.assertTrue(created["stream_url"].startswith("https://"), created)
        self.assertTrue(created["ws_url"].startswith("wss://"), created)
        status, got = self.https_json("GET", f"/api/v1/sessions/{created['id']}")
        self.assertEqual((status, got["params"]["tempo_bpm"]), (200, 80))
        # Errors keep their JSON shape over TLS.
        status, err = self.https_json("PATCH", f"/api/v1/sessions/{created['id']}", {"tempo_bpm": 9999})
        self.assertEqual((status, err["error"]["field"]), (400, "tempo_bpm"))
        # Plain HTTP on the same port still works (players without TLS).
        status, health = self.daemon.get_json("/healthz")
        self.assertEqual((status, health["status"]), (200, "ok"))
        self.assertEqual(self.https_json("DELETE", f"/api/v1/sessions/{created['id']}")[0], 204)

    def test_ffmpeg_decodes_the_https_stream_exactly(self):
        code, out = run(["ffmpeg", "-nostdin", "-nostats", "-tls_verify", "1", "-ca_file", self.cert,
                         "-t", "8", "-i", self.https + "/stream/default.ogg", "-f", "null", "-"], 60)
        self.assertEqual(code, 0, out)
        self.assertIn("Audio: opus, 48000 Hz, stereo", out)
        self.assertNotRegex(out, r"(?i)crc mismatch|invalid data|error")
        h, m, s = re.findall(r"time=(\d+):(\d+):([\d.]+)", out)[-1]
        self.assertAlmostEqual(int(h) * 3600 + int(m) * 60 + float(s), 8.0, delta=0.05, msg=out)

    def test_wss_hello_and_continuous_decoded_packets(self):
        ws = WebSocket(self.daemon.port, "/ws/default", tls=self.tls)
        self.assertEqual(ws.status, 101)
        self.assertIsNotNone(ws.sock.version(), "not a TLS connection")
        op, payload = ws.recv()
        self.assertEqual((op, json.loads(payload)["type"]), (1, "hello"))
        decoder, expected_first, samples, energy = OpusDecoder(), None, 0, 0.0
        t0 = time.time()
        while time.time() - t0 < 6:
            op, payload = ws.recv()
            if op != 2:
                continue
            first, granule, packets = parse_audio(payload)
            if expected_first is not None:
                self.assertEqual(first, expected_first, "packet sequence gap over WSS")
            expected_first = first + len(packets)
            for p in packets:
                pcm = decoder.decode(p)
                samples += 960
                energy += sum(x * x for x in pcm[::16])
        ws.close()
        self.assertGreater(samples / 48000, 5.0)
        self.assertGreater(10 * math.log10(energy / (samples * 2 / 16) + 1e-20), -40, "silent over WSS")

    def test_a_stalled_or_bogus_handshake_is_cut_off_and_the_daemon_lives(self):
        # A TLS record header and nothing more: the daemon waits at most the header timeout.
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=HEADER_TIMEOUT_S + 5)
        s.sendall(b"\x16\x03\x01")
        t0 = time.time()
        self.assertEqual(s.recv(100), b"", "expected the daemon to close the connection")
        self.assertLess(time.time() - t0, HEADER_TIMEOUT_S + 3)
        s.close()
        # A handshake record full of garbage ends that connection only.
        s = socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10)
        s.sendall(b"\x16\x03\x01\x00\x20" + os.urandom(32))
        try:
            self.assertNotIn(b"HTTP/1.1 200", s.recv(100))
        except ConnectionResetError:
            pass
        s.close()
        # A client that does not trust the certificate fails its own handshake; the daemon lives.
        with self.assertRaises(urllib.error.URLError) as caught:
            urllib.request.urlopen(self.https + "/healthz", context=ssl.create_default_context(), timeout=10)
        self.assertIsInstance(caught.exception.reason, ssl.SSLCertVerificationError)
        self.assertEqual(self.https_json("GET", "/healthz")[0], 200)


def served_certificate(port):
    """The DER certificate a new TLS connection to the daemon presents."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # compared byte for byte below instead
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


def der_of(cert_file):
    with open(cert_file) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


class TlsReload(unittest.TestCase):
    def test_sighup_serves_a_renewed_certificate_to_new_connections(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = make_certificate(d, "live")
            daemon = Daemon("--set", f"server.tls_cert={cert}", "--set", f"server.tls_key={key}").start()
            try:
                original = der_of(cert)
                self.assertEqual(served_certificate(daemon.port), original)
                # An HTTPS listener that started before the renewal.
                context = ssl.create_default_context(cafile=cert)
                old = context.wrap_socket(socket.create_connection(("127.0.0.1", daemon.port), timeout=10),
                                          server_hostname="127.0.0.1")
                old.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                self.assertIn(b" 200 ", old.recv(4096))

                # Renewal: new files at the same paths, then SIGHUP.
                renewed_cert, renewed_key = make_certificate(d, "renewed")
                shutil.copyfile(renewed_key, key)
                shutil.copyfile(renewed_cert, cert)
                mark = len(daemon.logs())
                daemon.proc.send_signal(signal.SIGHUP)
                line = daemon.wait_log(r"TLS certificate loaded for new connections from .*live\.crt", 15, mark)
                self.assertRegex(line, r"subject CN=127\.0\.0\.1, expires \d{4}-\d\d-\d\d")
                self.assertNotEqual(der_of(renewed_cert), original)
                self.assertEqual(served_certificate(daemon.port), der_of(renewed_cert))
                received = 0
                deadline = time.time() + 5
                while received < 16 * 1024 and time.time() < deadline:
                    received += len(old.recv(65536))
                self.assertGreaterEqual(received, 16 * 1024, "the listener from before the renewal plays on")
                old.close()

                # A broken file on the next SIGHUP keeps the running certificate.
                with open(cert, "w") as f:
                    f.write("not a certificate\n")
                mark = len(daemon.logs())
                daemon.proc.send_signal(signal.SIGHUP)
                daemon.wait_log(r"TLS reload failed, the running certificate stays: server\.tls_cert: "
                                r".*live\.crt is not a PEM", 15, mark)
                self.assertEqual(served_certificate(daemon.port), der_of(renewed_cert))
                self.assertIsNone(daemon.proc.poll())
            finally:
                daemon.stop()


class TlsConfigErrors(unittest.TestCase):
    def start_fails(self, cert, key):
        p = subprocess.run([AURALIS, "--listen", "127.0.0.1:0", "--set", f"server.tls_cert={cert}",
                            "--set", f"server.tls_key={key}"], capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_missing_mismatched_or_non_pem_files_name_the_key(self):
        with tempfile.TemporaryDirectory() as d:
            cert, key = make_certificate(d, "a")
            _, other_key = make_certificate(d, "b")
            code, out = self.start_fails(os.path.join(d, "missing.crt"), key)
            self.assertEqual(code, 1, out)
            self.assertRegex(out, r"server\.tls_cert: cannot read .*missing\.crt")
            code, out = self.start_fails(key, key)
            self.assertEqual(code, 1, out)
            self.assertIn("server.tls_cert", out)
            code, out = self.start_fails(cert, other_key)
            self.assertEqual(code, 1, out)
            self.assertRegex(out, r"server\.tls_key: .* does not match")
            code, out = self.start_fails(cert, "")
            self.assertEqual(code, 1, out)
            self.assertIn("server.tls_key", out)


if __name__ == "__main__":
    unittest.main()
