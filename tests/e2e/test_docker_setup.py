"""scripts/docker-setup.sh on the real engine (docs/install.md "Docker").

Builds the gateway image with an extra apt package from PINCER_DOCKER_APT_PACKAGES, writes .env
and the starter configuration into a throwaway directory, starts the container (docker-compose
when installed, then the `docker run` path on the re-run), and talks to it from the host. Needs
the engine (scripts/docker-env.sh; the script builds its base image from the Debian mirror when
missing) and, for the sandbox test, openclaw-sandbox:bookworm-slim (scripts/sandbox-image.sh):
without them the tests fail and say so.
"""
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import SOURCE_DIR

SCRIPT = str(SOURCE_DIR / "scripts" / "docker-setup.sh")
SANDBOX_IMAGE = "openclaw-sandbox:bookworm-slim"
EXTRA_PACKAGE = "file"  # small, and not in the base image


def _docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check,
                          timeout=120)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_env(path):
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


class Setup:
    def __init__(self, tmp):
        self.dir = tmp
        self.name = "pincertest" + secrets.token_hex(4)
        self.image = f"pincer-test:{self.name}"
        self.port = _free_port()
        self.env_file = tmp / ".env"
        self.config_dir = tmp / "config"

    def run(self, *args, runner=None, extra=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PINCER_", "OPENCLAW_"))}
        env.update({
            "PINCER_ENV_FILE": str(self.env_file),
            "PINCER_CONFIG_DIR": str(self.config_dir),
            "PINCER_GATEWAY_PORT": str(self.port),
            "PINCER_CONTAINER_NAME": self.name,
            "PINCER_IMAGE": self.image,
            "PINCER_DOCKER_APT_PACKAGES": EXTRA_PACKAGE,
        })
        if runner:
            env["PINCER_DOCKER_SETUP_RUNNER"] = runner
        env.update(extra or {})
        proc = subprocess.run([SCRIPT, *args], cwd=SOURCE_DIR, env=env, capture_output=True,
                              text=True, timeout=1800)
        assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def env(self):
        return _read_env(self.env_file)

    def http(self, method, path, body=None, token=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(body).encode() if body else None)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body)
            except ValueError:
                return e.code, {"raw": body.decode(errors="replace")}

    def cleanup(self):
        for c in _docker("ps", "-aq", "--filter", f"name={self.name}", check=False).stdout.split():
            _docker("rm", "-f", c, check=False)
        _docker("network", "rm", f"{self.name}_default", check=False)
        _docker("rmi", self.image, check=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: run scripts/docker-env.sh",
                    pytrace=False)
    s = Setup(tmp_path_factory.mktemp("docker-setup"))
    s.first_out = s.run()
    yield s
    s.cleanup()


def test_env_file_and_starter_config(setup):
    env = setup.env()
    assert env["PINCER_CONFIG_DIR"] == str(setup.config_dir)
    assert env["PINCER_WORKSPACE_DIR"] == str(setup.config_dir / "workspace")
    assert env["PINCER_GATEWAY_PORT"] == str(setup.port)
    assert env["PINCER_GATEWAY_BIND"] == "loopback"
    assert env["PINCER_IMAGE"] == setup.image
    assert env["PINCER_DOCKER_APT_PACKAGES"] == EXTRA_PACKAGE
    assert env["PINCER_TZ"] == "UTC"
    assert len(env["PINCER_GATEWAY_TOKEN"]) == 64
    assert (setup.env_file.stat().st_mode & 0o077) == 0
    config = setup.config_dir / "pincer.json5"
    assert config.is_file() and (config.stat().st_mode & 0o077) == 0
    assert env["PINCER_GATEWAY_TOKEN"] not in config.read_text()
    assert env["PINCER_GATEWAY_TOKEN"] not in setup.first_out


def test_image_has_the_extra_package_and_no_compiler(setup):
    out = _docker("run", "--rm", "--entrypoint", "sh", setup.image, "-c",
                  f"id -u; dpkg-query -W -f='${{Status}}\\n' {EXTRA_PACKAGE}; "
                  "command -v gcc cc cmake || echo no-build-tools").stdout.split("\n")
    assert out[0] == "1000", out  # not root
    assert "install ok installed" in out[1], out
    assert "no-build-tools" in out[2], out


