"""Starts the real auralis daemon on 127.0.0.1 with an ephemeral port, and stops it."""
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

AURALIS = os.environ.get("AURALIS_BIN", "")


def sanitizer_build():
    """The sanitizer runtime the daemon links (scripts/sanitize builds), or None. TSan/ASan
    slow the daemon several-fold and shadow memory inflates its RSS: time and memory bounds
    made for the release build are widened or skipped for them, never the checks of behaviour."""
    if not AURALIS or not os.path.exists(AURALIS):
        return None
    out = subprocess.run(["ldd", AURALIS], capture_output=True, text=True).stdout
    m = re.search(r"lib(asan|tsan)\.so", out)
    return m.group(1) if m else None


SANITIZER = sanitizer_build()


class Daemon:
    def __init__(self, *extra_args, env=None):
        if not AURALIS:
            raise RuntimeError("set AURALIS_BIN to the auralis executable")
        self.args = [AURALIS, "--listen", "127.0.0.1:0", *extra_args]
        self.env = dict(os.environ, **(env or {}))
        self.env.pop("AURALIS_BIN", None)
        self.proc = None
        self.port = None
        self.log_lines = []
        self._log_lock = threading.Lock()

    def start(self, timeout_s=60):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=self.env, text=True, bufsize=1)
        port_found = threading.Event()

        def pump():
            for line in self.proc.stdout:
                with self._log_lock:
                    self.log_lines.append(line.rstrip("\n"))
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m and not port_found.is_set():
                    self.port = int(m.group(1))
                    port_found.set()

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.time() + timeout_s
        while time.time() < deadline and not port_found.is_set():
            if self.proc.poll() is not None:
                raise RuntimeError("auralis exited early:\n" + "\n".join(self.log_lines))
            port_found.wait(0.1)
        if not port_found.is_set():
            raise RuntimeError("auralis did not report its port:\n" + "\n".join(self.log_lines))
        # Ready once /healthz answers and the default session exists.
        while time.time() < deadline:
            try:
                status, body = self.get_json("/healthz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("auralis never became healthy")

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def get_json(self, path):
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def logs(self):
        with self._log_lock:
            return list(self.log_lines)

    def wait_log(self, pattern, timeout_s, after=0):
        """The first log line from index `after` on matching `pattern`, waiting up to timeout_s;
        AssertionError with the log's tail when none comes."""
        deadline = time.time() + timeout_s
        while True:
            for line in self.logs()[after:]:
                if re.search(pattern, line):
                    return line
            if time.time() >= deadline:
                raise AssertionError(f"no log line matching {pattern!r} in {timeout_s} s:\n" +
                                     "\n".join(self.logs()[-30:]))
            time.sleep(0.1)

    def stop(self, sig=signal.SIGTERM, timeout_s=10):
        """Stops the daemon; returns (exit code, seconds it took)."""
        if self.proc is None or self.proc.poll() is not None:
            return (self.proc.returncode if self.proc else None), 0.0
        t0 = time.time()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        elapsed = time.time() - t0
        self.proc.stdout.close()
        return code, elapsed


def run(cmd, timeout_s=60):
    """Runs a client command; returns (exit code, stdout+stderr text)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout_s, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout
