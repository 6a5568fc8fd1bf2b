"""Tool calls through the one choke point (`pincer tools invoke`, the same dispatch as
POST /tools/invoke): policy, sandbox, result shapes and the audit record, on Docker."""
import json
import os

import pytest

from test_sandbox_docker import Env, engine_problem

SECRET = "e2e-secret-ghp-0123456789"


@pytest.fixture(scope="module", autouse=True)
def need_docker():
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker tests skipped: {problem}")


@pytest.fixture
def env(tmp_path, run):
    e = Env(tmp_path, run)
    e.config.write_text(f"""{{
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "docker", workspaceAccess: "rw",
                docker: {{ containerPrefix: "{e.prefix}", env: {{ GITHUB_TOKEN: "${{E2E_SECRET}}" }} }} }} }},
    list: [
      {{ id: "main", workspace: "{e.ws}" }},
      {{ id: "family", workspace: "{tmp_path}/ws-family",
         tools: {{ allow: ["read"], deny: ["exec", "write", "edit", "apply_patch", "process"] }} }},
    ],
  }},
}}""")
    e.extra_env = {"E2E_SECRET": SECRET}
    yield e
    e.cleanup()


def invoke(env, tool, args=None, agent=None):
    cmd = ["tools", "invoke", "--json"] + (["--agent", agent] if agent else []) + [tool]
    if args is not None:
        cmd.append(json.dumps(args))
    return env.pincer(*cmd)


def audit_lines(env):
    path = env.dir / "state" / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_exec_result_shapes(env):
    r = invoke(env, "exec", {"command": "echo out; echo err >&2; exit 3"})
    assert r.code == 0, r
    doc = r.json()
    assert doc["ok"] is True
    text = doc["result"]["content"][0]["text"]
    assert text == "out\nerr\n\n\n(Command exited with code 3)"
    d = doc["result"]["details"]
    assert d["status"] == "completed" and d["exitCode"] == 3 and d["cwd"] == "/workspace"

    doc = invoke(env, "bash", {"command": "true"}).json()  # alias
    assert doc["result"]["content"][0]["text"] == "(no output)"

    r = invoke(env, "exec", {"command": "sleep 20", "timeoutSeconds": 1})
    assert r.code == 1
    doc = r.json()
    assert doc["ok"] is True and "Command timed out after 1 seconds" in doc["result"]["content"][0]["text"]

    doc = invoke(env, "exec", {"command": "pwd", "workdir": "/etc"}).json()
    assert doc["result"]["content"][0]["text"].startswith('Warning: workdir "/etc" is unavailable')


def test_refusals_have_openclaw_shapes(env):
    r = invoke(env, "exec", {"command": "id"}, agent="family")
    assert r.code == 1
    doc = r.json()
    assert doc == {"ok": False, "toolName": "exec",
                   "error": {"type": "tool_call_blocked", "message": doc["error"]["message"]}}
    assert 'agents.list[1].tools.deny "exec"' in doc["error"]["message"]

    doc = invoke(env, "gateway", {}).json()
    assert doc["error"]["type"] == "tool_call_blocked"  # denied by the default sandbox deny list
    doc = invoke(env, "web_fetch", {}).json()
    assert doc["error"]["type"] in ("tool_call_blocked", "not_found")
    doc = invoke(env, "exec", {}).json()
    assert doc["error"]["type"] == "tool_error" and "'command' is required" in doc["error"]["message"]
    doc = invoke(env, "exec", {"command": "true"}, agent="nobody").json()
    assert doc["error"] == {"type": "invalid_request", "message": 'unknown agent id "nobody"'}


def test_one_audit_line_per_call_and_no_secrets(env):
    invoke(env, "exec", {"command": "echo $GITHUB_TOKEN; echo ok"})
    invoke(env, "exec", {"command": "id"}, agent="family")
    invoke(env, "exec", {"command": f"echo {SECRET}"})
    lines = audit_lines(env)
    assert len(lines) == 3
    assert [l["decision"] for l in lines] == ["allowed", "denied", "allowed"]
    assert lines[0]["sandbox"].startswith(env.prefix) and lines[0]["backend"] == "docker"
    assert lines[1]["rule"] == 'denied by agents.list[1].tools.deny "exec"'
    for l in lines:
        assert {"ts", "agent", "session", "tool", "decision", "status"} <= set(l)
    raw = (env.dir / "state" / "audit" / "audit.jsonl").read_text()
    assert SECRET not in raw  # arguments are never recorded
    # The blocked env secret never reached the sandbox.
    doc = invoke(env, "exec", {"command": "echo \"[$GITHUB_TOKEN]\""}).json()
    assert doc["result"]["content"][0]["text"] == "[]\n"
