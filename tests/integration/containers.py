"""Builds the Auralis image with scripts/image and runs it as a user would, through docker
(a reachable daemon) or podman, on 127.0.0.1 only; removes what it started."""
import atexit
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMAGE_SCRIPT = os.path.join(ROOT, "scripts", "image")
# scripts/image's output goes here (the build tree when ctest runs the test).
LOG_DIR = os.environ.get("AURALIS_IMAGE_LOG_DIR", os.getcwd())


def sh(cmd, timeout=120, check=False):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout[-3000:]}")
    return p.returncode, p.stdout


def run_engine(build_engine):
    """The engine that runs what `build_engine` built: itself, or podman for buildah (they
    share their storage); None when there is none."""
    if build_engine in ("docker", "podman"):
        return build_engine
    return "podman" if shutil.which("podman") else None


# Containers and volumes are named after the test process, so one whose process is gone (a
# test killed at its timeout) can be told from a test running beside this one, and removed.
PREFIX = "auralis-test-"


def owner_alive(name):
    m = re.match(re.escape(PREFIX) + r"(?:state-)?(\d+)-", name)
    return bool(m) and os.path.exists(f"/proc/{m.group(1)}")


def remove_stale(engine):
    """Removes the containers and volumes of earlier test processes that are gone."""
    code, names = sh([engine, "ps", "-a", "--format", "{{.Names}}"], 60)
    for name in names.split() if code == 0 else []:
        if name.startswith(PREFIX) and not owner_alive(name):
            sh([engine, "rm", "-f", "-v", name], 60)
    code, names = sh([engine, "volume", "ls", "--format", "{{.Name}}"], 60)
    for name in names.split() if code == 0 else []:
        if name.startswith(PREFIX) and not owner_alive(name):
            sh([engine, "volume", "rm", "-f", name], 60)


def unique_name(kind=""):
    return f"{PREFIX}{kind}{os.getpid()}-{uuid.uuid4().hex[:8]}"


# What this process started and has not removed yet: removed at exit too (a test interrupted
# by SIGTERM or Ctrl-C skips its cleanups).
_live = {}


def track(engine, kind, name):
    _live[(kind, name)] = engine


def untrack(kind, name):
    _live.pop((kind, name), None)


@atexit.register
def _remove_live():
    for (kind, name), engine in sorted(_live.items(), key=lambda item: item[0][0]):
        if kind == "container":
            cmd = [engine, "rm", "-f", "-v", name]
        else:
            cmd = [engine, "volume", "rm", "-f", name]
        try:
            sh(cmd, 60)
        except (OSError, subprocess.TimeoutExpired):
            pass
    _live.clear()


def build_image(torch=False, timeout_s=3600):
    """Runs scripts/image; returns (tag, engine, size in bytes, build seconds, log path)."""
    name = "image-torch.log" if torch else "image.log"
    log_path = os.path.join(LOG_DIR, name)
    cmd = [IMAGE_SCRIPT] + (["--torch"] if torch else [])
    env = dict(os.environ)
    env.pop("AURALIS_BIN", None)
    # In a process group of its own, ended with the test: an interrupted test leaves no build
    # running (the engine's build would go on without its parent otherwise).
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True, env=env,
                             stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        try:
            code = p.wait(timeout_s)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
    with open(log_path) as f:
        text = f.read()
    if code != 0:
        raise RuntimeError(f"scripts/image failed ({code}); log {log_path}:\n{text[-6000:]}")
    m = re.search(r"^image (\S+) engine=(\S+) base=(\S+) size_bytes=(\d+) build_s=(\d+)$",
                  text, re.M)
    if not m:
        raise RuntimeError(f"scripts/image printed no summary line:\n{text[-3000:]}")
    # What the test log keeps: the phases' times and the compiler cache's hit rate.
    for line in text.splitlines():
        if line.startswith("image") or re.search(r"^\s*(Hits|Misses|Cacheable calls):", line):
            print(line.strip())
    return m.group(1), m.group(2), int(m.group(4)), int(m.group(5)), log_path


