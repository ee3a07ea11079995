"""Issue 20: the operator's alert rules (docker/prometheus/alerts.yml) against the real daemon.
promtool checks the rules and the compose stack's Prometheus configuration; then a real
Prometheus (Debian's) on 127.0.0.1, configured from docker/prometheus/prometheus.yml with 1 s
scrapes, evaluates the rules against daemons that each show one trouble:

  healthy      plays                                   no alert
  late_torch   LibTorch first, 60 s slower than real   AuralisDeadlineMisses, AuralisFallbackToCpu
  silent       every CPU render fails                  AuralisSilence
  no_session   no default session                      AuralisNoSessionPlaying
  drops        12 listeners stop reading               AuralisListenerDrops
  down         nothing listens                         AuralisDown

Every alert must be active (pending or firing) for its instance and for no other, unless that
other daemon's own counters show the same trouble (a real miss on a busy machine is one)."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import yaml

from harness import AURALIS, Daemon, run
from test_slow_listener import open_listener

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROM_DIR = os.path.join(ROOT, "docker", "prometheus")
RULES = os.path.join(PROM_DIR, "alerts.yml")
CONFIG = os.path.join(PROM_DIR, "prometheus.yml")

# Phrases of 16 s (120 BPM): a LibTorch engine 60 s late misses every phrase's deadline, so
# misses keep coming after Prometheus's first scrape.
FAST_PHRASES = ["--set", "session.tempo_bpm=120"]
SCENARIOS = {
    "healthy": (["--set", "engine.primary=cpu"], set()),
    "late_torch": (["--set", "engine.primary=torch", "--set", "faults.torch_delay_ms=60000"],
                   {"AuralisDeadlineMisses", "AuralisFallbackToCpu"}),
    "silent": (["--set", "engine.primary=cpu", "--set", "faults.cpu_failure_probability=1"],
               {"AuralisSilence"}),
    "no_session": (["--set", "engine.primary=cpu", "--set", "session.name="],
                   {"AuralisNoSessionPlaying"}),
    # Small queues and buffers: a listener that stops reading is dropped within seconds.
    "drops": (["--set", "engine.primary=cpu", "--set", "stream.listener_queue_ms=1000",
               "--set", "stream.listener_queue_kib=64", "--set", "stream.listener_sndbuf_kib=8",
               "--set", "stream.write_timeout_s=3"], {"AuralisListenerDrops"}),
}
STALLED_LISTENERS = 12
# The raw counters that show an alert's trouble in a daemon's own /metrics.
EVIDENCE = {
    "AuralisDeadlineMisses": "auralis_deadline_misses_total",
    "AuralisFallbackToCpu": "auralis_fallbacks_to_cpu_total",
    "AuralisSilence": "auralis_silent_phrases_total",
    "AuralisListenerDrops": "auralis_listener_drops_total",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def counter(text, name):
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class FixedPortDaemon(Daemon):
    """The harness's daemon on a port chosen before it starts (Prometheus scrapes it from its
    first second on, so no counter moves before the first scrape)."""

    def __init__(self, port, *extra_args):
        super().__init__(*extra_args)
        self.args[2] = f"127.0.0.1:{port}"


class RulesCheck(unittest.TestCase):
    def test_promtool_checks_the_rules_and_the_configuration(self):
        code, out = run(["promtool", "check", "rules", RULES], 60)
        self.assertEqual(code, 0, out)
        self.assertIn("SUCCESS: 6 rules found", out)
        code, out = run(["promtool", "check", "config", CONFIG], 60)
        self.assertEqual(code, 0, out)


class AlertsAgainstTheDaemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        code, version = run([AURALIS, "--version"], 30)
        cls.torch = code == 0 and "LibTorch: yes" in version
        cls.tmp = tempfile.mkdtemp(prefix="auralis-prometheus-")
        cls.daemons, cls.listeners, cls.prometheus = {}, [], None
        cls.ports = {name: free_port() for name in list(SCENARIOS) + ["down"]}
        cls.instance = {f"127.0.0.1:{port}": name for name, port in cls.ports.items()}

        # The shipped configuration with this test's targets, 1 s scrapes and evaluations.
        with open(CONFIG) as f:
            config = yaml.safe_load(f)
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        config["rule_files"] = [RULES]
        job = next(j for j in config["scrape_configs"] if j["job_name"] == "auralis")
        job["static_configs"] = [{"targets": sorted(cls.instance)}]
        config_path = os.path.join(cls.tmp, "prometheus.yml")
        with open(config_path, "w") as f:
            yaml.safe_dump(config, f)
        cls.prom_port = free_port()
        cls.prom_log = open(os.path.join(cls.tmp, "prometheus.log"), "w")
        cls.prometheus = subprocess.Popen(
            ["prometheus", f"--config.file={config_path}",
             f"--storage.tsdb.path={os.path.join(cls.tmp, 'data')}",
             f"--web.listen-address=127.0.0.1:{cls.prom_port}"],
            stdout=cls.prom_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        cls.prom = f"http://127.0.0.1:{cls.prom_port}"
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(cls.prom + "/-/ready", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if cls.prometheus.poll() is not None or time.time() > deadline:
                raise RuntimeError("Prometheus did not start:\n" + cls.prometheus_log())
            time.sleep(0.2)

        for name, (args, _) in SCENARIOS.items():
            if name == "late_torch" and not cls.torch:
                continue
            cls.daemons[name] = FixedPortDaemon(cls.ports[name], *FAST_PHRASES, *args).start()
        for _ in range(STALLED_LISTENERS):
            sock, _ = open_listener(cls.ports["drops"], rcvbuf=4096)
            cls.listeners.append(sock)

    @classmethod
    def tearDownClass(cls):
        for sock in cls.listeners:
            sock.close()
        for d in cls.daemons.values():
            d.stop()
        if cls.prometheus is not None:
            cls.prometheus.terminate()
            try:
                cls.prometheus.wait(20)
            except subprocess.TimeoutExpired:
                cls.prometheus.kill()
                cls.prometheus.wait()
            cls.prom_log.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def prometheus_log(cls):
        cls.prom_log.flush()
        with open(cls.prom_log.name) as f:
            return f.read()[-4000:]

    def active_alerts(self):
        """{alert name: scenarios where it is pending or firing}."""
        active = {}
        for a in get_json(self.prom + "/api/v1/alerts")["data"]["alerts"]:
            scenario = self.instance.get(a["labels"].get("instance"), a["labels"].get("instance"))
            active.setdefault(a["labels"]["alertname"], set()).add(scenario)
        return active

    def evidence(self):
        """{alert name: scenarios whose own counters show the trouble}."""
        shown = {}
        for name, d in self.daemons.items():
            with urllib.request.urlopen(d.base + "/metrics", timeout=10) as r:
                text = r.read().decode()
            for alert, metric in EVIDENCE.items():
                if counter(text, metric) > 0:
                    shown.setdefault(alert, set()).add(name)
        return shown

    def test_each_alert_fires_for_its_trouble_and_nowhere_else(self):
        rules = get_json(self.prom + "/api/v1/rules")["data"]["groups"]
        loaded = {r["name"]: r for g in rules for r in g["rules"]}
        with open(RULES) as f:
            shipped = [r["alert"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        self.assertEqual(sorted(loaded), sorted(shipped))

        must = {}
        for name, (_, alerts) in SCENARIOS.items():
            if name in self.daemons:
                for alert in alerts:
                    must.setdefault(alert, set()).add(name)
        must["AuralisDown"] = {"down"}
        if not self.torch:
            print("this build has no LibTorch: AuralisDeadlineMisses and AuralisFallbackToCpu "
                  "were NOT exercised (the default build has LibTorch)")

        deadline = time.time() + 90
        while True:
            active, shown = self.active_alerts(), self.evidence()
            problems = []
            for alert in shipped:
                want, got = must.get(alert, set()), active.get(alert, set())
                allowed = want | shown.get(alert, set())
                if not want <= got:
                    problems.append(f"{alert}: not active for {sorted(want - got)}")
                if not got <= allowed:
                    problems.append(f"{alert}: active for {sorted(got - allowed)} too")
            if not problems or time.time() > deadline:
                break
            time.sleep(1)
        health = {name: (r["health"], r.get("lastError", "")) for name, r in loaded.items()}
        self.assertEqual(problems, [], f"active {active}\nevidence {shown}\nrules {health}\n"
                                       + self.prometheus_log())
        for r in (r for g in get_json(self.prom + "/api/v1/rules")["data"]["groups"]
                  for r in g["rules"]):
            self.assertEqual(r["health"], "ok", r)
        print("active alerts: " + ", ".join(f"{a} ({', '.join(sorted(s))})"
                                            for a, s in sorted(active.items())))


if __name__ == "__main__":
    unittest.main()
