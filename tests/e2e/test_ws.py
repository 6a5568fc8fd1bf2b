"""The WebSocket API of `pincer gateway` (gateway spec §1.3; docs/api.md "WebSocket"),
driven with Debian's python3-websocket (websocket-client) against the real daemon on
127.0.0.1 with a throwaway state dir.

The exec tests run a sandbox: on Docker (needs the engine, see test_sandbox_docker.py) and
on the native backend (needs root and the native image, see test_sandbox_native.py); each
fails with why when PINCER_REQUIRE_DOCKER=1 / PINCER_REQUIRE_NATIVE=1, else skips with why.
"""
import json
import os
import secrets
import threading
import time

import pytest
import websocket

from test_gateway import ALLOW_EXEC, config, gateway  # noqa: F401 (fixture)
from test_sandbox_docker import Env as DockerEnv, engine_problem

TOKEN = "e2e-ws-token-0123456789abcdef"
ENV = {"PINCER_GATEWAY_TOKEN": TOKEN}
CLIENT = {"id": "test", "version": "1.0", "platform": "linux", "mode": "test"}


def connect_params(**kw):
    p = {"minProtocol": 4, "maxProtocol": 4, "client": CLIENT, "auth": {"token": TOKEN}}
    p.update(kw)
    return p


class Client:
    def __init__(self, g, timeout=60):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{g.port}/", timeout=timeout)
        self.challenge = self.recv()
        self.n = 0

    def recv(self):
        return json.loads(self.ws.recv())

    def send(self, frame):
        self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    def request(self, method, params=None, skip_events=True):
        self.n += 1
        rid = f"r{self.n}"
        frame = {"type": "req", "id": rid, "method": method}
        if params is not None:
            frame["params"] = params
        self.send(frame)
        while True:
            f = self.recv()
            if f["type"] == "event" and skip_events:
                continue
            assert f["type"] == "res" and f["id"] == rid, f
            return f

    def connect(self, **kw):
        return self.request("connect", connect_params(**kw))

    def close_code(self):
        """Reads until the server's close frame; its status code."""
        while True:
            op, data = self.ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else None

    def close(self):
        self.ws.close()


def connected(g):
    c = Client(g)
    res = c.connect()
    assert res["ok"] is True, res
    return c


def start(gateway, tmp_path, gateway_extra="", **kw):
    return gateway(config(tmp_path, gateway_extra, **kw), env=ENV)


# ---- the handshake ----------------------------------------------------------------------------


