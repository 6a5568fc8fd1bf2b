"""pincer doctor (docs/install.md "pincer doctor"): each problem comes with the command that
fixes it. A stopped engine is a DOCKER_HOST socket with nothing listening; a missing image is a
name no engine has. The missing-image case needs the real engine (fails and says so without)."""
import json
import os
import secrets
import socket
import subprocess

import pytest


def _config(tmp_path, backend="docker", image="openclaw-sandbox:bookworm-slim"):
    cfg = tmp_path / "pincer.json5"
    cfg.write_text(f"""{{
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "{backend}", docker: {{ image: "{image}" }} }} }},
    list: [{{ id: "main", default: true }}],
  }},
}}""")
    return cfg


def _checks(r):
    out = r.json()
    return out, {c["check"]: c for c in out["checks"]}


def test_stopped_engine_is_reported_with_the_fix(run, state_dir, tmp_path):
    os.chmod(state_dir, 0o700)
    dead = tmp_path / "dead.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(dead))  # a socket file nobody listens on: connection refused
    s.close()
    cfg = _config(tmp_path)
    r = run("doctor", "--json", "--config", str(cfg), env={"DOCKER_HOST": f"unix://{dead}"})
    assert r.code == 1, r
    out, checks = _checks(r)
    assert out["ok"] is False
    agent = checks["agent:main"]
    assert agent["status"] == "fail"
    assert str(dead) in agent["message"], agent
    assert "docker-env.sh" in agent["fix"] or "systemctl start docker" in agent["fix"], agent
    assert checks["docker"]["status"] == "fail"
    # The text form says the same, with "fix:" lines.
    t = run("doctor", "--config", str(cfg), env={"DOCKER_HOST": f"unix://{dead}"})
    assert t.code == 1
    assert "FAIL" in t.out and "fix:" in t.out


def test_missing_image_is_reported_with_the_fix(run, state_dir, tmp_path):
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: run scripts/docker-env.sh",
                    pytrace=False)
    os.chmod(state_dir, 0o700)
    image = f"pincer-no-such-image:{secrets.token_hex(4)}"
    r = run("doctor", "--json", "--config", str(_config(tmp_path, image=image)))
    assert r.code == 1, r
    _, checks = _checks(r)
    agent = checks["agent:main"]
    assert agent["status"] == "fail" and image in agent["message"], agent
    assert agent["fix"].startswith(f"scripts/sandbox-image.sh --name {image}"), agent
    assert checks["docker"]["status"] == "ok" and "API 1." in checks["docker"]["message"]


def test_state_dir_permissions_and_a_healthy_setup(run, state_dir, tmp_path):
    os.chmod(state_dir, 0o755)
    cfg = tmp_path / "off.json5"
    cfg.write_text('{ agents: { defaults: { sandbox: { mode: "off" } } } }')
    r = run("doctor", "--json", "--config", str(cfg), env={"DOCKER_HOST": "unix:///nonexistent"})
    _, checks = _checks(r)
    assert r.code == 1
    assert checks["stateDir"]["status"] == "fail"
    assert checks["stateDir"]["fix"] == f"chmod 0700 {state_dir}"
    # No agent uses Docker: an absent engine is information, not a failure.
    assert checks["docker"]["status"] == "info"
    os.chmod(state_dir, 0o700)
    r = run("doctor", "--json", "--config", str(cfg), env={"DOCKER_HOST": "unix:///nonexistent"})
    out, checks = _checks(r)
    assert r.code == 0, r
    assert out["ok"] is True
    for name in ("config", "cgroups", "userNamespaces", "seccomp", "apparmor", "diskSpace"):
        assert name in checks, name


def test_invalid_config_is_reported(run, state_dir, tmp_path):
    os.chmod(state_dir, 0o700)
    cfg = tmp_path / "bad.json5"
    cfg.write_text('{ agents: { defaults: { sandbox: { mode: "sometimes" } } } }')
    r = run("doctor", "--json", "--config", str(cfg))
    assert r.code == 1
    _, checks = _checks(r)
    assert checks["config"]["status"] == "fail"
    assert "sandbox.mode" in checks["config"]["message"], checks["config"]
    assert checks["config"]["fix"].startswith(f"pincer config validate --config {cfg}")
