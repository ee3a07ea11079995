"""Issue 6: the WebSocket stream — hello with the OpusHead, binary messages of raw Opus packets
that libopus decodes with continuous sequence numbers and granules, and now-playing events."""
import base64
import json
import math
import time
import unittest

from harness import SANITIZER, Daemon
from wsclient import OpusDecoder, WebSocket, parse_audio


class WebSocketStream(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Tempo 120: 16 s phrases, so a phrase start and chord changes come within the test.
        cls.daemon = Daemon("--set", "session.tempo_bpm=120", "--set", "session.energy=0.8").start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def test_hello_packets_decode_and_sequence_is_continuous(self):
        ws = WebSocket(self.daemon.port, "/ws/default")
        self.assertEqual(ws.status, 101)
        op, payload = ws.recv()
        self.assertEqual(op, 1)
        hello = json.loads(payload)
        self.assertEqual(hello["type"], "hello")
        self.assertEqual((hello["codec"], hello["sample_rate"], hello["channels"]), ("opus", 48000, 2))
        head = base64.b64decode(hello["opus_head"])
        self.assertEqual(len(head), 19)
        self.assertTrue(head.startswith(b"OpusHead"))
        self.assertEqual(int.from_bytes(head[10:12], "little"), hello["pre_skip"])
        self.assertIn("tempo_bpm", hello["params"])

        decoder = OpusDecoder()
        expected_first, samples, energy, events = None, 0, 0.0, []
        t0 = time.time()
        while time.time() - t0 < 20:
            op, payload = ws.recv()
            if op == 1:
                events.append(json.loads(payload))
                continue
            self.assertEqual(op, 2)
            first, granule, packets = parse_audio(payload)
            self.assertGreater(len(packets), 0)
            if expected_first is not None:
                self.assertEqual(first, expected_first, "packet sequence gap")
            expected_first = first + len(packets)
            self.assertEqual(granule, (first + len(packets)) * 960, "granule is not (first+count)*960")
            for p in packets:
                pcm = decoder.decode(p)
                self.assertEqual(len(pcm), 960 * 2)
                samples += 960
                energy += sum(x * x for x in pcm[::16])
        ws.close()
        self.assertGreater(samples / 48000, 18.0 if not SANITIZER else 16.0, "less than real time arrived")
        rms_db = 10 * math.log10(energy / (samples * 2 / 16) + 1e-20)
        self.assertGreater(rms_db, -40, "decoded audio is (nearly) silent")
        kinds = [e["type"] for e in events]
        self.assertIn("chord", kinds, events)
        self.assertIn("phrase", kinds, "no phrase event within 20 s at 16 s phrases")
        phrase = next(e for e in events if e["type"] == "phrase")
        for field in ("phrase", "key", "mode", "tempo_bpm", "chords", "engine"):
            self.assertIn(field, phrase)

    def test_two_listeners_get_identical_bytes_and_delete_ends_with_close(self):
        a = WebSocket(self.daemon.port, "/ws/default")
        b = WebSocket(self.daemon.port, "/ws/default")
        got = {}
        for ws, name in ((a, "a"), (b, "b")):
            got[name] = {}
            t0 = time.time()
            while time.time() - t0 < 3:
                op, payload = ws.recv()
                if op == 2:
                    first, _, packets = parse_audio(payload)
                    for i, p in enumerate(packets):
                        got[name][first + i] = p
        common = set(got["a"]) & set(got["b"])
        self.assertGreater(len(common), 20)
        for k in common:
            self.assertEqual(got["a"][k], got["b"][k], f"packet {k} differs between listeners")
        a.close()
        b.close()

    def test_unknown_session_and_plain_get(self):
        ws = WebSocket(self.daemon.port, "/ws/nope")
        self.assertEqual(ws.status, 404)
        ws.sock.close()
        ws = WebSocket.__new__(WebSocket)
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        c.request("GET", "/ws/default")
        r = c.getresponse()
        self.assertEqual(r.status, 426)
        self.assertEqual(json.loads(r.read())["error"]["code"], "upgrade_required")


if __name__ == "__main__":
    unittest.main(verbosity=2)
