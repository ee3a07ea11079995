"""Issue 8: the Docker files without a Docker engine. docker/compose.yaml validates with the
compose client, every shared library the built binary loads (ldd) comes from a package the
runtime stage installs (or its dependencies, or the debian:12-slim base), and the builder
installs its packages through scripts/setup, so the image and the developers stay in step."""
import os
import re
import shutil
import subprocess
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKERFILE = os.path.join(ROOT, "docker", "Dockerfile")
COMPOSE = os.path.join(ROOT, "docker", "compose.yaml")
AURALIS = os.environ.get("AURALIS_BIN", "")


def read(path):
    with open(path) as f:
        return f.read()


def sh(cmd, timeout=120):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout


def dockerfile_stages():
    """{stage name: text} of docker/Dockerfile, continuation lines joined."""
    text = read(DOCKERFILE).replace("\\\n", " ")
    stages, name = {}, None
    for line in text.splitlines():
        m = re.match(r"FROM\s+\S+(?:\s+AS\s+(\S+))?", line.strip(), re.I)
        if m:
            name = m.group(1) or f"stage{len(stages)}"
            stages[name] = ""
        elif name:
            stages[name] += line + "\n"
    return stages, text


def arg_default(stage_text, name):
    m = re.search(r'^ARG\s+' + name + r'="([^"]*)"', stage_text, re.M)
    return m.group(1).split() if m else []


def compose_command():
    if shutil.which("docker") and sh(["docker", "compose", "version"])[0] == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


class DockerFiles(unittest.TestCase):
    def test_compose_file_validates(self):
        cmd = compose_command()
        if cmd is None:
            self.skipTest("no compose client (docker compose plugin or docker-compose)")
        code, out = sh(cmd + ["-f", COMPOSE, "config"])
        self.assertEqual(code, 0, out)
        self.assertIn("/healthz", read(DOCKERFILE))
        self.assertRegex(out, r"AURALIS_STATE_DIR:\s*/var/lib/auralis")

    def test_builder_uses_scripts_setup_and_build(self):
        stages, _ = dockerfile_stages()
        builder = stages["builder"]
        self.assertIn("./scripts/setup", builder)
        self.assertIn("./scripts/build", builder)
        self.assertIn("-DAURALIS_BUILD_TESTS=OFF", builder)

    def test_runtime_stage_is_small_non_root_with_healthcheck_and_state_volume(self):
        stages, _ = dockerfile_stages()
        runtime = stages["runtime"]
        self.assertRegex(read(DOCKERFILE), r"FROM debian:12-slim AS runtime")
        self.assertRegex(runtime, r"(?m)^USER auralis$")
        self.assertRegex(runtime, r"(?m)^HEALTHCHECK .*CMD curl -fsS http://127\.0\.0\.1:8000/healthz")
        self.assertRegex(runtime, r'VOLUME \["/var/lib/auralis"\]')
        self.assertIn("AURALIS_STATE_DIR=/var/lib/auralis", runtime)
        self.assertIn("AURALIS_SERVER_LISTEN=0.0.0.0:8000", runtime)
        self.assertNotRegex(runtime, r"-dev\b", "no development packages at run time")

    def test_runtime_packages_provide_every_library_the_binary_needs(self):
        if not (AURALIS and os.path.exists(AURALIS)):
            self.skipTest("set AURALIS_BIN")
        if not shutil.which("dpkg") or not shutil.which("apt-cache"):
            self.skipTest("not a Debian system")
        stages, _ = dockerfile_stages()
        runtime = stages["runtime"]
        packages = arg_default(runtime, "RUNTIME_PACKAGES")
        self.assertTrue(packages, "ARG RUNTIME_PACKAGES in the runtime stage")
        code, ldd = sh(["ldd", AURALIS])
        self.assertEqual(code, 0, ldd)
        if re.search(r"lib(asan|tsan|ubsan)\.so", ldd):
            self.skipTest("a sanitizer build (scripts/sanitize): the image ships the release build")
        if "libtorch" in ldd:
            packages += arg_default(runtime, "TORCH_RUNTIME_PACKAGES")
        # What the image gets: the named packages with their dependencies, plus the base image
        # (debian:12-slim holds the "required" priority packages).
        code, deps = sh(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances",
                         *packages])
        if code != 0 or not deps.strip():
            self.skipTest("apt-cache has no package lists (run apt-get update): " + deps[-300:])
        provided = {l.strip().split(":")[0] for l in deps.splitlines() if not l.startswith(" ")}
        code, prio = sh(["dpkg-query", "-W", "-f=${Package} ${Priority}\n"])
        provided |= {l.split()[0] for l in prio.splitlines() if l.endswith(" required")}
        missing = []
        for line in ldd.splitlines():
            m = re.search(r"=>\s+(/\S+)", line)
            if not m:
                continue
            lib = m.group(1)
            code, owner = sh(["dpkg", "-S", lib])
            if code != 0:
                code, owner = sh(["dpkg", "-S", os.path.realpath(lib)])
            if code != 0:  # e.g. /lib vs /usr/lib after the usrmerge
                code, owner = sh(["dpkg", "-S", "*/" + os.path.basename(os.path.realpath(lib))])
            self.assertEqual(code, 0, f"no package owns {lib}: {owner}")
            pkg = owner.split(":")[0].split(",")[0].strip()
            if pkg not in provided:
                missing.append(f"{lib} ({pkg})")
        self.assertEqual(missing, [], "add these packages to RUNTIME_PACKAGES in docker/Dockerfile")


if __name__ == "__main__":
    unittest.main()