def test_health_and_a_tool_call_from_the_host(setup):
    assert setup.http("GET", "/health")[0] == 200
    body = {"tool": "write", "args": {"path": "from-host.txt", "content": "hello"}}
    assert setup.http("POST", "/tools/invoke", body)[0] == 401
    status, reply = setup.http("POST", "/tools/invoke", body, setup.env()["PINCER_GATEWAY_TOKEN"])
    assert status == 200 and reply["ok"], reply
    assert (setup.config_dir / "workspace" / "from-host.txt").read_text() == "hello"
    # Published on loopback only (PINCER_GATEWAY_BIND=loopback).
    ports = _docker("ps", "--filter", f"name={setup.name}", "--format", "{{.Ports}}").stdout
    assert f"127.0.0.1:{setup.port}->18789" in ports, ports


def test_cli_service_through_compose(setup):
    """docker-compose.yml's pincer-cli service: the CLI on the same state dir."""
    if not shutil.which("docker-compose"):
        pytest.fail("docker-compose is not installed: run scripts/setup.sh "
                    "(apt-get install docker-compose)", pytrace=False)
    proc = subprocess.run(["docker-compose", "--env-file", str(setup.env_file), "--project-name",
                           setup.name, "-f", "docker-compose.yml", "run", "--rm", "pincer-cli",
                           "config", "validate"], cwd=SOURCE_DIR, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "pincer.json5" in proc.stdout + proc.stderr


def test_rerun_keeps_the_token_and_settings(setup):
    before = setup.env()
    with open(setup.env_file, "a") as f:
        f.write("MY_OWN_SETTING=kept\n")
    # The re-run takes the port from .env and uses `docker run` instead of compose.
    out = setup.run(runner="run", extra={"PINCER_GATEWAY_PORT": ""})
    assert "generated a new gateway token" not in out
    after = setup.env()
    assert after["PINCER_GATEWAY_TOKEN"] == before["PINCER_GATEWAY_TOKEN"]
    assert after["PINCER_GATEWAY_PORT"] == before["PINCER_GATEWAY_PORT"]
    assert after["MY_OWN_SETTING"] == "kept"
    assert "keeping the configuration" in out
    deadline = time.time() + 30
    while setup.http("GET", "/health")[0] != 200 and time.time() < deadline:
        time.sleep(0.5)
    status, reply = setup.http("POST", "/tools/invoke",
                               {"tool": "read", "args": {"path": "from-host.txt"}},
                               after["PINCER_GATEWAY_TOKEN"])
    assert status == 200 and "hello" in json.dumps(reply), reply


def test_bad_settings_are_refused_before_anything_runs(setup, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PINCER_", "OPENCLAW_"))}
    env["PINCER_ENV_FILE"] = str(tmp_path / ".env")
    for key, value, says in (("PINCER_TZ", "Mars/Olympus", "not in /usr/share/zoneinfo"),
                             ("PINCER_GATEWAY_PORT", "99999", "out of range"),
                             ("PINCER_CONFIG_DIR", "/tmp/has space", "whitespace"),
                             ("PINCER_DOCKER_APT_PACKAGES", "ok;rm -rf /", "not a Debian package")):
        proc = subprocess.run([SCRIPT, "--no-start"], cwd=SOURCE_DIR, env={**env, key: value},
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and says in proc.stderr, (key, proc.stderr)
    assert not (tmp_path / ".env").exists()


def test_new_token_replaces_it(setup):
    before = setup.env()["PINCER_GATEWAY_TOKEN"]
    out = setup.run("--new-token", "--no-start")
    assert "generated a new gateway token" in out
    assert setup.env()["PINCER_GATEWAY_TOKEN"] != before


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory):
    """PINCER_SANDBOX=1: the gateway container gets the socket, sandboxes are host containers."""
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: run scripts/docker-env.sh",
                    pytrace=False)
    if _docker("image", "inspect", SANDBOX_IMAGE, check=False).returncode != 0:
        pytest.fail(f"sandbox image {SANDBOX_IMAGE} missing: run scripts/sandbox-image.sh",
                    pytrace=False)
    s = Setup(tmp_path_factory.mktemp("docker-setup-sandbox"))
    s.first_out = s.run(extra={"PINCER_SANDBOX": "1"})
    yield s
    s.cleanup()


def test_exec_in_a_sandbox_through_the_host_engine(sandboxed):
    s = sandboxed
    env = s.env()
    assert env["PINCER_SANDBOX"] == "1" and env["DOCKER_GID"].isdigit()
    status, reply = s.http("POST", "/tools/invoke",
                           {"tool": "exec", "args": {"command": "echo hi >/workspace/sbx.txt; "
                                                     "id -u; hostname"}},
                           env["PINCER_GATEWAY_TOKEN"])
    assert status == 200 and reply["ok"], reply
    uid, hostname = reply["result"]["details"]["aggregated"].split()
    assert uid == "1000"
    # The file lands in the host's workspace dir: the bind source was translated from the
    # gateway's /home/pincer/.pincer/workspace to the host path.
    workspace = s.config_dir / "workspace"
    assert (workspace / "sbx.txt").read_text() == "hi\n"
    # The sandbox is its own container on the host engine, not the gateway's.
    sbx = _docker("ps", "-q", "--no-trunc", "--filter", f"name=^/{s.name}-sbx-").stdout.split()
    assert len(sbx) == 1, sbx
    assert sbx[0].startswith(hostname)
    mounts = json.loads(_docker("inspect", "-f", "{{json .Mounts}}", sbx[0]).stdout)
    assert {"Source": str(workspace), "Destination": "/workspace"} in [
        {"Source": m["Source"], "Destination": m["Destination"]} for m in mounts], mounts
    gw = _docker("ps", "-q", "--filter", f"label=com.docker.compose.project={s.name}").stdout.split()
    logs = _docker("logs", gw[0]).stderr + _docker("logs", gw[0]).stdout
    assert "translated to host paths" in logs, logs


def test_docker_binds_are_translated_or_refused(sandboxed):
    """docker.binds from the containerised gateway: a source under one of its bind mounts is
    translated to the host path; one on its own filesystem has no host path and is refused with
    the mount to add."""
    s = sandboxed
    env = s.env()
    ws = s.config_dir / "workspace-binder"  # the agent's own workspace: binds may come from it
    (ws / "data").mkdir(parents=True, exist_ok=True)
    (ws / "data" / "note.txt").write_text("from the host\n")
    for d in (ws, ws / "data"):
        os.chown(d, 1000, 1000)
    config = s.config_dir / "pincer.json5"
    text = config.read_text()
    agents = ('list: [{ id: "main", default: true, tools: { profile: "coding" } },\n'
              '  { id: "binder", tools: { profile: "coding" }, sandbox: { docker: { binds: '
              '["/home/pincer/.pincer/workspace-binder/data:/data:ro"] } } },\n'
              '  { id: "outside", tools: { profile: "coding" }, sandbox: { docker: { binds: '
              '["/opt:/opt-host:ro"], dangerouslyAllowExternalBindSources: true } } }],')
    assert 'list: [{ id: "main", default: true, tools: { profile: "coding" } }],' in text
    config.write_text(text.replace(
        'list: [{ id: "main", default: true, tools: { profile: "coding" } }],', agents))
    gw = _docker("ps", "-q", "--filter", f"label=com.docker.compose.project={s.name}").stdout.split()
    _docker("kill", "-s", "HUP", gw[0])
    token = env["PINCER_GATEWAY_TOKEN"]
    deadline = time.time() + 20
    while True:
        status, reply = s.http("POST", "/tools/invoke", {
            "tool": "exec", "agentId": "binder", "sessionKey": "agent:binder:main",
            "args": {"command": "cat /data/note.txt"}}, token)
        if status == 200 or time.time() > deadline:
            break
        time.sleep(0.5)
    assert status == 200 and reply["ok"], reply
    assert "from the host" in reply["result"]["details"]["aggregated"]

    status, reply = s.http("POST", "/tools/invoke", {
        "tool": "exec", "agentId": "outside", "sessionKey": "agent:outside:main",
        "args": {"command": "true"}}, token)
    text = json.dumps(reply)
    assert status != 200 or not reply.get("ok"), reply
    assert "bind source '/opt'" in text and "own filesystem" in text, text
