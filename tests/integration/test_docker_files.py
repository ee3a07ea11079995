"""The Docker files, checked without building them (tests/integration/test_image.py builds and
runs docker/Dockerfile). docker/compose.yaml validates with the compose client and names the
edge and Prometheus files that exist; every shared library the built binary loads (ldd) comes
from scripts/setup's run list (or its dependencies, or the debian:12-slim base), which the
runtime stage installs; the builder installs scripts/setup's build list and uses scripts/build.
docker/Dockerfile.cuda is linted only: its base images (NVIDIA CUDA on Ubuntu) and the LibTorch
CUDA archive cannot be fetched on the project's machines, so it has never been built there."""
import os
import re
import shutil
import subprocess
import unittest

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKERFILE = os.path.join(ROOT, "docker", "Dockerfile")
CUDA_DOCKERFILE = os.path.join(ROOT, "docker", "Dockerfile.cuda")
COMPOSE = os.path.join(ROOT, "docker", "compose.yaml")
SETUP = os.path.join(ROOT, "scripts", "setup")
AURALIS = os.environ.get("AURALIS_BIN", "")

INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def read(path):
    with open(path) as f:
        return f.read()


def sh(cmd, timeout=120, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL, env=env)
    return p.returncode, p.stdout


def instructions(path):
    """[(line number, INSTRUCTION, arguments)] with continuation lines joined, comments dropped."""
    out, pending, start = [], "", 0
    for number, line in enumerate(read(path).splitlines(), 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        word, _, args = text.partition(" ")
        out.append((start, word.upper(), args.strip()))
    return out


def stages(path):
    """({stage name: [(INSTRUCTION, arguments)]}, the global ARGs under None; {stage: base})."""
    result, bases, name = {None: []}, {}, None
    for _, word, args in instructions(path):
        if word == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            name = m.group(2) or f"stage{len(result)}"
            bases[name] = m.group(1)
            result[name] = []
        else:
            result[name].append((word, args))
    return result, bases


def stage_text(stage):
    return "\n".join(f"{w} {a}" for w, a in stage)


def setup_list(*lists, torch=True):
    env = dict(os.environ, AURALIS_WITH_TORCH="ON" if torch else "OFF")
    code, out = sh([SETUP, "--list", *lists], env=env)
    assert code == 0, out
    return out.split()


def compose_command():
    if shutil.which("docker") and sh(["docker", "compose", "version"])[0] == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


class DockerFiles(unittest.TestCase):
    def test_compose_file_validates_and_its_files_exist(self):
        cmd = compose_command()
        if cmd is None:
            self.skipTest("no compose client (docker compose plugin or docker-compose)")
        code, out = sh(cmd + ["-f", COMPOSE, "config"])
        self.assertEqual(code, 0, out)
        config = yaml.safe_load(out)
        services = config["services"]
        self.assertEqual(sorted(services), ["auralis", "edge", "icecast", "prometheus"])
        auralis = services["auralis"]
        self.assertEqual(auralis["environment"]["AURALIS_STATE_DIR"], "/var/lib/auralis")
        self.assertEqual(auralis["environment"]["AURALIS_LIMITS_MAX_LISTENERS_PER_IP"], "0",
                         "behind the edge the daemon sees one address; the edge limits")
        self.assertNotIn("ports", auralis, "only the edge publishes the daemon")
        self.assertEqual(services["edge"]["depends_on"]["auralis"]["condition"], "service_healthy")
        for service in ("edge", "prometheus"):
            for volume in services[service]["volumes"]:
                source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
                if source.startswith("/"):
                    self.assertTrue(os.path.exists(source), f"{service} mounts {source}")
        self.assertIn("/healthz", read(DOCKERFILE))

    def test_builder_uses_the_build_list_and_scripts_build(self):
        s, bases = stages(DOCKERFILE)
        self.assertEqual(bases["build-base"], "${DEBIAN_IMAGE}")
        base = stage_text(s["build-base"])
        self.assertIn("AURALIS_WITH_TORCH=OFF ./scripts/setup build", base)
        self.assertIn("./scripts/setup build", stage_text(s["build-deps-ON"]))
        self.assertEqual(bases["build-deps-ON"], "build-base",
                         "the LibTorch builder shares the base")
        builder = stage_text(s["builder"])
        self.assertEqual(bases["builder"], "build-deps-${AURALIS_WITH_TORCH}")
        self.assertIn("./scripts/build", builder)
        self.assertIn("-DAURALIS_BUILD_TESTS=OFF", builder)
        self.assertIn("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", builder)
        self.assertRegex(builder, r"--mount=type=cache,[^ ]*target=/var/cache/ccache")
        # The build list has no test tools: no browser, no players, no servers.
        build = setup_list("build")
        for tool in ("chromium", "mpv", "icecast2", "ffmpeg", "podman", "prometheus", "nginx",
                     "libgtest-dev"):
            self.assertNotIn(tool, build)
        self.assertIn("libtorch-dev", build)
        self.assertNotIn("libtorch-dev", setup_list("build", torch=False))

    def test_runtime_stage_is_small_non_root_with_healthcheck_and_state_volume(self):
        s, bases = stages(DOCKERFILE)
        self.assertRegex(read(DOCKERFILE), r'(?m)^ARG DEBIAN_SLIM_IMAGE=debian:12-slim$')
        self.assertRegex(read(DOCKERFILE), r'(?m)^ARG DEBIAN_IMAGE=debian:12$')
        self.assertEqual(bases["runtime-base"], "${DEBIAN_SLIM_IMAGE}")
        self.assertEqual(bases["runtime"], "runtime-${AURALIS_WITH_TORCH}")
        self.assertIn("AURALIS_WITH_TORCH=OFF /usr/local/share/auralis/setup run",
                      stage_text(s["runtime-base"]))
        runtime = stage_text(s["runtime"])
        self.assertRegex(runtime, r"(?m)^USER auralis$")
        self.assertRegex(runtime,
                         r"(?m)^HEALTHCHECK .*CMD curl -fsS http://127\.0\.0\.1:8000/healthz")
        self.assertRegex(runtime, r'VOLUME \["/var/lib/auralis"\]')
        self.assertIn("AURALIS_STATE_DIR=/var/lib/auralis", runtime)
        self.assertIn("AURALIS_SERVER_LISTEN=0.0.0.0:8000", runtime)
        self.assertNotRegex(" ".join(setup_list("run")), r"-dev\b",
                            "no development packages at run time")

    def test_run_list_provides_every_library_the_binary_needs(self):
        if not (AURALIS and os.path.exists(AURALIS)):
            self.skipTest("set AURALIS_BIN")
        if not shutil.which("dpkg") or not shutil.which("apt-cache"):
            self.skipTest("not a Debian system")
        code, ldd = sh(["ldd", AURALIS])
        self.assertEqual(code, 0, ldd)
        if re.search(r"lib(asan|tsan|ubsan)\.so", ldd):
            self.skipTest("a sanitizer build (scripts/sanitize): the image ships the release build")
        packages = setup_list("run", torch="libtorch" in ldd)
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
        libs = sorted({m.group(1) for m in re.finditer(r"=>\s+(/\S+)", ldd)})
        owners = {}
        # One dpkg -S for all (a call reads the whole file database); then the libraries it
        # did not find under their real path, then by name (/lib vs /usr/lib after usrmerge).
        for spell in (lambda lib: lib, os.path.realpath,
                      lambda lib: "*/" + os.path.basename(os.path.realpath(lib))):
            todo = [lib for lib in libs if lib not in owners]
            if not todo:
                break
            _, out = sh(["dpkg", "-S", *[spell(lib) for lib in todo]])
            for lib in todo:
                for line in out.splitlines():
                    pkg, _, path = line.partition(": ")
                    if path and (path == spell(lib) or
                                 (spell(lib).startswith("*/") and path.endswith(spell(lib)[1:]))):
                        owners[lib] = pkg.split(":")[0].split(",")[0].strip()
                        break
        self.assertEqual(sorted(set(libs) - set(owners)), [], "no package owns these")
        missing = [f"{lib} ({owners[lib]})" for lib in libs if owners[lib] not in provided]
        self.assertEqual(missing, [], "add these packages to run_packages in scripts/setup")


class CudaDockerfileLint(unittest.TestCase):
    """Dockerfile.cuda is never built here (its bases cannot be fetched): its syntax and its
    agreement with docker/Dockerfile are what can be checked."""

    def test_every_instruction_is_known_and_every_reference_resolves(self):
        declared = set()
        stage_names = set()
        for number, word, args in instructions(CUDA_DOCKERFILE):
            self.assertIn(word, INSTRUCTIONS, f"line {number}: unknown instruction {word}")
            self.assertTrue(args, f"line {number}: {word} without arguments")
            if word == "ARG":
                declared.add(args.split("=")[0])
            if word == "FROM":
                m = re.match(r"(\S+)\s+AS\s+(\S+)$", args, re.I)
                self.assertIsNotNone(m, f"line {number}: every stage is named")
                for ref in re.findall(r"\$\{(\w+)\}", m.group(1)):
                    self.assertIn(ref, declared, f"line {number}: FROM uses undeclared ${{{ref}}}")
                self.assertNotRegex(m.group(1), r":latest$|^[^:$]+$",
                                    f"line {number}: pin the base")
                stage_names.add(m.group(2))
            for ref in re.findall(r"--from=(\S+)", args):
                self.assertIn(ref, stage_names,
                              f"line {number}: COPY --from={ref} is no stage above")
            if word in ("CMD", "ENTRYPOINT", "VOLUME") and args.startswith("["):
                self.assertRegex(args, r'^\["[^"]*"(, "[^"]*")*\]$', f"line {number}: JSON array")

    def test_runs_like_the_cpu_image(self):
        cpu, _ = stages(DOCKERFILE)
        cuda, _ = stages(CUDA_DOCKERFILE)

        def settings(stage):
            keep = ("USER", "WORKDIR", "EXPOSE", "VOLUME", "HEALTHCHECK", "ENTRYPOINT", "CMD")
            return {w: re.sub(r"--start-period=\d+s ", "", a) for w, a in stage if w in keep}

        self.assertEqual(settings(cuda["runtime"]), settings(cpu["runtime"]))
        env = stage_text(cuda["runtime"])
        for key in ("AURALIS_SERVER_LISTEN=0.0.0.0:8000", "AURALIS_STATE_DIR=/var/lib/auralis",
                    "AURALIS_ENGINE_DEVICE=cuda"):
            self.assertIn(key, env)
        self.assertIn("useradd --system --uid 10001", env)
        self.assertIn("-DAURALIS_WITH_TORCH=ON", stage_text(cuda["builder"]))
        self.assertIn("-DAURALIS_BUILD_TESTS=OFF", stage_text(cuda["builder"]))


if __name__ == "__main__":
    unittest.main()
