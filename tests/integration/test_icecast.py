"""Issue 8: a session is pushed to an Icecast mount (Debian's icecast2 on 127.0.0.1), ffmpeg
decodes 10 s from Icecast cleanly, and when Icecast is killed and started again the source
reconnects by itself (back-off 1 s doubling) and the mount plays again."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Daemon, run

ICECAST = shutil.which("icecast2") or shutil.which("icecast")
PASSWORD = "auralis-test-source"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Icecast:
    """icecast2 with a generated config in a temp dir. Run as root (CI, containers), it drops
    to nobody/nogroup through <changeowner>; as another user it runs as that user."""

    def __init__(self, workdir, port):
        self.dir = workdir
        self.port = port
        self.proc = None
        os.chmod(self.dir, 0o777)  # nobody writes the logs
        owner = ("<changeowner><user>nobody</user><group>nogroup</group></changeowner>"
                 if os.geteuid() == 0 else "")
        share = "/usr/share/icecast2"
        self.config = os.path.join(self.dir, "icecast.xml")
        with open(self.config, "w") as f:
            f.write(f"""<icecast>
  <location>auralis-test</location><admin>test@localhost</admin>
  <limits><clients>50</clients><sources>2</sources><queue-size>524288</queue-size>
    <client-timeout>30</client-timeout><header-timeout>15</header-timeout>
    <source-timeout>10</source-timeout><burst-on-connect>1</burst-on-connect>
    <burst-size>65535</burst-size></limits>
  <authentication><source-password>{PASSWORD}</source-password>
    <admin-user>admin</admin-user><admin-password>{PASSWORD}</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>0</fileserve>
  <paths><basedir>{self.dir}</basedir><logdir>{self.dir}</logdir>
    <webroot>{share}/web</webroot><adminroot>{share}/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog>
    <loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""")

    def start(self, timeout_s=15):
        self.proc = subprocess.Popen([ICECAST, "-c", self.config], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("icecast exited:\n" + self.error_log())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("icecast did not listen:\n" + self.error_log())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return "(no error.log)"


def decode(url, seconds):
    """ffmpeg decodes `seconds` of the mount; returns (exit code, decoded seconds, messages)."""
    code, out = run(["ffmpeg", "-hide_banner", "-nostats", "-v", "warning", "-progress",
                     "pipe:1", "-t", str(seconds), "-i", url, "-f", "null", "-"],
                    seconds + 40)
    times = [int(v) for v in re.findall(r"^out_time_us=(\d+)$", out, re.M)]
    messages = [l for l in out.splitlines() if "=" not in l or " " in l.split("=")[0]]
    return code, (max(times) / 1e6 if times else 0.0), "\n".join(messages)


@unittest.skipIf(ICECAST is None, "icecast2 is not installed (scripts/setup installs it)")
class IcecastPush(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auralis-icecast-")
        self.port = free_port()
        self.icecast = Icecast(self.tmp, self.port).start()
        self.url = f"http://127.0.0.1:{self.port}/auralis.ogg"
        self.daemon = None

    def tearDown(self):
        if self.daemon:
            self.daemon.stop()
        self.icecast.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_daemon(self, password=PASSWORD):
        self.daemon = Daemon(env={
            "AURALIS_ICECAST_ENABLED": "true",
            "AURALIS_ICECAST_HOST": "127.0.0.1",
            "AURALIS_ICECAST_PORT": str(self.port),
            "AURALIS_ICECAST_MOUNT": "/auralis.ogg",
            "AURALIS_ICECAST_PASSWORD": password,
        }).start()

    def wait_log(self, pattern, timeout_s, after=0):
        try:
            return self.daemon.wait_log(pattern, timeout_s, after)
        except AssertionError as e:
            self.fail(f"{e}\nicecast:\n{self.icecast.error_log()}")

    def assert_decodes_cleanly(self, seconds=10):
        code, decoded, messages = decode(self.url, seconds)
        self.assertEqual(code, 0, messages)
        self.assertGreaterEqual(decoded, seconds - 0.1, f"decoded only {decoded} s\n{messages}")
        self.assertNotIn("crc", messages.lower(), messages)
        self.assertEqual(messages.strip(), "", "ffmpeg warned:\n" + messages)

    def test_push_decodes_and_reconnects_after_icecast_restarts(self):
        self.start_daemon()
        self.wait_log(r"\[icecast\].*connected, streaming session default \(connection 1\)", 20)
        self.assert_decodes_cleanly(10)

        mark = len(self.daemon.logs())
        self.icecast.kill()
        self.wait_log(r"\[icecast\].*connection lost", 15, mark)
        time.sleep(3)  # down for a while: the source retries with back-off meanwhile
        restarted = time.time()
        self.icecast.start()
        self.wait_log(r"\[icecast\].*connected, streaming session default \(connection 2\)", 40,
                      mark)
        print(f"reconnected {time.time() - restarted:.1f} s after icecast came back")
        self.assert_decodes_cleanly(10)
        self.assertIsNone(self.daemon.proc.poll(), "the daemon kept running")

    def test_wrong_password_is_an_error_and_the_daemon_keeps_serving(self):
        self.start_daemon(password="wrong")
        line = self.wait_log(r"\[icecast\].*refused the source credentials", 20)
        self.assertIn("error", line)
        self.assertNotIn("wrong", line, "the password must not be logged")
        status, body = self.daemon.get_json("/healthz")
        self.assertEqual(status, 200, body)


if __name__ == "__main__":
    unittest.main()
