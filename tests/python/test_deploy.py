"""Checks what can be checked of deploy/ without Docker or a cluster.

- every YAML file parses; compose and Kubernetes objects have the expected shape;
- the RabbitMQ definitions match the topology the code declares (workers/jobs/src/topology.rs);
- every `fazhi` subcommand, `--flag` and `FAZHI_*` variable used in the Dockerfile, compose file
  and manifests exists in the built binary's `--help` (FAZHI_BIN, default target/debug/fazhi);
- the Prometheus alert rules pass `promtool check rules` and their unit tests
  (deploy/prometheus/alerts_test.yaml); promtool comes from Debian's `prometheus` package, which
  .ci/run installs when it is missing.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BIN = pathlib.Path(os.environ.get("FAZHI_BIN", REPO / "target" / "debug" / "fazhi"))
SERVER_COMMANDS = ("serve", "gateway", "worker")


def yaml_files():
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yml", ".yaml"})


def load_all(path):
    with path.open(encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


_help_cache: dict[str, str] = {}


def help_text(command: str | None) -> str:
    key = command or ""
    if key not in _help_cache:
        assert BIN.is_file(), f"fazhi binary not found at {BIN} (build it or set FAZHI_BIN)"
        args = [str(BIN)] + ([command] if command else []) + ["--help"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAZHI_")}
        _help_cache[key] = subprocess.run(
            args, check=True, capture_output=True, text=True, timeout=30, env=env
        ).stdout
    return _help_cache[key]


def test_yaml_parses():
    files = yaml_files()
    assert files, "no YAML in deploy/"
    for f in files:
        assert load_all(f), f"{f} is empty"


def compose():
    return load_all(DEPLOY / "docker-compose.yml")[0]


def test_compose_shape():
    c = compose()
    services = c["services"]
    assert {"rabbitmq", "redis", "gateway", "worker"} <= set(services)
    for name in ("rabbitmq", "redis", "gateway", "worker"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
        assert services[name]["healthcheck"]["test"][0] in {"CMD", "CMD-SHELL"}
    for name in ("gateway", "worker"):
        svc = services[name]
        deps = svc["depends_on"]
        for backend in ("rabbitmq", "redis"):
            assert deps[backend]["condition"] == "service_healthy", (name, backend)
        assert svc["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()
        assert svc["environment"]["FAZHI_AMQP_URL"].startswith("amqp://")
        assert svc["environment"]["FAZHI_REDIS_URL"].startswith("redis://")
    assert services["worker"]["deploy"]["replicas"] == 2
    # Every bind-mounted file exists.
    for svc in services.values():
        for vol in svc.get("volumes", []):
            src = vol.split(":", 1)[0]
            if src.startswith("./"):
                assert (DEPLOY / src).exists(), vol


def k8s_objects():
    objs = []
    for f in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if f.name == "kustomization.yaml":
            continue
        for d in load_all(f):
            objs.append((f.name, d))
    return objs


def test_k8s_shape():
    objs = k8s_objects()
    kinds = {}
    for fname, o in objs:
        assert {"apiVersion", "kind", "metadata"} <= set(o), fname
        kinds.setdefault(o["kind"], []).append(o)
    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget", "ScaledObject"):
        assert kind in kinds, f"no {kind}"
    kust = load_all(DEPLOY / "k8s" / "kustomization.yaml")[0]
    for r in kust["resources"]:
        assert (DEPLOY / "k8s" / r).is_file(), r

    deployments = {d["metadata"]["name"]: d for d in kinds["Deployment"]}
    gw = deployments["fazhi-gateway"]["spec"]["template"]["spec"]["containers"][0]
    assert gw["readinessProbe"]["grpc"]["port"] == 50051
    assert "grpc" in gw["startupProbe"]
    for d in deployments.values():
        spec = d["spec"]
        assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
        pod = spec["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        for c in pod["containers"]:
            assert c["resources"]["requests"] and c["resources"]["limits"]
    svc = kinds["Service"][0]
    assert svc["spec"]["selector"].items() <= deployments["fazhi-gateway"]["spec"]["template"]["metadata"]["labels"].items()
    so = kinds["ScaledObject"][0]
    assert so["spec"]["scaleTargetRef"]["name"] in deployments
    trig = so["spec"]["triggers"][0]
    assert trig["type"] == "rabbitmq"
    assert trig["metadata"]["protocol"] == "http"
    assert trig["metadata"]["queueName"] == "fazhi.jobs"
    # The OCR lane scales the workers too.
    assert {t["metadata"]["queueName"] for t in so["spec"]["triggers"]} == {"fazhi.jobs", "fazhi.jobs.ocr"}
    for pdb in kinds["PodDisruptionBudget"]:
        assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] in deployments

    # Every secret / config map a pod refers to is defined.
    names = {(o["kind"], o["metadata"]["name"]) for _, o in objs}
    for d in deployments.values():
        pod = d["spec"]["template"]["spec"]
        for c in pod["containers"]:
            for ref in c.get("envFrom", []):
                if "configMapRef" in ref:
                    assert ("ConfigMap", ref["configMapRef"]["name"]) in names
                if "secretRef" in ref:
                    assert ("Secret", ref["secretRef"]["name"]) in names
        for v in pod.get("volumes", []):
            if "secret" in v:
                assert ("Secret", v["secret"]["secretName"]) in names


def test_rabbitmq_definitions_match_topology():
    defs = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    topo = (REPO / "workers" / "jobs" / "src" / "topology.rs").read_text()
    lib = (REPO / "workers" / "jobs" / "src" / "lib.rs").read_text()
    # Names the code builds from the prefix, with the default prefix "fazhi.".
    for suffix in ("jobs", "jobs.ocr", "dlx", "jobs.dead"):
        assert f'"{{}}{suffix}"' in topo, f"topology.rs no longer names {{prefix}}{suffix}"
    limit = int(re.search(r"DEFAULT_DELIVERY_LIMIT: u32 = (\d+);", lib).group(1))
    queues = {q["name"]: q for q in defs["queues"]}
    # The text lane and the OCR lane: the same arguments, the same dead-letter queue.
    for name in ("fazhi.jobs", "fazhi.jobs.ocr"):
        jobs = queues[name]
        assert jobs["durable"] and not jobs["auto_delete"]
        assert jobs["arguments"] == {
            "x-queue-type": "quorum",
            "x-delivery-limit": limit,
            "x-dead-letter-exchange": "fazhi.dlx",
            "x-dead-letter-routing-key": "fazhi.jobs.dead",
        }
    assert queues["fazhi.jobs.dead"]["arguments"] == {"x-queue-type": "quorum"}
    (dlx,) = [e for e in defs["exchanges"] if e["name"] == "fazhi.dlx"]
    assert dlx["type"] == "direct" and dlx["durable"]
    assert {
        (b["source"], b["destination"], b["routing_key"]) for b in defs["bindings"]
    } == {("fazhi.dlx", "fazhi.jobs.dead", "fazhi.jobs.dead")}
    # The compose URL's user exists with permissions.
    users = {u["name"] for u in defs["users"]}
    url = compose()["x-fazhi-env"]["FAZHI_AMQP_URL"]
    user = re.match(r"amqp://([^:]+):", url).group(1)
    assert user in users
    assert any(p["user"] == user for p in defs["permissions"])


def invocations():
    """(command, [args]) of every fazhi invocation in the deploy files."""
    found = []
    c = compose()
    for name, svc in c["services"].items():
        cmd = svc.get("command")
        if isinstance(cmd, list) and svc.get("image", "").startswith("fazhi"):
            found.append((f"compose:{name}", cmd))
        hc = svc.get("healthcheck", {}).get("test", [])
        if len(hc) > 2 and hc[1].endswith("/fazhi"):
            found.append((f"compose:{name}:healthcheck", hc[2:]))
    for fname, o in k8s_objects():
        if o["kind"] != "Deployment":
            continue
        for ctr in o["spec"]["template"]["spec"]["containers"]:
            found.append((f"k8s:{fname}", ctr.get("args", [])))
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    cmd = re.search(r'^CMD \[(.*)\]', dockerfile, re.M)
    found.append(("Dockerfile:CMD", json.loads(f"[{cmd.group(1)}]")))
    return found


@pytest.mark.parametrize("where,args", invocations())
def test_flags_exist(where, args):
    assert args, f"{where}: no arguments"
    command = args[0]
    assert re.search(rf"^\s+{command}\s", help_text(None), re.M), f"{where}: no subcommand {command}"
    sub_help = help_text(command)
    for a in args[1:]:
        if a.startswith("--"):
            flag = a.split("=", 1)[0]
            assert re.search(rf"{re.escape(flag)}\b", sub_help), f"{where}: {command} has no {flag}"


# Read by the build, not by fazhi: services/workbench/build.rs and the workbench's npm scripts.
BUILD_ENV = {"FAZHI_WEB_DIST", "FAZHI_WEB_OUT"}


def env_vars_used():
    names = set()
    texts = [(DEPLOY / "Dockerfile").read_text(), (DEPLOY / "docker-compose.yml").read_text()]
    texts += [f.read_text() for f in (DEPLOY / "k8s").glob("*.yaml")]
    for t in texts:
        names.update(re.findall(r"\b(FAZHI_[A-Z0-9_]+)\b", t))
    return sorted(names - BUILD_ENV)


def test_env_vars_exist():
    used = env_vars_used()
    assert "FAZHI_AMQP_URL" in used
    helps = "\n".join(help_text(c) for c in SERVER_COMMANDS + ("probe",)) + help_text(None)
    helps = " ".join(helps.split())  # undo line wrapping
    missing = [v for v in used if f"env: {v}" not in helps]
    assert not missing, f"env vars used in deploy/ but unknown to fazhi: {missing}"


def test_alert_rules_pass_promtool():
    promtool = shutil.which("promtool")
    assert promtool, "promtool not found: install Debian's prometheus package (.ci/run does)"
    rules = DEPLOY / "prometheus"
    for args in (["check", "rules", "alerts.yaml"], ["test", "rules", "alerts_test.yaml"]):
        r = subprocess.run(
            [promtool, *args], cwd=rules, capture_output=True, text=True, timeout=60
        )
        assert r.returncode == 0, f"promtool {' '.join(args)}:\n{r.stdout}{r.stderr}"
