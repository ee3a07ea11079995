"""Issue 2: the HTTP Ogg Opus stream plays in real clients (ffprobe, ffmpeg, opusinfo,
GStreamer, mpv), late joiners get clean streams, every listener gets the same bytes, and the
daemon shuts down cleanly."""
import concurrent.futures
import os
import re
import shutil
import socket
import tempfile
import time
import unittest

from harness import SANITIZER, Daemon, run
from ogg import parse_pages


def capture_raw(port, path, seconds):
    """Reads the HTTP stream with a plain socket for `seconds`; returns (head, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: auralis-test\r\n\r\n".encode())
    data = bytearray()
    deadline = time.time() + seconds
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    return head.decode("latin1"), body


class StreamClients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="auralis-it-")
        cls.daemon = Daemon().start()
        cls.url = cls.daemon.base + "/stream/default.ogg"

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_ffprobe_reports_opus_stereo_48k_ogg(self):
        code, out = run(["ffprobe", "-v", "error", "-show_entries",
                         "stream=codec_name,sample_rate,channels:format=format_name",
                         "-of", "default=nw=1", self.url], 30)
        self.assertEqual(code, 0, out)
        for expected in ("codec_name=opus", "sample_rate=48000", "channels=2", "format_name=ogg"):
            self.assertIn(expected, out.splitlines(), out)

    def test_real_clients_decode_and_listeners_share_bytes(self):
        capture = os.path.join(self.tmp, "cap.opus")
        mpv_wav = os.path.join(self.tmp, "mpv.wav")
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            ffmpeg = pool.submit(run, ["ffmpeg", "-nostdin", "-nostats", "-t", "10", "-i", self.url,
                                       "-af", "volumedetect", "-f", "null", "-"], 60)
            ffmpeg_copy = pool.submit(run, ["ffmpeg", "-nostdin", "-nostats", "-loglevel", "error",
                                            "-t", "10", "-i", self.url, "-c", "copy", "-f", "ogg",
                                            "-y", capture], 60)
            gst = pool.submit(run, ["gst-launch-1.0", "-q", "souphttpsrc", f"location={self.url}", "!",
                                    "oggdemux", "!", "opusdec", "!", "fakesink", "num-buffers=500"], 60)
            mpv = pool.submit(run, ["mpv", "--no-config", "--ytdl=no", "--no-video", "--ao=pcm",
                                    f"--ao-pcm-file={mpv_wav}", "--length=10", self.url], 60)
            early = pool.submit(capture_raw, self.daemon.port, "/stream/default.ogg", 12)
            time.sleep(5)
            late = pool.submit(capture_raw, self.daemon.port, "/stream/default.ogg", 7)

            code, out = ffmpeg.result()
            self.assertEqual(code, 0, out)
            self.assertNotIn("CRC mismatch", out)
            times = re.findall(r"time=(\d+):(\d+):([\d.]+)", out)
            self.assertTrue(times, out)
            h, m, s = times[-1]
            self.assertAlmostEqual(int(h) * 3600 + int(m) * 60 + float(s), 10.0, delta=0.05, msg=out)
            mean = re.search(r"mean_volume: (-?[\d.]+) dB", out)
            self.assertIsNotNone(mean, out)
            self.assertGreater(float(mean.group(1)), -40.0, "stream is (nearly) silent")

            code, out = ffmpeg_copy.result()
            self.assertEqual(code, 0, out)
            code, out = run(["opusinfo", capture])
            problems = [l for l in out.splitlines()
                        if re.search(r"WARNING|ERROR", l) and "EOS not set" not in l]
            self.assertEqual(problems, [], out)

            code, out = gst.result()
            self.assertEqual(code, 0, "GStreamer failed:\n" + out)

            code, out = mpv.result()
            self.assertEqual(code, 0, "mpv failed:\n" + out)
            code, out = run(["soxi", "-D", mpv_wav])
            self.assertEqual(code, 0, out)
            self.assertGreater(float(out.strip().splitlines()[-1]), 9.5, "mpv played less than 10 s")

            head_a, body_a = early.result()
            head_b, body_b = late.result()
        for head in (head_a, head_b):
            self.assertTrue(head.startswith("HTTP/1.1 200"), head)
            self.assertIn("Content-Type: audio/ogg", head)
            self.assertIn("Cache-Control: no-cache, no-store", head)
            self.assertIn("Access-Control-Allow-Origin: *", head)
            self.assertIn("icy-name:", head)
            self.assertNotIn("Content-Length", head)

        pages_a = self.check_listener_stream(body_a, 11.0)
        pages_b = self.check_listener_stream(body_b, 6.0)
        # Same encoded bytes for both listeners wherever they overlap.
        by_seq_a = {p.sequence: p.raw for p in pages_a[2:]}
        overlap = [p for p in pages_b[2:] if p.sequence in by_seq_a]
        self.assertGreater(len(overlap), 100, "listeners' streams do not overlap")
        for p in overlap:
            self.assertEqual(p.raw, by_seq_a[p.sequence], f"page {p.sequence} differs between listeners")
        self.assertEqual(pages_a[0].raw, pages_b[0].raw, "OpusHead page differs")
        self.assertEqual(pages_a[1].raw, pages_b[1].raw, "OpusTags page differs")

    def check_listener_stream(self, body, min_seconds):
        pages, _rest = parse_pages(body)
        self.assertGreater(len(pages), 2)
        self.assertTrue(pages[0].header_type & 2, "first page must be BOS")
        self.assertTrue(pages[0].body.startswith(b"OpusHead"))
        self.assertTrue(pages[1].body.startswith(b"OpusTags"))
        audio = pages[2:]
        for p in pages:
            self.assertTrue(p.crc_ok, f"CRC mismatch on page {p.sequence}")
        for prev, cur in zip(audio, audio[1:]):
            self.assertEqual(cur.sequence, prev.sequence + 1, "page sequence gap")
            self.assertEqual(cur.granule - prev.granule, 960 * len(cur.packet_sizes),
                             "granule must step by 960 per packet")
        seconds = (audio[-1].granule - audio[0].granule) / 48000
        self.assertGreater(seconds, min_seconds)
        return pages


class HealthAndErrors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def test_healthz_is_json(self):
        status, body = self.daemon.get_json("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["sessions"], 1)

    def test_unknown_route_is_404_json(self):
        status, body = self.daemon.get_json("/nope")
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["code"], "not_found")
        status, body = self.daemon.get_json("/stream/missing.ogg")
        self.assertEqual(status, 404)
        self.assertEqual(body["error"]["field"], "id")


class Shutdown(unittest.TestCase):
    def test_sigterm_closes_listeners_and_exits_0_within_2s(self):
        daemon = Daemon().start()
        s = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
        s.sendall(b"GET /stream/default.ogg HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        code, seconds = daemon.stop()
        self.assertEqual(code, 0, "\n".join(daemon.logs()))
        self.assertLess(seconds, 2.0 if not SANITIZER else 5.0)
        # The listener sees an orderly end of stream, not a hang.
        s.settimeout(5)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
        s.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
