"""Issue 20: the Docker image, built and run as a user would. scripts/image builds
docker/Dockerfile (cached: its layers and the compiler cache outlast the run) and the
container runs from its entrypoint as the image's non-root user, configured by AURALIS_*
variables, with its state volume and its port published on 127.0.0.1. From the host: the API
answers, ffprobe and ffmpeg decode the stream, the image's health check command passes, a
session created over the API survives `stop` + `start`, and `stop` (SIGTERM) ends it within
2 s with exit status 0. Nothing of it is left afterwards (processes, mounts, volume).

  python3 test_image.py DefaultImage     the C++ CPU engine image (auralis:VERSION)
  python3 test_image.py TorchImage       the LibTorch variant (auralis:VERSION-torch)

Both print the image's size and build time."""
import json
import os
import re
import shutil
import signal
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import yaml

from containers import (Container, build_image, host_options, remove_stale, run_engine, sh,
                        track, unique_name, untrack)

COMPOSE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "docker", "compose.yaml")
TOKEN = "image-test-token"
STREAM_NAME = "Auralis in a container"
# The health check, the API and the stream all answer within seconds of the start; a stop by
# SIGTERM must take under this (the README promises it; systemd and compose allow 20 s).
STOP_WITHIN_S = 2.0


def request(base, method, path, body=None, token=None):
    """(status, JSON body, headers) of one API request."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), dict(e.headers)


def decode(url, seconds):
    """ffmpeg decodes `seconds` of the stream: (exit code, decoded seconds, mean dB, output)."""
    p = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-t", str(seconds),
                        "-i", url, "-af", "volumedetect", "-f", "null", "-"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=90)
    times = re.findall(r"time=(\d+):(\d+):([\d.]+)", p.stdout)
    decoded = None
    if times:
        h, m, s = times[-1]
        decoded = int(h) * 3600 + int(m) * 60 + float(s)
    mean = re.search(r"mean_volume: (-?[\d.]+) dB", p.stdout)
    return p.returncode, decoded, float(mean.group(1)) if mean else None, p.stdout


class ImageTest:
    """Shared by both variants: build (cached), then run."""
    TORCH = False

    @classmethod
    def setUpClass(cls):
        cls.tag, build_engine, cls.size, cls.build_s, cls.log = build_image(torch=cls.TORCH)
        cls.engine = run_engine(build_engine)
        if cls.engine is None:
            raise AssertionError(f"{build_engine} built the image but nothing here runs it "
                                 "(docker with a daemon, or podman: scripts/setup test "
                                 "installs it)")
        remove_stale(cls.engine)
        cls.image = ("localhost/" + cls.tag) if build_engine != "docker" else cls.tag
        print(f"{cls.tag}: {cls.size / 2**20:.0f} MiB, built in {cls.build_s} s by "
              f"{build_engine} (log {cls.log})", flush=True)
        cls.options, cls.version = host_options(cls.engine, cls.image)
        print(f"{cls.engine} run, this host's options: {cls.options or 'none'}; {cls.version}",
              flush=True)
        cls.volumes = []

    @classmethod
    def tearDownClass(cls):
        for volume in getattr(cls, "volumes", []):
            sh([cls.engine, "volume", "rm", "-f", volume], 60)
            untrack("volume", volume)

    def new_volume(self):
        name = unique_name("state-")
        track(self.engine, "volume", name)
        self.volumes.append(name)
        sh([self.engine, "volume", "create", name], 60, check=True)
        return name

    def start(self, env, volume=None):
        c = Container(self.engine, self.image, env=env, volume=volume, host_options=self.options)
        self.addCleanup(self.assert_nothing_left, c)
        self.addCleanup(c.remove)
        return c.start()

    def assert_nothing_left(self, c):
        # conmon exits just after `rm` returns: give it a moment.
        deadline = time.time() + 10
        while c.leftovers() and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(c.leftovers(), [], "the removed container left processes or mounts behind")

    def assert_stops_on_sigterm(self, c):
        code, after_signal_s, took_s = c.stop()
        print(f"stop: exit {code}, {after_signal_s:.2f} s after the signal "
              f"({took_s:.2f} s with the engine's own work)", flush=True)
        self.assertEqual(code, 0, c.logs()[-3000:])
        self.assertLess(after_signal_s, STOP_WITHIN_S, c.logs()[-3000:])

    def assert_plays(self, c, session="default", seconds=5):
        url = f"{c.base}/stream/{session}.ogg"
        code, out = sh(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_name,sample_rate,channels:format=format_name",
                        "-of", "default=nw=1", url], 60)
        self.assertEqual(code, 0, out)
        for field in ("codec_name=opus", "sample_rate=48000", "channels=2", "format_name=ogg"):
            self.assertIn(field, out)
        code, decoded, mean_db, out = decode(url, seconds)
        self.assertEqual(code, 0, out[-2000:])
        self.assertNotIn("CRC mismatch", out)
        self.assertIsNotNone(decoded, out[-2000:])
        self.assertAlmostEqual(decoded, seconds, delta=0.005, msg=out[-2000:])
        self.assertIsNotNone(mean_db, out[-2000:])
        self.assertGreater(mean_db, -40.0, "music, not silence")

    def test_runs_as_a_user_would(self):
        self.assertIn(f"auralis {self.tag.split(':')[1].split('-')[0]} ", self.version + " ")
        self.assertIn("LibTorch: yes" if self.TORCH else "LibTorch: no", self.version)
        volume = self.new_volume()
        env = {"AURALIS_API_TOKEN": TOKEN, "AURALIS_SERVER_STREAM_NAME": STREAM_NAME,
               "AURALIS_SESSION_KEY": "F#", "AURALIS_SESSION_TEMPO_BPM": "64"}
        if self.TORCH:
            env["AURALIS_ENGINE_PRIMARY"] = "torch"
        c = self.start(env, volume)

        # The entrypoint runs as the image's user (uid 10001), not root.
        info = c.inspect()
        pid = info["State"]["Pid"]
        with open(f"/proc/{pid}/status") as f:
            uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", f.read(), re.M)
        self.assertEqual(uids.groups(), ("10001", "10001"))
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            self.assertEqual(f.read().split(b"\0")[:2], [b"/usr/local/bin/auralis", b"serve"])

        # The image's health check command, as the engine would run it.
        check = info["Config"].get("Healthcheck") or info["Config"].get("HealthCheck") or {}
        test = check.get("Test") or []
        self.assertEqual(test[:1], ["CMD-SHELL"], f"no HEALTHCHECK in the image: {check}")
        self.assertIn("/healthz", test[1])
        code, out = c.exec("/bin/sh", "-c", test[1])
        self.assertEqual(code, 0, out)

        # The API from the host; the configuration came from the environment.
        status, ready, _ = request(c.base, "GET", "/readyz")
        deadline = time.time() + 60
        while status != 200 and time.time() < deadline:
            time.sleep(0.5)
            status, ready, _ = request(c.base, "GET", "/readyz")
        self.assertEqual(status, 200, ready)
        status, default, _ = request(c.base, "GET", "/api/v1/sessions/default")
        self.assertEqual(status, 200, default)
        self.assertEqual(default["params"]["key"], "F#")
        self.assertEqual(default["params"]["tempo_bpm"], 64)
        body = {"id": "night", "name": "Night", "key": "A", "mode": "dorian", "tempo_bpm": 58,
                "energy": 0.3, "seed": 20}
        self.assertEqual(request(c.base, "POST", "/api/v1/sessions", body)[0], 401,
                         "AURALIS_API_TOKEN applies")
        status, created, _ = request(c.base, "POST", "/api/v1/sessions", body, TOKEN)
        self.assertEqual(status, 201, created)

        # Players decode the stream; its name is the configured one.
        code, out = sh(["curl", "-sS", "-m", "3", "-o", "/dev/null", "-D", "-",
                        f"{c.base}/stream/default.ogg"], 30)
        self.assertRegex(out, rf"(?im)^icy-name: {re.escape(STREAM_NAME)} - default\s*$")
        self.assert_plays(c)
        if self.TORCH:
            logs = c.logs()
            self.assertTrue(re.search(r"render chain.*engine torch on cpu", logs), logs[-3000:])
            metrics = urllib.request.urlopen(c.base + "/metrics", timeout=10).read().decode()
            self.assertRegex(metrics, r'auralis_phrases_total\{engine="torch"\} [1-9]')

        # `stop` + `start`: the session created over the API is back from the volume.
        self.assert_stops_on_sigterm(c)
        c.start_again()
        status, after, _ = request(c.base, "GET", "/api/v1/sessions/night")
        self.assertEqual(status, 200, f"the session was not kept:\n{c.logs()[-3000:]}")
        self.assertEqual(after["params"], created["params"])
        self.assertEqual(after["created_at"], created["created_at"])
        self.assert_plays(c, "night", 3)
        code, out = c.exec("/bin/sh", "-c", test[1])
        self.assertEqual(code, 0, out)
        code, listing = c.exec("ls", "-ln", "/var/lib/auralis")
        self.assertRegex(listing, r"10001\s+10001 .*auralis\.db", "the store is the user's")
        self.assert_stops_on_sigterm(c)


class DefaultImage(ImageTest, unittest.TestCase):
    TORCH = False

    def test_runtime_image_has_no_build_tools_and_no_libtorch(self):
        c = self.start({})
        code, out = c.exec("/bin/sh", "-c", "for t in c++ gcc cmake ninja; do command -v $t; done; "
                                            "ls /usr/lib/x86_64-linux-gnu | grep libtorch; true")
        self.assertEqual(code, 0, out)
        self.assertEqual(out.strip(), "", "build tools or LibTorch in the runtime image")
        self.assert_stops_on_sigterm(c)


    def test_runs_with_the_compose_services_settings(self):
        """docker/compose.yaml's auralis service as compose resolves it: read-only root, /tmp
        on tmpfs, no capabilities, no new privileges, its environment. The state volume is
        still written and the stream plays."""
        if not shutil.which("docker-compose"):
            self.skipTest("no docker-compose to resolve docker/compose.yaml")
        code, out = sh(["docker-compose", "-f", COMPOSE, "config"], 60)
        self.assertEqual(code, 0, out)
        service = yaml.safe_load(out)["services"]["auralis"]
        options = ["--read-only"] if service.get("read_only") else []
        for path in service.get("tmpfs", []):
            options += ["--tmpfs", path]
        for cap in service.get("cap_drop", []):
            options += ["--cap-drop", cap]
        for opt in service.get("security_opt", []):
            options += ["--security-opt", opt]
        for name, limit in service.get("ulimits", {}).items():
            options += ["--ulimit", f"{name}={limit['soft']}:{limit['hard']}"]
        self.assertIn("--read-only", options)
        self.assertIn("ALL", options)
        env = {k: str(v) for k, v in service["environment"].items()}
        c = Container(self.engine, self.image, env=env, volume=self.new_volume(),
                      host_options=options + self.options)
        self.addCleanup(self.assert_nothing_left, c)
        self.addCleanup(c.remove)
        c.start()
        check = c.inspect()["Config"]["Healthcheck"]["Test"][1]
        self.assertEqual(c.exec("/bin/sh", "-c", check)[0], 0)
        status, created, _ = request(c.base, "POST", "/api/v1/sessions",
                                     {"id": "ro", "energy": 0.6})
        self.assertEqual(status, 201, created)
        code, listing = c.exec("ls", "/var/lib/auralis")
        self.assertIn("auralis.db", listing)
        self.assert_plays(c, "ro", 3)
        self.assert_stops_on_sigterm(c)


class TorchImage(ImageTest, unittest.TestCase):
    TORCH = True


if __name__ == "__main__":
    # A terminated test stops like one interrupted by Ctrl-C: the build's process group is ended
    # and the containers and volumes it started are removed at exit.
    def interrupted(*_):
        raise KeyboardInterrupt("SIGTERM")
    signal.signal(signal.SIGTERM, interrupted)
    unittest.main()
