"""Concurrent tool calls through `pincer gateway` (docs/api.md "Threads and concurrency"):
many POST /tools/invoke exec calls at once, on the native and on the Docker backend, each
get their own output and exit status; calls really overlap (two calls that wait for each
other inside the sandbox both finish); the audit log gets one whole JSON line per call,
and the session's transcript every call.

The native tests need root and the native image (see test_sandbox_native.py), the Docker
ones a Docker engine (see test_sandbox_docker.py); each skips and says why, or fails under
PINCER_REQUIRE_NATIVE=1 / PINCER_REQUIRE_DOCKER=1.
"""
import json
import os
import secrets
import subprocess
import threading

from conftest import PINCER

from test_gateway import ALLOW_EXEC, config, docker_env, gateway  # noqa: F401 - fixtures
from test_sandbox_native import image_store  # noqa: F401 - fixture

CLIENTS = 12
CALLS_PER_CLIENT = 6


def command(n):
    """A command whose output and status only call n produces, with a little sleep in between
    so that calls interleave."""
    return f"echo start-{n}; sleep 0.0{n % 4}; echo end-{n} >&2; echo out-{n}; exit {n % 7}"


def hammer(g, clients, calls):
    """clients threads, calls each; returns a list of failures (empty when all are right)."""
    failures = []
    lock = threading.Lock()

    def client(c):
        for k in range(calls):
            n = c * 1000 + k
            try:
                status, doc = g.invoke("exec", {"command": command(n)})
                details = doc.get("result", {}).get("details", {})
                text = doc.get("result", {}).get("content", [{}])[0].get("text", "")
                ok = (status == 200 and f"start-{n}\n" in text and f"out-{n}\n" in text and
                      f"end-{n}" in text and details.get("exitCode") == n % 7 and
                      text.count("start-") == 1)
                if not ok:
                    with lock:
                        failures.append((n, status, doc))
            except Exception as e:  # noqa: BLE001 - reported by the assertion
                with lock:
                    failures.append((n, "exception", repr(e)))

    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return failures


def rendezvous(g, tag):
    """Two calls that each wait (up to 30 s) for the other to have started: both finish only
    when the gateway runs them at the same time."""
    results = {}
    script = ("touch /workspace/{tag}-{me}; i=0; while [ ! -e /workspace/{tag}-{other} ]; do "
              "i=$((i+1)); [ $i -gt 300 ] && {{ echo alone; exit 9; }}; sleep 0.1; done; "
              "echo met-{me}")

    def one(me, other):
        results[me] = g.invoke("exec", {"command": script.format(tag=tag, me=me, other=other)})

    ts = [threading.Thread(target=one, args=("a", "b")),
          threading.Thread(target=one, args=("b", "a"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=120)
    for me in ("a", "b"):
        status, doc = results[me]
        assert status == 200, doc
        assert doc["result"]["content"][0]["text"].strip() == f"met-{me}", doc
        assert doc["result"]["details"]["exitCode"] == 0, doc


def audit_lines(state):
    lines = (state / "audit" / "audit.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]  # every line whole JSON


def check_transcript(state, config, expected_calls):
    """Every concurrent call is in the session's transcript (one store, many workers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    env["PINCER_STATE_DIR"] = str(state)
    p = subprocess.run([PINCER, "sessions", "list", "--json", "--config", str(config)],
                       env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = {r["key"]: r for r in json.loads(p.stdout)["sessions"]}
    main = rows["agent:main:main"]
    assert main["toolCallCount"] == expected_calls, main
    assert main["messageCount"] == 2 * expected_calls, main


def check_audit(state, expected_exec):
    recs = audit_lines(state)
    execs = [r for r in recs if r.get("tool") == "exec"]
    assert len(execs) == expected_exec, f"{len(execs)} exec lines for {expected_exec} calls"
    assert all(r["decision"] == "allowed" and r["status"] == 200 for r in execs)


def test_concurrent_exec_native(gateway, image_store, tmp_path):  # noqa: F811
    state = tmp_path / "state"
    state.mkdir()
    (state / "images").symlink_to(image_store / "images")
    ws = tmp_path / "ws"
    ws.mkdir()
    os.chown(ws, 1000, 1000)
    prefix = f"pincer-c{secrets.token_hex(3)}-"
    g = gateway(config(tmp_path, ALLOW_EXEC, prefix=prefix, backend="native"))
    try:
        rendezvous(g, "native")
        failures = hammer(g, CLIENTS, CALLS_PER_CLIENT)
        for f in failures[:3]:
            print("FAILURE", json.dumps(f))
        assert not failures, failures[:5]
        check_audit(g.state, 2 + CLIENTS * CALLS_PER_CLIENT)
        check_transcript(g.state, g.config, 2 + CLIENTS * CALLS_PER_CLIENT)
    finally:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        env["PINCER_STATE_DIR"] = str(state)
        subprocess.run([PINCER, "sandbox", "recreate", "--all", "--force", "--config",
                        str(g.config)], env=env, capture_output=True, timeout=120)


def test_concurrent_exec_docker(gateway, docker_env, tmp_path):  # noqa: F811
    e = docker_env
    (tmp_path / "ws").mkdir(exist_ok=True)
    os.chown(tmp_path / "ws", 1000, 1000)
    g = gateway(config(tmp_path, ALLOW_EXEC, prefix=e.prefix))
    rendezvous(g, "docker")
    failures = hammer(g, 8, 3)
    assert not failures, failures[:5]
    check_audit(g.state, 2 + 8 * 3)
    check_transcript(g.state, g.config, 2 + 8 * 3)