def test_handshake_ok(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = Client(g)
    ch = c.challenge
    assert ch["type"] == "event" and ch["event"] == "connect.challenge"
    assert len(ch["payload"]["nonce"]) == 32 and isinstance(ch["payload"]["ts"], int)
    res = c.connect()
    assert res["ok"] is True, res
    hello = res["payload"]
    assert hello["type"] == "hello-ok" and hello["protocol"] == 4
    assert hello["server"]["version"] and hello["server"]["connId"]
    assert {"health", "status", "tools.invoke", "sessions.list",
            "sessions.history"} <= set(hello["features"]["methods"])
    assert {"tick", "shutdown"} <= set(hello["features"]["events"])
    assert hello["policy"]["maxPayload"] == 2 * 1024 * 1024
    assert hello["policy"]["tickIntervalMs"] == 15000
    assert hello["auth"]["role"] == "operator" and "operator.write" in hello["auth"]["scopes"]
    assert {"presence", "health", "stateVersion", "uptimeMs"} <= set(hello["snapshot"])
    # connect is only valid once
    res = c.request("connect", connect_params())
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
    # a wider protocol range that includes 4 is accepted; client ids are case-insensitive
    c2 = Client(g)
    res = c2.connect(minProtocol=3, maxProtocol=9, client={**CLIENT, "id": "CLI", "mode": "cli"})
    assert res["ok"] is True, res
    c.close()
    c2.close()
    assert TOKEN not in g.stderr()


@pytest.mark.parametrize("auth,detail", [
    ({"token": "wrong"}, "AUTH_TOKEN_MISMATCH"),
    ({"token": TOKEN + "x"}, "AUTH_TOKEN_MISMATCH"),
    ({}, "AUTH_TOKEN_MISSING"),
    (None, "AUTH_TOKEN_MISSING"),
])
def test_handshake_bad_auth(gateway, tmp_path, auth, detail):
    g = start(gateway, tmp_path)
    c = Client(g)
    params = connect_params()
    if auth is None:
        del params["auth"]
    else:
        params["auth"] = auth
    res = c.request("connect", params)
    assert res["ok"] is False
    assert res["error"]["code"] == "INVALID_REQUEST"
    assert res["error"]["message"].startswith("unauthorized")
    assert res["error"]["details"]["code"] == detail
    assert c.close_code() == 1008
    assert TOKEN not in g.stderr() and "wrong" not in g.stderr()


def test_password_mode(gateway, tmp_path):
    pw = "e2e-ws-password-fedcba"
    g = gateway(config(tmp_path, 'auth: { mode: "password" }'),
                env={"PINCER_GATEWAY_PASSWORD": pw})
    c = Client(g)
    res = c.request("connect", connect_params(auth={"password": "nope"}))
    assert res["error"]["details"]["code"] == "AUTH_PASSWORD_MISMATCH"
    assert c.close_code() == 1008
    c = Client(g)
    assert c.request("connect", connect_params(auth={"password": pw}))["ok"] is True


def test_protocol_mismatch_and_bad_params(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = Client(g)
    res = c.connect(minProtocol=1, maxProtocol=3)
    assert res["ok"] is False and "protocol mismatch" in res["error"]["message"]
    assert res["error"]["details"]["expectedProtocol"] == 4
    assert c.close_code() == 1002
    c = Client(g)
    res = c.connect(client={**CLIENT, "id": "my-own-client"})
    assert res["ok"] is False and "client.id" in res["error"]["message"], res
    assert c.close_code() == 1008
    c = Client(g)
    res = c.request("connect", {"client": CLIENT})
    assert res["ok"] is False and "minProtocol" in res["error"]["message"], res


def test_request_before_connect(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = Client(g)
    res = c.request("health")
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
    assert "first request must be connect" in res["error"]["message"]
    assert c.close_code() == 1008
    # garbage before connect: an error, then the close
    c = Client(g)
    c.send("{nope")
    res = c.recv()
    assert res["type"] == "res" and res["ok"] is False and res["id"] is None
    assert c.close_code() == 1008


def test_handshake_timeout(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = Client(g)
    t0 = time.time()
    assert c.close_code() == 1008
    assert 14 <= time.time() - t0 < 25
    assert "handshake timeout" in g.stderr()


# ---- methods and errors -----------------------------------------------------------------------


def test_methods_and_errors(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = connected(g)
    res = c.request("health")
    assert res["ok"] is True and res["payload"]["ok"] is True
    res = c.request("status")
    assert res["ok"] is True, res
    st = res["payload"]
    assert st["protocol"] == 4 and st["version"] and st["uptimeMs"] >= 0
    assert [a["agentId"] for a in st["agents"]] == ["main", "family"]
    assert st["defaultAgentId"] == "main"
    assert st["sandboxes"] == {"total": 0, "byBackend": {}}
    assert st["connections"]["websocket"] == 1

    res = c.request("no.such.method", {})
    assert res["ok"] is False
    assert res["error"]["code"] == "INVALID_REQUEST"
    assert "unknown method: no.such.method" in res["error"]["message"]
    res = c.request("sessions.history", {})
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST", res
    assert "sessionKey" in res["error"]["message"]
    res = c.request("sessions.list", {"limit": "many"})
    assert res["ok"] is False and "limit" in res["error"]["message"], res

    # malformed frames after connect: an error frame each, the connection stays
    for bad in ("{not json", "[1,2]", '{"type":"req","method":"health"}',
                '{"type":"req","id":"x","method":""}', '{"type":"nope","id":"y"}',
                '"\\ud800"', '{"type":"req","id":"z","method":"health","id":"dup"}'):
        c.send(bad)
        res = c.recv()
        assert res["type"] == "res" and res["ok"] is False, (bad, res)
        assert res["error"]["code"] == "INVALID_REQUEST", res
    c.send({"type": "cancel", "id": "r1"})  # accepted and ignored
    res = c.request("tools.invoke", {"args": {}})
    assert res["ok"] is False and "requires params.name" in res["error"]["message"]
    assert c.request("health")["ok"] is True
    assert g.proc.poll() is None


def test_limits(gateway, tmp_path):
    g = start(gateway, tmp_path)
    # before connect: 64 KiB
    c = Client(g)
    c.send("x" * (64 * 1024 + 1))
    assert c.close_code() == 1009
    # after connect: 2 MiB, also when split into fragments
    c = connected(g)
    c.send(json.dumps({"type": "req", "id": "big", "method": "health",
                       "params": {"pad": "x" * (1024 * 1024)}}))
    assert c.recv()["ok"] is True  # 1 MiB is fine
    c.send("x" * (2 * 1024 * 1024 + 1))
    assert c.close_code() == 1009
    c = connected(g)
    half = "x" * (1024 * 1024 + 10)
    c.ws.send_frame(websocket.ABNF.create_frame(half, websocket.ABNF.OPCODE_TEXT, fin=0))
    c.ws.send_frame(websocket.ABNF.create_frame(half, websocket.ABNF.OPCODE_CONT, fin=1))
    assert c.close_code() == 1009
    # a fragmented request that fits is reassembled
    c = connected(g)
    frame = json.dumps({"type": "req", "id": "frag", "method": "health"})
    c.ws.send_frame(websocket.ABNF.create_frame(frame[:10], websocket.ABNF.OPCODE_TEXT, fin=0))
    c.ws.send_frame(websocket.ABNF.create_frame(frame[10:20], websocket.ABNF.OPCODE_CONT, fin=0))
    c.ws.send_frame(websocket.ABNF.create_frame(frame[20:], websocket.ABNF.OPCODE_CONT, fin=1))
    res = c.recv()
    assert res["id"] == "frag" and res["ok"] is True
    # ping is answered with pong
    c.ws.ping("hi")
    op, data = c.ws.recv_data(control_frame=True)
    assert op == websocket.ABNF.OPCODE_PONG and data == b"hi"
    # binary frames are refused
    c.ws.send_binary(b"\x00\x01")
    assert c.close_code() == 1003
    assert g.proc.poll() is None
    assert g.request("GET", "/health", auth=False)[0] == 200


def test_many_clients(gateway, tmp_path):
    g = start(gateway, tmp_path)
    n = 60
    results = []
    errors = []

    def one(i):
        try:
            c = connected(g)
            for _ in range(3):
                assert c.request("health")["ok"] is True
            assert c.request("status")["ok"] is True
            results.append(i)
            c.close()
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    assert len(results) == n
    # HTTP still answers, and every connection was closed and counted down
    assert g.request("GET", "/health", auth=False)[0] == 200
    c = connected(g)
    assert c.request("status")["payload"]["connections"]["websocket"] == 1


def test_shutdown_event(gateway, tmp_path):
    import signal
    g = start(gateway, tmp_path)
    c = connected(g)
    g.signal(signal.SIGTERM)
    f = c.recv()
    assert f["type"] == "event" and f["event"] == "shutdown", f
    assert g.proc.wait(timeout=40) == 0


# ---- tools.invoke in a sandbox ----------------------------------------------------------------


def docker_ready(tmp_path, run):
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker tests skipped: {problem}")
    return DockerEnv(tmp_path, run)


def native_ready(tmp_path):
    import test_sandbox_native as tn
    if os.geteuid() != 0:
        tn.problem_or_fail("they need root (namespaces, mounts, cgroups)")
    from pathlib import Path
    store = Path(os.environ.get("PINCER_NATIVE_IMAGE_STORE") or tmp_path / "native-store")
    store.mkdir(parents=True, exist_ok=True)
    why = tn.build_image(store)
    if why:
        tn.problem_or_fail(why)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    (state / "images").symlink_to(store / "images")
    return f"pincer-w{secrets.token_hex(3)}-"


def backend_ready(tmp_path, run, backend):
    """(the Docker env to clean up or None, the sandbox name prefix) for the backend."""
    denv = docker_ready(tmp_path, run) if backend == "docker" else None
    prefix = denv.prefix if denv else native_ready(tmp_path)
    (tmp_path / "ws").mkdir(exist_ok=True)
    return denv, prefix


@pytest.mark.parametrize("backend", ["native", "docker"])
def test_tools_invoke_exec(gateway, tmp_path, run, backend):
    denv, prefix = backend_ready(tmp_path, run, backend)
    try:
        g = start(gateway, tmp_path, ALLOW_EXEC, prefix=prefix, backend=backend)
        c = connected(g)
        res = c.request("tools.invoke", {"name": "exec",
                                         "args": {"command": "echo hello; exit 3"}})
        assert res["ok"] is True, res
        p = res["payload"]
        assert p["ok"] is True and p["toolName"] == "exec"
        assert p["result"]["content"][0]["text"].startswith("hello\n")
        assert p["result"]["details"]["exitCode"] == 3
        # the same shape as POST /tools/invoke, through the same choke point
        status, doc = g.invoke("exec", {"command": "echo hello; exit 3"},
                               token=TOKEN)
        assert status == 200 and doc["result"]["content"] == p["result"]["content"], doc
        assert set(doc["result"]["details"]) == set(p["result"]["details"])
        # the family agent's policy refuses it
        res = c.request("tools.invoke", {"tool": "exec", "agentId": "family",
                                         "args": {"command": "id"}})
        assert res["ok"] is False, res
        assert res["error"]["code"] == "FORBIDDEN"
        assert res["error"]["details"]["type"] == "tool_call_blocked"
        assert res["error"]["details"]["toolName"] == "exec"
        # status sees the sandbox
        st = c.request("status")["payload"]
        assert st["sandboxes"]["total"] == 1, st
        assert st["sandboxes"]["byBackend"][backend].get("running") == 1, st
        # unknown agent, unknown tool
        res = c.request("tools.invoke", {"name": "exec", "agentId": "nobody"})
        assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST"
        res = c.request("tools.invoke", {"name": "no_such_tool"})
        assert res["ok"] is False and res["error"]["details"]["type"] == "not_found"
        audit = [json.loads(line) for line in
                 (g.state / "audit" / "audit.jsonl").read_text().splitlines()]
        assert [a["caller"] for a in audit if a["tool"] == "exec"][:3] == ["ws", "http", "ws"]
        # health answers while a call runs
        c2 = connected(g)
        c.send({"type": "req", "id": "slow", "method": "tools.invoke",
                "params": {"name": "exec", "args": {"command": "sleep 1.5; echo done"}}})
        time.sleep(0.3)
        t0 = time.time()
        assert c2.request("health")["ok"] is True
        assert time.time() - t0 < 1
        res = c.recv()
        assert res["id"] == "slow" and res["ok"] is True, res
        assert res["payload"]["result"]["content"][0]["text"].startswith("done")
        run("sandbox", "recreate", "--all", "--force", "--config", str(g.config))
    finally:
        if denv:
            denv.cleanup()


def ws_tool(c, name, args, **extra):
    res = c.request("tools.invoke", {"name": name, "args": args, **extra})
    assert res["ok"] is True, (name, res)
    p = res["payload"]
    assert p["ok"] is True and p["toolName"] == name, p
    return p["result"]["content"][0]["text"], p["result"].get("details", {})


@pytest.mark.parametrize("backend", ["native", "docker"])
def test_every_sandboxed_tool(gateway, tmp_path, run, backend):
    """exec (foreground and background), process, write, read, edit and apply_patch over the
    WebSocket, in the agent's sandbox; then the same file seen over HTTP."""
    denv, prefix = backend_ready(tmp_path, run, backend)
    try:
        g = start(gateway, tmp_path, 'tools: { allow: ["exec", "apply_patch"] }',
                  prefix=prefix, backend=backend)
        c = connected(g)
        text, _ = ws_tool(c, "write", {"path": "notes.txt", "content": "one\ntwo\n"})
        assert "notes.txt" in text
        text, _ = ws_tool(c, "read", {"path": "notes.txt"})
        assert text == "one\ntwo\n"
        ws_tool(c, "edit", {"path": "notes.txt", "oldText": "two", "newText": "zwei"})
        ws_tool(c, "apply_patch", {"input": "*** Begin Patch\n*** Add File: added.txt\n+new\n"
                                            "*** Update File: notes.txt\n@@\n one\n-zwei\n+drei\n"
                                            "*** End Patch\n"})
        text, d = ws_tool(c, "exec", {"command": "cat notes.txt added.txt; id -u"})
        assert text.startswith("one\ndrei\nnew\n"), text
        assert d["exitCode"] == 0
        text, d = ws_tool(c, "exec", {"command": "read line; echo got:$line", "background": True})
        assert d["status"] == "running", d
        pid = d["sessionId"]
        ws_tool(c, "process", {"action": "write", "sessionId": pid, "data": "hi\n", "eof": True})
        for _ in range(50):
            text, d = ws_tool(c, "process", {"action": "poll", "sessionId": pid, "timeout": 200})
            if d["status"] != "running":
                break
        assert d["status"] == "completed", (text, d)
        text, _ = ws_tool(c, "process", {"action": "log", "sessionId": pid})
        assert "got:hi" in text, text
        text, _ = ws_tool(c, "process", {"action": "list"})
        assert pid in text
        # the same files through HTTP
        status, doc = g.invoke("read", {"path": "added.txt"}, token=TOKEN)
        assert status == 200 and doc["result"]["content"][0]["text"] == "new\n", doc
        run("sandbox", "recreate", "--all", "--force", "--config", str(g.config))
    finally:
        if denv:
            denv.cleanup()


def test_exec_on_deny_list_without_allow(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = connected(g)
    res = c.request("tools.invoke", {"name": "exec", "args": {"command": "true"}})
    assert res["ok"] is False and res["error"]["details"]["type"] == "not_found", res
    assert res["error"]["details"]["status"] == 404


def test_sessions_methods(gateway, tmp_path):
    g = start(gateway, tmp_path)
    c = connected(g)
    res = c.request("sessions.list", {})
    assert res["ok"] is True and res["payload"]["count"] == 0, res
    res = c.request("tools.invoke", {"name": "session_status", "args": {}, "sessionKey": "main"})
    assert res["ok"] is True, res
    res = c.request("sessions.list", {})
    assert res["ok"] is True, res
    keys = [s["key"] for s in res["payload"]["sessions"]]
    assert keys == ["agent:main:main"], res
    res = c.request("sessions.history", {"sessionKey": "agent:main:main", "includeTools": True})
    assert res["ok"] is True and res["payload"]["sessionKey"] == "agent:main:main", res
    assert res["payload"]["messages"], res
    res = c.request("sessions.history", {"sessionKey": "agent:main:nope"})
    assert res["ok"] is False and res["error"]["code"] == "INVALID_REQUEST", res
