"""`pincer gateway`: the real daemon on 127.0.0.1 with a free port and a throwaway state dir,
driven over HTTP (gateway spec §1.1, §1.2, §1.4, §1.6; docs/api.md).

Tests that run tools in a sandbox need Docker (see test_sandbox_docker.py); without it they
skip and say why, unless PINCER_REQUIRE_DOCKER=1 or CI is set, in which case they fail.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import PINCER
from test_sandbox_docker import EngineProxy, Env, engine_problem


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """One `pincer gateway` process; stop() checks it exits 0 without a sanitizer report."""

    def __init__(self, tmp_path, config, env=None, port_flag=True):
        self.dir = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir(exist_ok=True)
        self.config = config
        self.port = free_port()
        self.errpath = tmp_path / "gateway.stderr"
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(self.state)
        e.update(env or {})
        port_args = ["--port", str(self.port)]
        if not port_flag:
            e["PINCER_GATEWAY_PORT"] = str(self.port)
            port_args = []
        self.errfile = open(self.errpath, "w")
        self.proc = subprocess.Popen(
            [PINCER, "gateway", "run", *port_args, "--config", str(config)],
            stdin=subprocess.DEVNULL, stdout=self.errfile, stderr=self.errfile, env=e)
        deadline = time.time() + 30
        while True:
            assert self.proc.poll() is None, f"gateway exited {self.proc.returncode}:\n{self.stderr()}"
            try:
                if self.request("GET", "/health", auth=False)[0] == 200:
                    break
            except OSError:
                pass
            assert time.time() < deadline, f"gateway did not answer /health:\n{self.stderr()}"
            time.sleep(0.05)
        tok = self.state / "gateway.token"
        self.token = tok.read_text().strip() if tok.exists() else e.get("PINCER_GATEWAY_TOKEN")

    def stderr(self):
        self.errfile.flush()
        return self.errpath.read_text()

    def request(self, method, path, body=None, auth=True, token=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = {}
        if auth:
            headers["Authorization"] = f"Bearer {token or self.token}"
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            return r.status, data, r
        finally:
            conn.close()

    def invoke(self, tool, args=None, agent=None, **kw):
        body = {"tool": tool, "args": args or {}}
        if agent:
            body["agentId"] = agent
        status, data, _ = self.request("POST", "/tools/invoke", body, **kw)
        return status, json.loads(data)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait_log(self, text, timeout=10):
        deadline = time.time() + timeout
        while text not in self.stderr():
            assert time.time() < deadline, f"{text!r} not logged:\n{self.stderr()}"
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"gateway ignored SIGTERM:\n{self.stderr()}")
        self.errfile.close()
        err = self.errpath.read_text()
        assert "Sanitizer" not in err, err
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}:\n{err}"


@pytest.fixture
def gateway(tmp_path):
    """gateway(config_text, env=None) -> Gateway; always stopped, its stderr shown on failure."""
    started = []

    def _start(text, env=None, port_flag=True):
        cfg = tmp_path / "pincer.json5"
        cfg.write_text(text)
        g = Gateway(tmp_path, cfg, env, port_flag)
        started.append(g)
        return g

    yield _start
    for g in started:
        print(f"--- gateway stderr\n{g.stderr()}")
        g.stop()


def config(tmp_path, gateway_extra="", main_tools="", prefix="pincer-gw-", backend="docker"):
    return f"""{{
  gateway: {{ {gateway_extra} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "{backend}", workspaceAccess: "rw",
                            docker: {{ containerPrefix: "{prefix}" }} }} }},
    list: [
      {{ id: "main", workspace: "{tmp_path}/ws", {main_tools} }},
      {{ id: "family", workspace: "{tmp_path}/ws-family",
         tools: {{ allow: ["read"], deny: ["exec", "write", "edit", "apply_patch", "process"] }} }},
    ],
  }},
}}"""


ALLOW_EXEC = 'tools: { allow: ["exec"] }'

# ---- without Docker ---------------------------------------------------------------------------


def test_health_without_auth(gateway, tmp_path):
    g = gateway(config(tmp_path))
    for path in ("/health", "/healthz"):
        status, data, r = g.request("GET", path, auth=False)
        assert status == 200 and json.loads(data) == {"ok": True, "status": "live"}
        assert r.getheader("Content-Type") == "application/json"
        assert r.getheader("X-Content-Type-Options") == "nosniff"
        status, data, r = g.request("HEAD", path, auth=False)
        assert status == 200 and data == b""
    status, _, r = g.request("POST", "/health", body="{}", auth=False)
    assert status == 405
    assert g.request("GET", "/nope", auth=False)[0] == 404
    status, data, r = g.request("GET", "/tools/invoke")
    assert status == 405 and r.getheader("Allow") == "POST"


def test_auth(gateway, tmp_path):
    g = gateway(config(tmp_path))
    unauthorized = {"error": {"message": "Unauthorized", "type": "unauthorized"}}
    status, data, _ = g.request("POST", "/tools/invoke", {"tool": "read"}, auth=False)
    assert status == 401 and json.loads(data) == unauthorized
    status, data, _ = g.request("POST", "/tools/invoke", {"tool": "read"}, token="wrong")
    assert status == 401 and json.loads(data) == unauthorized
    status, data, _ = g.request("POST", "/tools/invoke", {"tool": "read"}, token=g.token + "x")
    assert status == 401
    # The ephemeral token: a file only the owner can read, never in the log or `ps`.
    assert (g.state / "gateway.token").stat().st_mode & 0o777 == 0o600
    assert len(g.token) == 64
    assert g.invoke("exec", {"command": "true"})[0] == 404  # authenticated
    assert g.token not in g.stderr()
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert g.token not in ps


def test_configured_token_from_env(gateway, tmp_path):
    token = "e2e-gateway-token-0123456789abcdef"
    g = gateway(config(tmp_path), env={"PINCER_GATEWAY_TOKEN": token})
    assert not (g.state / "gateway.token").exists()
    assert g.invoke("exec", {"command": "true"}, token=token)[0] == 404
    assert g.request("POST", "/tools/invoke", {"tool": "x"}, token="nope")[0] == 401
    assert token not in g.stderr()
    assert token not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_password_mode_and_port_from_env(gateway, tmp_path):
    password = "e2e-gateway-password-fedcba9876543210"
    g = gateway(config(tmp_path, 'auth: { mode: "password" }, port: 1'),
                env={"PINCER_GATEWAY_PASSWORD": password}, port_flag=False)
    assert f"listening on http://127.0.0.1:{g.port} (auth password" in g.stderr()
    assert g.invoke("exec", {"command": "true"}, token=password)[0] == 404
    assert g.request("POST", "/tools/invoke", {"tool": "x"}, token="nope")[0] == 401
    assert not (g.state / "gateway.token").exists()
    assert password not in g.stderr()


def test_request_errors(gateway, tmp_path):
    g = gateway(config(tmp_path))
    status, data, _ = g.request("POST", "/tools/invoke", "{not json")
    assert status == 400
    assert json.loads(data)["error"]["type"] == "invalid_request_error"
    status, data, _ = g.request("POST", "/tools/invoke", {"args": {}})
    assert status == 400
    assert json.loads(data) == {"error": {"message": "tools.invoke requires body.tool",
                                          "type": "invalid_request_error"}}
    status, data, _ = g.request("POST", "/tools/invoke", {"tool": "  "})
    assert status == 400
    # Over 2 MB: 413 as soon as the headers say so.
    with socket.create_connection(("127.0.0.1", g.port), timeout=30) as s:
        body = b"x" * (2 * 1024 * 1024 + 1)
        s.sendall(b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  g.token.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        try:
            s.sendall(body)
        except OSError:
            pass
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 413"), reply
    assert '"type":"invalid_request_error"' in reply
    # Chunked bodies are refused (libwebsockets 4.1 cannot decode them), not left hanging.
    with socket.create_connection(("127.0.0.1", g.port), timeout=30) as s:
        s.sendall(b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  g.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n0\r\n\r\n")
        reply = s.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 411"), reply
    assert g.request("GET", "/health", auth=False)[0] == 200
    # The request log: one line per request, method, path and status, never the body.
    err = g.stderr()
    assert '"msg":"POST /tools/invoke 400' in err and "not json" not in err


def test_http_deny_list_and_reload(gateway, tmp_path):
    """exec is on the HTTP deny list until gateway.tools.allow lists it; a SIGHUP with a
    changed policy is followed by the next call; an invalid config is logged and ignored."""
    g = gateway(config(tmp_path))
    status, doc = g.invoke("exec", {"command": "true"})
    assert status == 404
    assert doc == {"ok": False, "toolName": "exec",
                   "error": {"type": "not_found", "message": "Tool not available: exec"}}
    status, doc = g.invoke("Bash", {"command": "true"})  # aliases are normalised first
    assert status == 404 and doc["toolName"] == "exec"
    status, doc = g.invoke("apply_patch", {"input": ""})
    assert status == 404
    # Refusals by the HTTP deny list pass the choke point too: one audit line each.
    audit = [json.loads(line) for line in
             (g.state / "audit" / "audit.jsonl").read_text().splitlines()]
    assert [(a["tool"], a["decision"], a["caller"]) for a in audit] == \
        [("exec", "unavailable", "http")] * 2 + [("apply_patch", "unavailable", "http")]

    # Allowed over HTTP, but the family agent's policy still blocks it.
    g.config.write_text(config(tmp_path, ALLOW_EXEC, 'tools: { deny: ["exec"] }'))
    g.signal(signal.SIGHUP)
    g.wait_log("configuration reloaded")
    status, doc = g.invoke("exec", {"command": "id"}, agent="family")
    assert status == 403 and doc["error"]["type"] == "tool_call_blocked", doc
    status, doc = g.invoke("exec", {"command": "id"})
    assert status == 403 and 'tools.deny "exec"' in doc["error"]["message"], doc

    # An invalid config: logged with the reason, the old snapshot keeps serving.
    g.config.write_text('{ gateway: { port: "nope" }, agents: { list: [ { id: 3 } ] } }')
    g.signal(signal.SIGHUP)
    g.wait_log("Failed to reload the configuration, keeping the old one")
    assert "gateway.port" in g.stderr()
    status, doc = g.invoke("exec", {"command": "id"})
    assert status == 403 and doc["error"]["type"] == "tool_call_blocked"
    assert g.request("GET", "/health", auth=False)[0] == 200

    g.config.write_text(config(tmp_path))
    g.signal(signal.SIGHUP)
    time.sleep(0.3)
    g.wait_log("configuration reloaded", timeout=10)
    assert g.invoke("exec", {"command": "id"})[0] == 404


def test_connection_and_header_limits(gateway, tmp_path):
    g = gateway(config(tmp_path))
    # Headers beyond 8 KiB: the connection is dropped, the gateway keeps serving.
    with socket.create_connection(("127.0.0.1", g.port), timeout=10) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
        try:
            reply = s.recv(100)
        except OSError:
            reply = b""
    assert not reply.startswith(b"HTTP/1.1 200"), reply
    # Beyond 256 connections: 503, except for the liveness check.
    conns = [socket.create_connection(("127.0.0.1", g.port), timeout=10) for _ in range(270)]
    try:
        time.sleep(0.3)
        for c in conns:
            c.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        statuses = [c.recv(100)[:12] for c in conns]
        with socket.create_connection(("127.0.0.1", g.port), timeout=10) as h:
            h.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            health = h.recv(100)[:12]
    finally:
        for c in conns:
            c.close()
    assert statuses.count(b"HTTP/1.1 404") == 256, statuses
    assert statuses.count(b"HTTP/1.1 503") == 14, statuses
    assert health == b"HTTP/1.1 200", health
    assert g.request("GET", "/health", auth=False)[0] == 200


def test_refuses_non_loopback_without_auth(run, tmp_path):
    cfg = tmp_path / "c.json5"
    cfg.write_text('{ gateway: { auth: { mode: "none" } } }')
    r = run("gateway", "--bind", "lan", "--port", str(free_port()), "--config", str(cfg))
    assert r.code == 78, r
    assert "without auth" in r.err


def test_sigterm_exits_zero(gateway, tmp_path):
    g = gateway(config(tmp_path))
    g.signal(signal.SIGTERM)
    assert g.proc.wait(timeout=40) == 0
    assert "shutting down" in g.stderr()


# ---- with Docker ------------------------------------------------------------------------------


@pytest.fixture
def docker_env(tmp_path, run):
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker tests skipped: {problem}")
    e = Env(tmp_path, run)
    yield e
    e.cleanup()


def test_exec_over_http_in_docker(gateway, docker_env, tmp_path):
    e = docker_env
    g = gateway(config(tmp_path, ALLOW_EXEC, prefix=e.prefix))
    status, doc = g.invoke("exec", {"command": "echo hello; exit 3"})
    assert status == 200, doc
    assert doc["ok"] is True
    assert doc["result"]["content"][0]["type"] == "text"
    assert doc["result"]["content"][0]["text"].startswith("hello\n")
    assert doc["result"]["details"]["exitCode"] == 3
    assert e.containers(), "the call ran in a Docker sandbox"
    status, doc = g.invoke("exec", {"command": "id"}, agent="family")
    assert status == 403 and doc["error"]["type"] == "tool_call_blocked"

    # /health never waits for a tool call; SIGTERM lets the call in flight finish.
    result = {}
    t = threading.Thread(target=lambda: result.update(r=g.invoke("exec", {"command": "sleep 2; echo done"})))
    t.start()
    time.sleep(0.5)
    t0 = time.time()
    assert g.request("GET", "/health", auth=False)[0] == 200
    assert time.time() - t0 < 1
    g.signal(signal.SIGTERM)
    t.join(timeout=60)
    status, doc = result["r"]
    assert status == 200 and doc["result"]["content"][0]["text"].startswith("done"), doc
    assert g.proc.wait(timeout=40) == 0


def test_file_tools_over_http_in_docker(gateway, docker_env, tmp_path):
    """write/read/edit are not on the HTTP deny list; apply_patch is until allowed."""
    e = docker_env
    (tmp_path / "ws").mkdir(exist_ok=True)
    g = gateway(config(tmp_path, 'tools: { allow: ["apply_patch"] }', prefix=e.prefix))
    status, doc = g.invoke("write", {"path": "note.txt", "content": "one\n"})
    assert status == 200, doc
    status, doc = g.invoke("read", {"path": "note.txt"})
    assert status == 200 and "one" in doc["result"]["content"][0]["text"], doc
    status, doc = g.invoke("edit", {"path": "note.txt", "oldText": "one", "newText": "two"})
    assert status == 200, doc
    assert g.invoke("read", {"path": "note.txt"})[1]["result"]["content"][0]["text"].startswith("two")
    assert g.invoke("exec", {"command": "true"})[0] == 404  # still on the deny list
    status, doc = g.invoke("read", {"path": "note.txt"}, agent="family")
    assert status != 403, doc  # family may read (its own workspace)
    status, doc = g.invoke("write", {"path": "x", "content": ""}, agent="family")
    assert status == 403 and doc["error"]["type"] == "tool_call_blocked", doc


def test_engine_down_while_running(gateway, docker_env, tmp_path):
    e = docker_env
    proxy = EngineProxy(tmp_path / "engine.sock")
    proxy.start()
    try:
        g = gateway(config(tmp_path, ALLOW_EXEC, prefix=e.prefix),
                    env={"DOCKER_HOST": f"unix://{proxy.path}"})
        status, doc = g.invoke("exec", {"command": "true"})
        assert status == 200, doc
        proxy.stop()
        status, doc = g.invoke("exec", {"command": "true"})
        assert status == 503, doc
        assert doc["error"]["type"] == "unavailable"
        assert "Docker engine unavailable" in doc["error"]["message"]
        proxy.start()
        status, doc = g.invoke("exec", {"command": "echo back"})
        assert status == 200 and doc["result"]["content"][0]["text"].startswith("back"), doc
        assert g.proc.poll() is None
    finally:
        if proxy.listener and proxy.listener.fileno() >= 0:
            proxy.stop()