class Container:
    """One `ENGINE run -d` of an image: the port published on 127.0.0.1 (a free one the engine
    picks), a named volume, AURALIS_* variables. stop() is the user's `ENGINE stop`."""

    def __init__(self, engine, image, env=None, volume=None, host_options=()):
        self.engine = engine
        self.image = image
        self.env = env or {}
        self.volume = volume
        self.host_options = list(host_options)
        self.name = unique_name()
        self.port = None
        self.id = None
        self.traces = set()  # pids and paths that must be gone after remove()

    def start(self, timeout_s=90):
        cmd = [self.engine, "run", "-d", "--name", self.name, "-p", "127.0.0.1::8000"]
        if self.volume:
            cmd += ["-v", f"{self.volume}:/var/lib/auralis"]
        for k, v in self.env.items():
            cmd += ["-e", f"{k}={v}"]
        cmd += self.host_options + [self.image]
        track(self.engine, "container", self.name)
        code, out = sh(cmd, 120)
        if code != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{out}")
        self.id = out.strip().splitlines()[-1]
        return self.resume(timeout_s)

    def resume(self, timeout_s=90):
        """Waits for the published port and /healthz (after start, or `ENGINE start`)."""
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            code, out = sh([self.engine, "port", self.name, "8000/tcp"], 30)
            m = re.search(r"127\.0\.0\.1:(\d+)", out)
            if code == 0 and m:
                self.port = int(m.group(1))
                self.note_traces()
                break
            if self.state()["Status"] in ("exited", "dead"):
                raise RuntimeError("the container exited:\n" + self.logs())
            time.sleep(0.2)
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            if self.state()["Status"] in ("exited", "dead"):
                raise RuntimeError("the container exited:\n" + self.logs())
            time.sleep(0.2)
        raise RuntimeError("no /healthz within the time:\n" + self.logs())

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def inspect(self):
        code, out = sh([self.engine, "inspect", self.name], 30, check=True)
        return json.loads(out)[0]

    def state(self):
        return self.inspect()["State"]

    def logs(self):
        return sh([self.engine, "logs", self.name], 30)[1]

    def exec(self, *cmd):
        return sh([self.engine, "exec", self.name, *cmd], 60)

    def start_again(self, timeout_s=90):
        sh([self.engine, "start", self.name], 120, check=True)
        return self.resume(timeout_s)

    def stop(self):
        """`ENGINE stop` (the image's STOPSIGNAL, SIGKILL after 10 s); returns (exit code, seconds
        from the signal to the process's end as the engine recorded it, seconds stop took)."""
        t0 = time.time()
        sh([self.engine, "stop", "-t", "10", self.name], 60, check=True)
        took = time.time() - t0
        state = self.state()
        finished = parse_time(state["FinishedAt"])
        return state["ExitCode"], finished - t0, took

    def note_traces(self):
        info = self.inspect()
        state = info["State"]
        for key in ("Pid", "ConmonPid"):
            if state.get(key):
                self.traces.add(("pid", state[key]))
        merged = (info.get("GraphDriver") or {}).get("Data", {}).get("MergedDir")
        sandbox = (info.get("NetworkSettings") or {}).get("SandboxKey")
        for path in (merged, sandbox):
            if path:
                self.traces.add(("path", path))

    def remove(self):
        sh([self.engine, "rm", "-f", "-v", self.name], 60)
        untrack("container", self.name)

    def leftovers(self):
        """Processes and mounts of this container still there after remove()."""
        with open("/proc/mounts") as f:
            mounts = f.read()
        found = []
        for kind, what in sorted(self.traces, key=str):
            if kind == "pid" and os.path.exists(f"/proc/{what}"):
                with open(f"/proc/{what}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ")[:200]
                found.append(f"pid {what}: {cmdline!r}")
            if kind == "path" and what in mounts:
                found.append(f"mount {what}")
        if self.id and self.id in mounts:
            found.append(f"a mount naming {self.id}")
        return found


def parse_time(text):
    """The engine's RFC 3339 time (nanoseconds, a zone) as a Unix time."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError(f"unreadable time {text!r}")
    import datetime
    zone = m.group(3).replace("Z", "+00:00")
    stamp = datetime.datetime.fromisoformat(m.group(1) + zone)
    return stamp.timestamp() + float(m.group(2) or 0)


def host_options(engine, image):
    """What this host needs besides the user's own options, found by running the image's
    `--version`: none where the engine's defaults work. Where the engine cannot raise the
    open-file and process limits it asks for by default (containers without CAP_SYS_RESOURCE),
    they are set to this process's; where crun refuses cgroups in hybrid mode, runc runs it."""
    nofile = min(20000, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    limits = ["--ulimit", f"nofile={nofile}:{nofile}", "--ulimit", "nproc=4096:4096"]
    tries = [[], limits]
    if engine == "podman" and shutil.which("runc"):
        tries += [["--runtime", "runc"], ["--runtime", "runc"] + limits]
    errors = []
    for options in tries:
        code, out = sh([engine, "run", "--rm", *options, image, "--version"], 120)
        if code == 0:
            # (podman without systemd logs that it cannot schedule health checks: not ours)
            return options, [l for l in out.splitlines() if l.startswith("auralis ")][-1]
        errors.append(f"{options}: {out.strip()[-300:]}")
    raise RuntimeError(f"{engine} cannot run {image} here:\n" + "\n".join(errors))
