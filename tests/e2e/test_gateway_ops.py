"""The gateway's operational side, driven through the real `pincer gateway` (docs/api.md):
GET /metrics, HTTP limits, config reload on file change and on SIGHUP, SIGTERM drain,
sd_notify, the log format, `pincer onboard`, the quickstart script, and 200 concurrent
clients on the native backend.

Tests that run tools need the native backend (root and the image; see test_sandbox_native.py):
without it they skip and say why, unless PINCER_REQUIRE_NATIVE=1, in which case they fail.
"""
import http.client
import json
import os
import pty
import re
import secrets
import select
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import PINCER, SOURCE_DIR
from test_gateway import Gateway, config, free_port
from test_sandbox_native import image_store  # noqa: F401 (fixture)


@pytest.fixture
def gateway(tmp_path):
    """gateway(config_text, env=None, images=None) -> Gateway; stopped (exit 0) at the end."""
    started = []

    def _start(text, env=None, images=None):
        cfg = tmp_path / "pincer.json5"
        if not cfg.exists() or text is not None:
            cfg.write_text(text)
        if images:
            (tmp_path / "state").mkdir(exist_ok=True)
            link = tmp_path / "state" / "images"
            if not link.exists():
                link.symlink_to(Path(images) / "images")
        g = Gateway(tmp_path, cfg, env)
        started.append(g)
        return g

    yield _start
    for g in started:
        print(f"--- gateway stderr\n{g.stderr()}")
        g.stop()


def native_config(tmp_path, prefix, main_tools="", extra=""):
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    os.chown(ws, 1000, 1000)
    return f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "native", scope: "agent",
                            workspaceAccess: "rw",
                            docker: {{ containerPrefix: "{prefix}", user: "1000:1000",
                                      network: "none" }} }} }},
    list: [ {{ id: "main", workspace: "{ws}", {main_tools} }} ],
  }},
  {extra}
}}"""


@pytest.fixture
def native(tmp_path, image_store):  # noqa: F811
    """(config_text_fn, image store): the sandboxes made are removed afterwards."""
    prefix = f"pincer-o{secrets.token_hex(3)}-"
    yield prefix, image_store
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(tmp_path / "state")
    cfg = tmp_path / "pincer.json5"
    if cfg.exists():
        subprocess.run([PINCER, "sandbox", "recreate", "--all", "--force", "--config", str(cfg)],
                       env=e, capture_output=True, timeout=120)


def metrics(g, **kw):
    status, data, r = g.request("GET", "/metrics", **kw)
    return status, data.decode(), r


def sample(text, name, **labels):
    """The value of one sample, or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    line = f"{name}{{{want}}} " if labels else f"{name} "
    for ln in text.splitlines():
        if ln.startswith(line):
            return float(ln[len(line):])
    return None


# ---- /metrics ---------------------------------------------------------------------------------


