"""Issue 19: the LibTorch engine is a module loaded only when used. A CPU-only configuration
never maps LibTorch (read from /proc/PID/maps while it streams); engine.primary = torch loads
it and renders with it."""
import re
import time
import unittest
import urllib.request

from harness import Daemon


def mapped_torch(pid):
    with open(f"/proc/{pid}/maps") as f:
        return sorted({line.split()[-1] for line in f if re.search(r"libtorch|libc10", line)})


def metrics(d):
    return urllib.request.urlopen(d.base + "/metrics", timeout=10).read().decode()


class EngineLoading(unittest.TestCase):
    def test_cpu_only_never_maps_libtorch(self):
        d = Daemon().start()  # engine.primary = auto on a machine with no CUDA GPU
        try:
            deadline = time.time() + 60
            while 'auralis_phrases_total{engine="cpu"}' not in metrics(d) and time.time() < deadline:
                time.sleep(0.2)
            self.assertIn('auralis_phrases_total{engine="cpu"}', metrics(d))
            self.assertEqual(mapped_torch(d.proc.pid), [], "a CPU-only daemon mapped LibTorch")
            self.assertTrue(any("LibTorch not loaded" in l for l in d.logs()), d.logs()[:10])
        finally:
            d.stop()

    def test_primary_torch_loads_the_module_and_renders(self):
        d = Daemon("--set", "engine.primary=torch", "--set", "engine.device=cpu").start()
        try:
            deadline = time.time() + 120
            while ('auralis_phrases_total{engine="torch"}' not in metrics(d)
                   and time.time() < deadline):
                time.sleep(0.5)
            self.assertRegex(metrics(d), r'auralis_phrases_total\{engine="torch"\} [1-9]')
            self.assertTrue(mapped_torch(d.proc.pid), "engine.primary = torch did not map LibTorch")
        finally:
            d.stop()


if __name__ == "__main__":
    unittest.main()
