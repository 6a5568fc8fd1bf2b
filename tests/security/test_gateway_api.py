"""The escape matrix, gateway API part: what an unauthenticated or hostile client on the
network can do to `pincer gateway` itself (no backend involved: backend "gateway" in the
table). The gateway must refuse, never crash, and keep answering /health.
"""
import json
import os
import resource
import select
import signal
import socket
import time

import pytest

from conftest import TOKEN, Matrix
from test_gateway import Gateway
from test_ws import Client, connect_params


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sec-gateway")
    (tmp / "ws").mkdir()
    (tmp / "ws" / "note.txt").write_text("note\n")
    cfg = tmp / "pincer.json5"
    cfg.write_text(f"""{{
  agents: {{ defaults: {{ sandbox: {{ mode: "off" }} }},
            list: [{{ id: "main", workspace: "{tmp}/ws" }}] }},
}}
""")
    gw = Gateway(tmp, cfg, env={"PINCER_GATEWAY_TOKEN": TOKEN})
    yield gw
    print(f"--- gateway stderr\n{gw.stderr()[-4000:]}")
    gw.stop()


LITERAL = "cfg-literal-" + os.urandom(8).hex()


def health(g, timeout=5):
    try:
        return g.request("GET", "/health", auth=False, timeout=timeout)[0]
    except OSError as e:
        return f"{type(e).__name__}"


def raw(g, data, timeout=10, read=True):
    """Sends bytes on a fresh connection; the first 200 bytes of the answer ('' if closed)."""
    with socket.create_connection(("127.0.0.1", g.port), timeout=timeout) as s:
        sent = ""
        try:
            s.sendall(data)
        except OSError as e:  # the gateway answered and closed before the end of the upload
            sent = f" (closed during the upload: {type(e).__name__})"
        try:
            return (s.recv(200).decode(errors="replace") if read else "") + sent
        except OSError as e:
            return f"{type(e).__name__}{sent}"


def status_line(reply):
    return reply.split("\r\n", 1)[0] or "connection closed"


def test_auth(g):
    m = Matrix("gateway")
    body = {"tool": "read", "args": {"path": "note.txt"}}
    for attempt, kw in (
            ("no Authorization header", {"auth": False}),
            ("wrong token", {"token": "wrong"}),
            ("the token plus one character", {"token": TOKEN + "x"}),
            ("the token minus its last character", {"token": TOKEN[:-1]}),
            ("an empty bearer", {"token": " "})):
        st, data, _ = g.request("POST", "/tools/invoke", body, **kw)
        m.check("gateway API", f"/tools/invoke with {attempt}", "401", st, st == 401)
    reply = raw(g, (f"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {TOKEN}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}").encode())
    m.check("gateway API", "/tools/invoke with the token as Basic auth", "401",
            status_line(reply), " 401 " in status_line(reply))
    st = g.request("GET", "/metrics", auth=False)[0]
    m.check("gateway API", "/metrics without a token", "401", st, st == 401)
    for attempt, auth in (("wrong token", {"token": "wrong"}), ("no token", None)):
        c = Client(g)
        params = connect_params(auth=auth) if auth else {
            k: v for k, v in connect_params().items() if k != "auth"}
        res = c.request("connect", params)
        code = c.close_code()
        m.check("gateway API", f"WebSocket connect with {attempt}", "refused, closed 1008",
                f"ok={res['ok']}, close {code}", res["ok"] is False and code == 1008)
    c = Client(g)
    c.send(json.dumps({"type": "req", "id": "1", "method": "tools.invoke",
                       "params": {"tool": "read", "args": {"path": "note.txt"}}}))
    f = c.recv()
    m.check("gateway API", "WebSocket method before connect", "refused",
            f"ok={f.get('ok')} {f.get('error', {}).get('code')}", f.get("ok") is False)
    c.close()
    assert g.request("POST", "/tools/invoke", body)[0] == 200  # the control: the right token
    m.finish()