def test_metrics_requests_auth_and_format(gateway, tmp_path):
    g = gateway(config(tmp_path))
    # Same auth as /tools/invoke.
    assert metrics(g, auth=False)[0] == 401
    assert metrics(g, token="wrong")[0] == 401
    # The start-up wait asked /health once.
    for _ in range(2):
        assert g.request("GET", "/health", auth=False)[0] == 200
    assert g.request("GET", "/nope", auth=False)[0] == 404
    assert g.invoke("exec", {"command": "true"})[0] == 404  # the HTTP deny list
    assert g.invoke("no_such_tool")[0] == 404
    assert g.request("POST", "/tools/invoke", "{bad")[0] == 400
    status, text, r = metrics(g)
    assert status == 200, text
    assert r.getheader("Content-Type").startswith("text/plain; version=0.0.4")
    assert sample(text, "pincer_http_requests_total", route="/health", status="200") == 3
    assert sample(text, "pincer_http_requests_total", route="other", status="404") == 1
    assert sample(text, "pincer_http_requests_total", route="/metrics", status="401") == 2
    assert sample(text, "pincer_http_requests_total", route="/tools/invoke", status="400") == 1
    assert sample(text, "pincer_http_request_duration_seconds_count", route="/health") == 3
    assert sample(text, "pincer_http_request_duration_seconds_bucket", route="/health",
                  le="+Inf") == 3
    # Tool calls by tool and outcome; names outside the catalog are "other" (bounded labels).
    assert sample(text, "pincer_tool_calls_total", tool="exec", outcome="not_available") == 1
    assert sample(text, "pincer_tool_calls_total", tool="other", outcome="not_available") == 1
    assert sample(text, "pincer_tool_call_duration_seconds_count", tool="exec") == 1
    assert "no_such_tool" not in text
    assert sample(text, "pincer_http_connections_open") >= 1
    assert sample(text, "process_resident_memory_bytes") > 1_000_000
    assert sample(text, "pincer_tool_calls_in_flight") == 0
    # Every line is a comment or `name{labels} value`.
    for ln in text.splitlines():
        assert ln.startswith("# ") or re.fullmatch(r'[a-z_]+(\{[^}]*\})? [0-9.e+-]+', ln), ln
    assert g.token not in text


# ---- limits -----------------------------------------------------------------------------------


