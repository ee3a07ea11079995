"""Issue 5: the degradation drill end to end. The daemon runs with the LibTorch engine first in
its chain and a LibTorch engine that fails every phrase ([faults]); ffmpeg decodes 20 s of the
default session: every phrase comes from the CPU engine, the stream is continuous (no CRC
error, the duration exact, music not silence), the failures are logged as ERROR lines and
counted on /metrics."""
import re
import unittest
import urllib.request

from harness import AURALIS, Daemon, run


def metrics(daemon):
    with urllib.request.urlopen(daemon.base + "/metrics", timeout=10) as r:
        return r.read().decode()


def sample(text, name, labels=""):
    pattern = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else "") + r" ([0-9.e+-]+)$"
    m = re.search(pattern, text, re.M)
    return float(m.group(1)) if m else None


class TorchFailureDrill(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # The default build links LibTorch; a build without it (-DAURALIS_WITH_TORCH=OFF, the
        # sanitizer builds) has no LibTorch engine to fail, which its --version says.
        code, version = run([AURALIS, "--version"], 30)
        if code == 0 and "LibTorch: no" in version:
            raise unittest.SkipTest(f"{version.strip()}: this drill needs the LibTorch engine")
        # engine.device stays "auto": no GPU here, so LibTorch runs on the CPU.
        cls.daemon = Daemon("--set", "engine.primary=torch",
                            "--set", "faults.torch_failure_probability=1").start()
        cls.url = cls.daemon.base + "/stream/default.ogg"

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def test_ffmpeg_decodes_20_s_from_the_cpu_engine(self):
        code, out = run(["ffmpeg", "-nostdin", "-nostats", "-t", "20", "-i", self.url,
                         "-af", "volumedetect", "-f", "null", "-"], 90)
        self.assertEqual(code, 0, out)
        self.assertNotIn("CRC mismatch", out)
        times = re.findall(r"time=(\d+):(\d+):([\d.]+)", out)
        self.assertTrue(times, out)
        h, m, s = times[-1]
        self.assertAlmostEqual(int(h) * 3600 + int(m) * 60 + float(s), 20.0, delta=0.005, msg=out)
        mean = re.search(r"mean_volume: (-?[\d.]+) dB", out)
        self.assertIsNotNone(mean, out)
        self.assertGreater(float(mean.group(1)), -40.0, out)

        logs = self.daemon.logs()
        chain = [l for l in logs if "render chain" in l]
        self.assertTrue(any("engine torch on cpu" in l for l in chain), "\n".join(chain))
        failures = [l for l in logs if re.search(r" error +\[scheduler\]", l) and "session default" in l
                    and "engine torch failed" in l and "injected failure" in l]
        self.assertTrue(failures, "\n".join(logs[-40:]))
        self.assertTrue(re.search(r"phrase \d+", failures[0]), failures[0])
        handed = [l for l in logs if "session default" in l and "rendering it with engine cpu" in l]
        self.assertTrue(handed, "\n".join(logs[-40:]))
        self.assertFalse([l for l in logs if "playing silence" in l], "\n".join(logs[-40:]))

        text = metrics(self.daemon)
        self.assertGreater(sample(text, "auralis_fallbacks_to_cpu_total") or 0, 0, text)
        self.assertGreater(sample(text, "auralis_phrases_total", 'engine="cpu"') or 0, 0, text)
        self.assertIsNone(sample(text, "auralis_phrases_total", 'engine="torch"'), text)
        self.assertEqual(sample(text, "auralis_silent_phrases_total"), 0, text)
        self.assertEqual(sample(text, "auralis_underrun_frames_total"), 0, text)


if __name__ == "__main__":
    unittest.main()