def test_bad_requests(g):
    m = Matrix("gateway")

    def post(attempt, payload, expected, ok):
        head = (f"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
        reply = raw(g, head.encode() + payload, timeout=30)
        m.check("gateway API", attempt, expected, status_line(reply), ok(status_line(reply)))

    post("malformed JSON body", b"{not json", "400", lambda s: " 400 " in s)
    post("JSON nested 100,000 deep", b"[" * 100000, "400", lambda s: " 400 " in s)
    post("invalid UTF-8 in JSON", b'{"tool":"read","args":{"path":"\xff\xfe"}}', "4xx",
         lambda s: " 4" in s)
    post("tool is a number", b'{"tool":7}', "400", lambda s: " 400 " in s)
    big = b'{"tool":"read","args":{"pad":"' + b"x" * (3 << 20) + b'"}}'
    post("oversized body (3 MiB, limit 2 MB)", big, "413, or closed during the upload",
         lambda s: " 413 " in s or "closed during the upload" in s)
    reply = raw(g, (f"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                    "Content-Length: 999999999999\r\n\r\n").encode())
    m.check("gateway API", "Content-Length of 1 TB", "413", status_line(reply),
            " 413 " in status_line(reply))
    reply = raw(g, (f"POST /tools/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n").encode())
    m.check("gateway API", "chunked body", "411", status_line(reply),
            " 411 " in status_line(reply))
    reply = raw(g, b"GET /health HTTP/1.1\r\nHost: x\r\nCookie: " + b"a" * 20000 + b"\r\n\r\n")
    m.check("gateway API", "20 KB of headers", "431 or closed", status_line(reply),
            " 200 " not in status_line(reply))
    reply = raw(g, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(500))
    m.check("gateway API", "binary garbage (a TLS hello)", "refused or closed",
            status_line(reply)[:40], " 200 " not in status_line(reply))
    # Odd framing: none may reach a tool without the token, none may hurt the gateway.
    body = b'{"tool":"read","args":{"path":"note.txt"}}'
    odd = {
        "two Content-Length headers": b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 2\r\nContent-Length: %d\r\n\r\n" % len(body) + body,
        "Content-Length not a number": b"POST /tools/invoke HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: abc\r\n\r\n" + body,
        "absolute URI": b"POST http://127.0.0.1/tools/invoke HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
        "path with ../": b"POST /health/../tools/invoke HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
        "path with a query": b"POST /tools/invoke?x=1 HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
        "HTTP/1.0": b"POST /tools/invoke HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body,
        "8 KB URI": b"GET /" + b"a" * 8192 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "NUL in the request line": b"GET /hea\x00lth HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for attempt, data in odd.items():
        reply = raw(g, data)
        m.check("gateway API", f"{attempt}, without the token", "no tool runs (not 200)",
                status_line(reply)[:60], " 200 " not in status_line(reply) or
                "/tools/invoke" not in data.decode(errors="replace"))
    # WebSocket frames beyond the limits.
    c = Client(g)
    c.send("x" * (64 * 1024 + 1))
    code = c.close_code()
    m.check("gateway API", "WebSocket frame of 64 KiB before connect", "closed 1009", code,
            code == 1009)
    c = Client(g)
    res = c.request("connect", connect_params(auth={"token": TOKEN}))
    try:
        c.send("x" * (2 * 1024 * 1024 + 1))
        code = c.close_code()
    except OSError as e:
        code = f"closed mid-frame ({type(e).__name__})"
    m.check("gateway API", "WebSocket frame of 2 MiB + 1 after connect", "closed 1009",
            f"connected={res['ok']}, close {code}", res["ok"] and code == 1009)
    c = Client(g)
    c.send("{not json")
    try:
        f = c.recv()
        obs = f"ok={f.get('ok')} {f.get('error', {}).get('code')}"
    except Exception as e:  # noqa: BLE001 (any answer but a crash will do)
        obs = f"closed ({type(e).__name__})"
    m.check("gateway API", "WebSocket malformed JSON frame", "error or close", obs,
            "ok=True" not in obs)
    m.check("gateway API", "gateway after the bad requests", "alive, /health 200",
            f"alive={g.proc.poll() is None}, /health {health(g)}",
            g.proc.poll() is None and health(g) == 200)
    m.finish()


def test_malformed_config_on_reload(g):
    m = Matrix("gateway")
    good = g.config.read_text()
    try:
        for attempt, text in (("malformed JSON5 config on reload", "{ agents: { list: [ "),
                              ("config with an unknown key on reload", "{ nope: 1 }"),
                              ("binary config on reload", "\x00\xff\xfe" * 100),
                              ("malformed config holding a token literal, on reload",
                               f'{{ gateway: {{ auth: {{ token: "{LITERAL}" tools: 1 }} }} }}'),
                              ("config with a token literal of the wrong type, on reload",
                               f'{{ gateway: {{ auth: {{ token: ["{LITERAL}"] }} }} }}')):
            before = g.stderr().count("Failed to reload")
            g.config.write_text(text)
            g.signal(signal.SIGHUP)
            deadline = time.time() + 10
            while time.time() < deadline and g.stderr().count("Failed to reload") == before:
                time.sleep(0.05)
            n_failed = g.stderr().count("Failed to reload") - before
            st, doc = g.invoke("read", {"path": "note.txt"})
            m.check("gateway API", attempt, "old config keeps serving",
                    f"reload refused: {n_failed > 0}; read {st}; /health {health(g)}",
                    n_failed > 0 and st == 200 and g.proc.poll() is None)
    finally:
        g.config.write_text(good)
        g.signal(signal.SIGHUP)
        time.sleep(0.3)
    m.check("secrets", "token literal of a rejected config in the gateway log", "absent",
            "present" if LITERAL in g.stderr() else "absent", LITERAL not in g.stderr())
    m.finish()


def test_slow_loris(g):
    """Clients that trickle their headers are cut off; /health answers meanwhile."""
    m = Matrix("gateway")
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", g.port), timeout=5)
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    t0 = time.monotonic()
    worst, closed_at = 0.0, None
    try:
        while time.monotonic() - t0 < 20 and closed_at is None:
            for s in socks:
                try:
                    s.sendall(b"X-a: b\r\n")
                except OSError:
                    pass
            h0 = time.monotonic()
            st = health(g)
            worst = max(worst, time.monotonic() - h0) if st == 200 else 99
            r, _, _ = select.select(socks, [], [], 1.0)
            if len(r) == len(socks) and all(not s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
                                             for s in r):
                closed_at = time.monotonic() - t0
    except OSError:
        closed_at = time.monotonic() - t0
    finally:
        for s in socks:
            s.close()
    m.check("gateway API", "slow-loris: 50 connections trickling headers", "cut off after 10 s",
            f"closed after {closed_at:.0f} s" if closed_at else "still open after 20 s",
            closed_at is not None and closed_at < 15)
    m.check("gateway API", "/health during the slow-loris", "answers at once (< 3 s)",
            f"slowest {worst:.2f} s", worst < 3)
    m.finish()


def test_thousand_connections(g):
    m = Matrix("gateway")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    socks, refused = [], 0
    for _ in range(1000):
        try:
            s = socket.create_connection(("127.0.0.1", g.port), timeout=10)
            socks.append(s)
        except OSError:
            refused += 1
    statuses = {}
    try:
        for s in socks:
            try:
                s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass
        deadline = time.monotonic() + 20
        pending = list(socks)
        while pending and time.monotonic() < deadline:
            r, _, _ = select.select(pending[:1000], [], [], 1.0)
            for s in r:
                try:
                    line = s.recv(64).split(b"\r\n", 1)[0].decode(errors="replace")
                except OSError:
                    line = ""
                key = line[9:12] if line.startswith("HTTP/1.1") else "closed"
                statuses[key] = statuses.get(key, 0) + 1
                pending.remove(s)
        statuses["no answer"] = len(pending)
        during = health(g)  # with 256 kept-alive connections still open
    finally:
        for s in socks:
            s.close()
    t0 = time.monotonic()
    after = health(g)
    while after != 200 and time.monotonic() - t0 < 10:
        time.sleep(0.1)
        after = health(g)
    m.check("gateway API", "1,000 concurrent connections each sending a request",
            "404 within the cap of 256, 503 beyond, none left hanging",
            f"{dict(sorted(statuses.items()))}, {refused} refused at connect",
            statuses.get("no answer", 0) == 0)
    m.check("gateway API", "/health during and after 1,000 connections",
            "200 throughout", f"during {during}; after {after} "
            f"in {time.monotonic() - t0:.1f} s",
            g.proc.poll() is None and during == 200 and after == 200)
    m.finish()


def test_token_never_leaks(g):
    m = Matrix("gateway")
    log = g.stderr()
    m.check("secrets", "token in the gateway log (after the API attempts)", "absent",
            "present" if TOKEN in log else f"absent ({len(log)} bytes)", TOKEN not in log)
    argv = (open(f"/proc/{g.proc.pid}/cmdline", "rb").read().replace(b"\0", b" ")
            .decode(errors="replace"))
    m.check("secrets", "token in the gateway's argv (ps)", "absent",
            "present" if TOKEN in argv else "absent", TOKEN not in argv)
    st, data, _ = g.request("POST", "/tools/invoke", b"{bad", token=TOKEN)
    leaked = TOKEN.encode() in data
    m.check("secrets", "token in an error response", "absent", "present" if leaked else
            "absent", not leaked)
    m.finish()
