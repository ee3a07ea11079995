"""Issue 8: systemd/auralis.service passes `systemd-analyze verify` (with ExecStart pointing at
the built binary: verify checks that the program exists), keeps the properties operators rely
on, and verify really rejects a broken unit (so a pass means something)."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
UNIT = os.path.join(ROOT, "systemd", "auralis.service")
AURALIS = os.environ.get("AURALIS_BIN", "")
ANALYZE = shutil.which("systemd-analyze")


def unit_text():
    with open(UNIT) as f:
        return f.read()


@unittest.skipIf(ANALYZE is None, "systemd-analyze is not installed (package systemd)")
class SystemdUnit(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-unit-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def verify(self, text):
        self.assertTrue(AURALIS and os.access(AURALIS, os.X_OK), "set AURALIS_BIN")
        path = os.path.join(self.tmp, "auralis.service")
        with open(path, "w") as f:
            f.write(text.replace("/usr/local/bin/auralis", AURALIS))
        p = subprocess.run([ANALYZE, "verify", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        # Only complaints about this unit count: the host's own units may have unrelated ones.
        own = [l for l in p.stdout.splitlines() if "auralis" in l]
        return p.returncode, own, p.stdout

    def test_verify_passes(self):
        code, own, out = self.verify(unit_text())
        self.assertEqual(code, 0, out)
        self.assertEqual(own, [], out)

    def test_verify_catches_mistakes(self):
        code, own, out = self.verify(unit_text().replace("Type=notify", "Type=notfy"))
        self.assertTrue(code != 0 or own, "a bad Type= passed verify:\n" + out)
        code, own, out = self.verify(unit_text().replace(
            "/usr/local/bin/auralis", "/nonexistent/auralis"))
        self.assertNotEqual(code, 0, "a missing ExecStart binary passed verify:\n" + out)

    def test_service_properties(self):
        text = unit_text()
        for line in ("Type=notify", "DynamicUser=yes", "StateDirectory=auralis",
                     "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
                     "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                     "PrivateTmp=yes", "PrivateDevices=yes", "CapabilityBoundingSet=",
                     "SystemCallFilter=@system-service", "LimitNOFILE=20000"):
            self.assertRegex(text, r"(?m)^" + re.escape(line) + r"$", line)
        self.assertRegex(text, r"(?m)^WatchdogSec=\d+")
        # The deny list takes @resources away, and with it setpriority, which render workers need
        # to run at nice 10 below the pacers: it is allowed again after the deny line.
        deny = text.index("SystemCallFilter=~@privileged @resources")
        self.assertRegex(text[deny:], r"(?m)^SystemCallFilter=setpriority$")
        self.assertIn("--state-dir ${STATE_DIRECTORY}", text)
        self.assertIn("--config /etc/auralis/auralis.toml", text)


if __name__ == "__main__":
    unittest.main()