def raw(g, data, timeout=10):
    with socket.create_connection(("127.0.0.1", g.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:  # until the gateway closes (these replies all close)
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
        return out.decode(errors="replace")


def test_header_limits(gateway, tmp_path):
    g = gateway(config(tmp_path))
    # Request line and headers over 8 KiB: 431 with a JSON error, then the connection closes.
    reply = raw(g, b"GET /health HTTP/1.1\r\nHost: x\r\nCookie: " + b"c" * 9000 + b"\r\n\r\n")
    assert reply.startswith("HTTP/1.1 431"), reply
    assert '"type":"invalid_request_error"' in reply and "8192" in reply
    reply = raw(g, b"GET /health?" + b"q" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith("HTTP/1.1 431"), reply
    # Under the limit: served.
    reply = raw(g, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: " +
                b"c" * 6000 + b"\r\n\r\n")
    assert reply.startswith("HTTP/1.1 200"), reply
    # Chunked request bodies: 411 with the reason (test_gateway.py checks the status too).
    reply = raw(g, b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                g.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
    assert reply.startswith("HTTP/1.1 411"), reply
    assert "Content-Length" in reply
    _, text, _ = metrics(g)
    assert sample(text, "pincer_http_requests_total", route="/health", status="431") == 2


def closes_within(g, first, trickle, limit):
    """Sends first, then one byte of trickle a second; returns the seconds until the gateway
    closed the connection (asserting it did within limit)."""
    start = time.time()
    with socket.create_connection(("127.0.0.1", g.port), timeout=limit + 5) as s:
        s.sendall(first)
        for b in trickle:
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                if not data or data.startswith(b"HTTP/1.1 408"):
                    return time.time() - start
            assert time.time() - start < limit, "the slow client was not disconnected"
            try:
                s.send(bytes([b]))
            except OSError:
                return time.time() - start
    pytest.fail("the slow client was not disconnected")


def test_slow_clients_are_disconnected(gateway, tmp_path):
    g = gateway(config(tmp_path))
    # Headers trickling in a byte a second: cut after the header timeout (10 s).
    closes_within(g, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a" * 60, limit=25)
    # A body trickling in: cut after the I/O timeout (30 s).
    closes_within(g, b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                  g.token.encode() + b"\r\nContent-Length: 1000\r\n\r\n{", b" " * 90, limit=45)
    assert g.request("GET", "/health", auth=False)[0] == 200


# ---- reload -----------------------------------------------------------------------------------


def read_config(tmp_path, deny):
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "note.txt").write_text("hello from the workspace\n")
    return f"""{{
  gateway: {{ reload: {{ debounceMs: 100 }} }},
  agents: {{ list: [ {{ id: "main", workspace: "{ws}", tools: {{ deny: {json.dumps(deny)} }} }} ] }},
}}"""


def wait_count(g, text, n, timeout=15):
    deadline = time.time() + timeout
    while g.stderr().count(text) < n:
        assert time.time() < deadline, f"{text!r} not logged {n} times:\n{g.stderr()}"
        time.sleep(0.05)


def test_reload_on_file_change(gateway, tmp_path):
    g = gateway(read_config(tmp_path, []))
    status, doc = g.invoke("read", {"path": "note.txt"})
    assert status == 200 and "hello from the workspace" in json.dumps(doc), doc

    # An edit in place: no signal, the next call follows the new policy.
    g.config.write_text(read_config(tmp_path, ["read"]))
    wait_count(g, "configuration reloaded", 1)
    assert "file changed" in g.stderr()
    status, doc = g.invoke("read", {"path": "note.txt"})
    assert status == 403 and doc["error"]["type"] == "tool_call_blocked", doc

    # The way editors save: a new file renamed over the old one.
    tmp = tmp_path / ".pincer.json5.swp"
    tmp.write_text(read_config(tmp_path, []))
    os.rename(tmp, g.config)
    wait_count(g, "configuration reloaded", 2)
    assert g.invoke("read", {"path": "note.txt"})[0] == 200

    # An invalid file: logged with the reason, the old snapshot keeps serving.
    g.config.write_text('{ gateway: { port: "nope" } }')
    wait_count(g, "Failed to reload the configuration, keeping the old one (file changed)", 1)
    assert "gateway.port" in g.stderr()
    assert g.invoke("read", {"path": "note.txt"})[0] == 200
    assert g.request("GET", "/health", auth=False)[0] == 200

    # The same through SIGHUP.
    g.signal(signal.SIGHUP)
    wait_count(g, "Failed to reload the configuration, keeping the old one (SIGHUP)", 1)
    assert g.invoke("read", {"path": "note.txt"})[0] == 200
    g.config.write_text(read_config(tmp_path, ["read"]))
    wait_count(g, "configuration reloaded", 3)
    g.signal(signal.SIGHUP)
    wait_count(g, "configuration reloaded", 4)
    assert g.invoke("read", {"path": "note.txt"})[0] == 403
    _, text, _ = metrics(g)
    assert sample(text, "pincer_config_reloads_total", result="failed") == 2
    assert sample(text, "pincer_config_reloads_total", result="ok") == 4


def test_reload_follows_included_files(gateway, tmp_path):
    inc = tmp_path / "conf.d"
    inc.mkdir()
    (inc / "tools.json5").write_text('{ tools: { deny: [] } }')
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "note.txt").write_text("hi\n")
    g = gateway(f"""{{
  gateway: {{ reload: {{ debounceMs: 100 }} }},
  agents: {{ list: [ {{ id: "main", workspace: "{ws}", $include: "./conf.d/tools.json5" }} ] }},
}}""")
    assert g.invoke("read", {"path": "note.txt"})[0] == 200
    (inc / "tools.json5").write_text('{ tools: { deny: ["read"] } }')
    wait_count(g, "configuration reloaded", 1)
    assert g.invoke("read", {"path": "note.txt"})[0] == 403


def test_reload_mode_off_ignores_file_changes(gateway, tmp_path):
    text = read_config(tmp_path, []).replace("debounceMs: 100", 'mode: "off"')
    g = gateway(text)
    g.config.write_text(text.replace("deny: []", 'deny: ["read"]'))
    time.sleep(1.5)
    assert "configuration reloaded" not in g.stderr()
    assert g.invoke("read", {"path": "note.txt"})[0] == 200
    g.signal(signal.SIGHUP)
    wait_count(g, "configuration reloaded", 1)
    assert g.invoke("read", {"path": "note.txt"})[0] == 403


# ---- lifecycle --------------------------------------------------------------------------------


def test_sd_notify(gateway, tmp_path):
    """READY=1 once listening, RELOADING=1 + READY=1 around a reload, STOPPING=1 on SIGTERM;
    to an abstract socket ('@name') and to a path."""
    for kind in ("abstract", "path"):
        sub = tmp_path / kind
        sub.mkdir()
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if kind == "abstract":
            name = f"@pincer-test-{secrets.token_hex(6)}"
            s.bind("\0" + name[1:])
        else:
            name = str(sub / "notify.sock")
            s.bind(name)
        s.settimeout(30)
        cfg = sub / "pincer.json5"
        cfg.write_text(config(sub))
        g = Gateway(sub, cfg, {"NOTIFY_SOCKET": name})
        try:
            assert s.recv(4096) == b"READY=1"
            g.signal(signal.SIGHUP)
            msg = s.recv(4096).decode()
            assert msg.startswith("RELOADING=1\nMONOTONIC_USEC="), msg
            assert s.recv(4096) == b"READY=1"
            g.signal(signal.SIGTERM)
            assert s.recv(4096) == b"STOPPING=1"
            assert g.proc.wait(timeout=40) == 0
        finally:
            print(g.stderr())
            g.stop()
            s.close()


def test_logs_text_on_a_terminal_json_otherwise(gateway, tmp_path):
    g = gateway(config(tmp_path))
    assert '"level":"info","msg":"listening on http://127.0.0.1:' in g.stderr()
    # On a terminal: text lines, no JSON.
    cfg = tmp_path / "tty.json5"
    cfg.write_text(config(tmp_path))
    port = free_port()
    master, slave = pty.openpty()
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(tmp_path / "tty-state")
    p = subprocess.Popen([PINCER, "gateway", "--port", str(port), "--config", str(cfg)],
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=e)
    os.close(slave)
    out = b""
    try:
        deadline = time.time() + 30
        while b"listening on" not in out and time.time() < deadline:
            r, _, _ = select.select([master], [], [], 1)
            if r:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=40) == 0
    finally:
        if p.poll() is None:
            p.kill()
        os.close(master)
    text = out.decode(errors="replace")
    assert "listening on http://127.0.0.1:" in text, text
    assert '"level":' not in text and '{"ts"' not in text, text


def test_sigterm_drains_the_call_in_flight(gateway, native, tmp_path):
    prefix, store = native
    g = gateway(native_config(tmp_path, prefix), images=store)
    assert g.invoke("exec", {"command": "true"})[0] == 200  # the sandbox exists
    result = {}

    def call():
        result["r"] = g.invoke("exec", {"command": "sleep 2; echo drained-ok"})

    t = threading.Thread(target=call)
    t.start()
    deadline = time.time() + 20
    while sample(metrics(g)[1], "pincer_tool_calls_in_flight") != 1:
        assert time.time() < deadline, "the call never started"
        time.sleep(0.05)
    g.signal(signal.SIGTERM)
    g.wait_log("waiting for the tool call in flight")
    # New requests are refused while draining (503, or the listener is already gone).
    try:
        assert g.request("GET", "/health", auth=False, timeout=5)[0] == 503
    except OSError:
        pass
    t.join(60)
    status, doc = result["r"]
    assert status == 200 and "drained-ok" in json.dumps(doc), doc
    assert g.proc.wait(timeout=40) == 0


# ---- 200 concurrent clients -------------------------------------------------------------------


def test_200_concurrent_clients(gateway, native, tmp_path):
    prefix, store = native
    g = gateway(native_config(tmp_path, prefix), images=store)
    n = 200
    barrier = threading.Barrier(n)
    results = [None] * n

    def client(i):
        conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=600)
        body = json.dumps({"tool": "exec", "args": {"command": f"echo client-{i}-$((6*7))"}})
        try:
            conn.connect()
            barrier.wait(60)
            conn.request("POST", "/tools/invoke", body=body,
                         headers={"Authorization": f"Bearer {g.token}",
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            results[i] = (r.status, r.read().decode())
        except Exception as e:  # noqa: BLE001 (reported below)
            results[i] = (None, repr(e))
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(900)
    bad = [(i, r) for i, r in enumerate(results)
           if r is None or r[0] != 200 or f"client-{i}-42" not in r[1]]
    assert not bad, bad[:5]
    # Nobody got another client's output.
    for i, (_, body) in enumerate(results):
        assert set(re.findall(r"client-(\d+)-42", body)) == {str(i)}, body
    _, text, _ = metrics(g)
    assert sample(text, "pincer_tool_calls_total", tool="exec", outcome="ok") == n
    assert sample(text, "pincer_sandboxes", backend="native", state="running") == 1


# ---- what the next call sees -------------------------------------------------------------------


def follow_config(tmp_path, prefix, mark):
    """No docker.user: the sandbox runs as the owner of the workspace (spec 2.3)."""
    return f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }}, reload: {{ debounceMs: 100 }} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "native", scope: "agent",
                            workspaceAccess: "rw",
                            docker: {{ containerPrefix: "{prefix}", network: "none",
                                      env: {{ MARK: "{mark}" }} }} }} }},
    list: [ {{ id: "main", workspace: "{tmp_path / 'ws'}" }} ],
  }},
}}"""


def test_each_call_follows_the_config_the_workspace_and_the_sandbox(gateway, native, tmp_path):
    """The gateway reuses what it worked out for earlier calls (the spec, a running sandbox),
    but never past a change: a reload, a workspace whose owner changed or that was deleted, a
    sandbox removed from the CLI or whose pid 1 died."""
    prefix, store = native
    ws = tmp_path / "ws"
    ws.mkdir()
    os.chown(ws, 1000, 1000)
    g = gateway(follow_config(tmp_path, prefix, "one"), images=store)

    def run(command):
        status, doc = g.invoke("exec", {"command": command})
        assert status == 200, doc
        return doc["result"]["content"][0]["text"]

    assert run("echo $MARK $(id -u)").split() == ["one", "1000"]
    assert run("echo $MARK $(id -u)").split() == ["one", "1000"]

    g.config.write_text(follow_config(tmp_path, prefix, "two"))
    wait_count(g, "configuration reloaded", 1)
    assert run("echo $MARK").split() == ["two"]

    os.chown(ws, 1001, 1001)
    assert run("id -u").split() == ["1001"]

    # Deleted: made again (by the gateway, so root's) and mounted, not the deleted dir.
    shutil.rmtree(ws)
    assert run("id -u; touch made-after-delete").split() == ["0"]
    assert (ws / "made-after-delete").exists()

    run_dir = tmp_path / "state" / "run" / "native"
    name = next(p.name for p in run_dir.iterdir() if not p.name.startswith("."))

    def helper_pid():
        return json.loads((run_dir / name / "state.json").read_text())["pid"]

    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(tmp_path / "state")
    # (the call after a create is the first to find the sandbox running)
    run("true")
    before = helper_pid()
    r = subprocess.run([PINCER, "sandbox", "recreate", "--all", "--force", "--config",
                        str(g.config)], env=e, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert run("echo back").split() == ["back"]
    run("true")
    after = helper_pid()
    assert after != before

    def dead(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][0] in "ZX"
        except OSError:
            return True

    os.kill(after, signal.SIGKILL)
    deadline = time.time() + 10
    while not dead(after):
        assert time.time() < deadline, "pid 1 did not die"
        time.sleep(0.02)
    assert run("echo again").split() == ["again"]
    assert helper_pid() != after


# ---- onboard and the quickstart ---------------------------------------------------------------


def test_onboard(run, state_dir, tmp_path):
    r = run("onboard")
    assert r.code == 0, r
    cfg = state_dir / "pincer.json5"
    assert cfg.read_text() == (SOURCE_DIR / "examples" / "starter.json5").read_text()
    assert cfg.stat().st_mode & 0o777 == 0o600
    envfile = state_dir / "gateway.env"
    assert envfile.stat().st_mode & 0o777 == 0o600
    token = re.fullmatch(r"PINCER_GATEWAY_TOKEN=([0-9a-f]{64})\n", envfile.read_text()).group(1)
    assert r.out.count(token) == 1 and token not in r.err  # printed once, on stdout
    for ws in ("workspace", "workspace-family"):
        assert (state_dir / ws).is_dir()
        if os.geteuid() == 0:
            assert (state_dir / ws).stat().st_uid == 1000
    assert run("config", "validate", "--config", str(cfg)).code == 0

    # An existing config is not replaced without --force.
    cfg.write_text("{ }")
    r = run("onboard")
    assert r.code == 1 and "already exists" in r.err and "--force" in r.err, r
    assert cfg.read_text() == "{ }"

    r = run("onboard", "--force", "--json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["config"] == str(cfg) and doc["replaced"] is True
    assert doc["token"] is None  # kept, not printed again
    assert doc["tokenFile"] == str(envfile) and doc["agents"] == ["main", "family"]
    assert (state_dir / "pincer.json5.bak").read_text() == "{ }"
    assert envfile.read_text() == f"PINCER_GATEWAY_TOKEN={token}\n"

    # --config elsewhere, --json with the new token.
    other = tmp_path / "other" / "p.json5"
    envfile.unlink()
    r = run("onboard", "--json", "--config", str(other))
    doc = json.loads(r.out)
    assert r.code == 0 and other.exists() and re.fullmatch(r"[0-9a-f]{64}", doc["token"])
    assert run("onboard", "--bogus").code == 2


def test_quickstart_answers_the_printed_curl(tmp_path, native):  # noqa: F811
    """The quickstart on a clean state dir ends with a gateway that answers its curl."""
    prefix, store = native
    home = tmp_path / "home"
    home.mkdir()
    state = tmp_path / "state"
    port = free_port()
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(HOME=str(home), PINCER_STATE_DIR=str(state), PINCER_BIN=PINCER,
             PINCER_NATIVE_IMAGE_STORE=str(store), PINCER_GATEWAY_PORT=str(port))
    out_path = tmp_path / "quickstart.out"
    out = open(out_path, "w")
    p = subprocess.Popen(["bash", str(SOURCE_DIR / "scripts" / "quickstart.sh")],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=e)
    try:
        deadline = time.time() + 300
        while True:
            text = out_path.read_text()
            if "listening on http://127.0.0.1:" in text:
                break
            assert p.poll() is None, f"quickstart exited {p.returncode}:\n{text}"
            assert time.time() < deadline, text
            time.sleep(0.2)
        # The printed curl, run as printed.
        m = re.search(r"^  (curl -s .*?)\n\n", text, re.S | re.M)
        assert m, text
        cmd = m.group(1).replace("\\\n", " ")
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=300)
        doc = json.loads(r.stdout)
        assert doc["ok"] is True, doc
        out_text = json.dumps(doc)
        assert "uid=1000" in out_text and "Linux" in out_text, doc
        token = re.search(r"^Token: +([0-9a-f]{64})", text, re.M).group(1)
        assert (state / "gateway.env").read_text() == f"PINCER_GATEWAY_TOKEN={token}\n"
        assert (state / "pincer.json5").exists()
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=40)
        except subprocess.TimeoutExpired:
            p.kill()
        out.close()
        print(out_path.read_text())
        subprocess.run([PINCER, "sandbox", "recreate", "--all", "--force", "--config",
                        str(state / "pincer.json5")], env=e, capture_output=True, timeout=120)
    assert p.returncode == 0, out_path.read_text()
    assert "Sanitizer" not in out_path.read_text()
