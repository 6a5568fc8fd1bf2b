"""Background exec and the process tool (gateway spec §3.1, §3.2; docs/tools.md), over HTTP
with the real gateway, on both sandbox backends (docker and native).

Docker tests need the engine (test_sandbox_docker.py), native ones root and the image store
(test_sandbox_native.py); each fails with why when PINCER_REQUIRE_DOCKER / PINCER_REQUIRE_NATIVE
is 1, and skips saying why otherwise.
"""
import json
import os
import threading
import time

import pytest

from conftest import PINCER  # noqa: F401  (the binary under test)
from test_gateway import Gateway
from test_sandbox_docker import docker as docker_cli
from test_sandbox_docker import engine_problem
from test_sandbox_native import image_store  # noqa: F401  (module fixture)
from test_sandbox_native import problem_or_fail

import secrets


@pytest.fixture(params=["docker", "native"])
def backend(request):
    if request.param == "docker":
        problem = engine_problem()
        if problem:
            if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
                pytest.fail(f"Docker is required here but {problem}")
            pytest.skip(f"Docker tests skipped: {problem}")
        return "docker", None
    store = request.getfixturevalue("image_store")
    return "native", store


class Setup:
    """A gateway of one agent whose sandbox (scope agent) runs on the backend under test."""

    def __init__(self, tmp_path, run, backend, extra=""):
        self.kind, store = backend
        self.tmp = tmp_path
        self.run = run
        self.prefix = f"pincer-p{secrets.token_hex(3)}-"
        self.ws = tmp_path / "ws"
        self.ws.mkdir(exist_ok=True)
        os.chown(self.ws, 1000, 1000)
        state = tmp_path / "state"
        state.mkdir(exist_ok=True)
        if store is not None and not (state / "images").exists():
            (state / "images").symlink_to(store / "images")
        self.config = tmp_path / "pincer.json5"
        self.config.write_text(f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  tools: {{ exec: {{ {extra} }} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "{self.kind}", scope: "agent",
                            workspaceAccess: "rw",
                            docker: {{ image: "openclaw-sandbox:bookworm-slim",
                                       containerPrefix: "{self.prefix}" }} }} }},
    list: [ {{ id: "main", workspace: "{self.ws}" }} ],
  }},
}}""")
        self.g = None
        self.calls = 0

    def start(self):
        self.g = Gateway(self.tmp, self.config)
        return self

    def call(self, tool, args, session=None):
        body = {"tool": tool, "args": args}
        if session:
            body["sessionKey"] = session
        status, data, _ = self.g.request("POST", "/tools/invoke", body)
        self.calls += 1
        doc = json.loads(data)
        assert status == 200, (status, doc)
        assert doc["ok"] is True, doc
        return doc["result"]["content"][0]["text"], doc["result"].get("details", {})

    def background(self, command, session=None, **kw):
        text, d = self.call("exec", {"command": command, "background": True, **kw}, session)
        assert d["status"] == "running", (text, d)
        assert text == (f"Command still running (session {d['sessionId']}). Use process "
                        "(list/poll/log/write/send-keys/kill/clear/remove) for follow-up.")
        return d["sessionId"]

    def poll_until_exited(self, pid, session=None, limit=60):
        out = ""
        deadline = time.time() + limit
        while True:
            text, d = self.call("process", {"action": "poll", "sessionId": pid, "timeout": 2000},
                                session)
            out += d.get("aggregated", "")
            if d["status"] != "running":
                return out, text, d
            assert time.time() < deadline, f"{pid} still running after {limit}s"

    def count_procs(self, pattern):
        """How many processes in the sandbox have pattern (a grep -E regex) in their command
        line, seen by a foreground exec."""
        script = ("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done"
                  f" | grep -cE '{pattern}' || true")
        text, _ = self.call("exec", {"command": script})
        return int(text.strip().splitlines()[0])

    def wait_procs(self, pattern, n, limit=20):
        """Waits until exactly n processes match (a background command starts a moment after
        exec returned)."""
        deadline = time.time() + limit
        while (got := self.count_procs(pattern)) != n:
            assert time.time() < deadline, f"{got} processes match {pattern!r}, not {n}"
            time.sleep(0.2)

    def stop(self):
        if self.g:
            print(f"--- gateway stderr\n{self.g.stderr()}")
            self.g.stop()
            self.g = None

    def cleanup(self):
        self.stop()
        if self.kind == "docker":
            names = docker_cli("ps", "-aq", "--filter", f"name={self.prefix}",
                               check=False).stdout.split()
            for n in names:
                docker_cli("rm", "-f", n, check=False)
        else:
            self.run("sandbox", "recreate", "--config", str(self.config), "--all", "--force")


@pytest.fixture
def setup(tmp_path, run, backend):
    made = []

    def _make(extra=""):
        s = Setup(tmp_path, run, backend, extra)
        made.append(s)
        return s.start()

    yield _make
    for s in made:
        s.cleanup()


def audit(s):
    path = s.tmp / "state" / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_background_poll_log_and_sessions(setup):
    s = setup()
    pid = s.background("echo a; sleep 1; echo b")
    text, d = s.call("process", {"action": "list"})
    assert text.startswith(f"{pid} running ") and text.endswith(":: echo a; sleep 1; echo b")
    assert d["sessions"][0]["sessionId"] == pid and d["sessions"][0]["cwd"] == "/workspace"
    out, text, d = s.poll_until_exited(pid)
    assert out == "a\nb\n"
    assert text.endswith("Process exited with code 0.")
    assert d["status"] == "completed" and d["exitCode"] == 0
    text, d = s.call("process", {"action": "poll", "sessionId": pid})
    assert text == "(no new output)\n\nProcess exited with code 0."

    # log: line-based, offset/limit, with a paging hint when not everything is shown
    pid2 = s.background("for i in 1 2 3 4 5; do echo l$i; done; exit 4")
    s.poll_until_exited(pid2)
    text, d = s.call("process", {"action": "log", "sessionId": pid2, "offset": 1, "limit": 2})
    assert text == "l2\nl3\n\n[lines 1-2 of 5; page with offset and limit]"
    assert d["totalLines"] == 5 and d["totalChars"] == 15 and d["exitCode"] == 4
    assert d["status"] == "failed"
    text, _ = s.call("process", {"action": "log", "sessionId": pid2})
    assert text == "l1\nl2\nl3\nl4\nl5\n"
    text, _ = s.call("process", {"action": "log", "sessionId": pid2, "limit": 1})
    assert text == "l5\n\n[lines 4-4 of 5; page with offset and limit]"

    # another session of the same agent sees none of them
    text, d = s.call("process", {"action": "list"}, session="other")
    assert text == "No running or recent sessions." and d["sessions"] == []
    for action in ("poll", "log", "kill", "remove"):
        text, d = s.call("process", {"action": action, "sessionId": pid}, session="other")
        assert text == f"No session found for {pid}" and d["status"] == "failed"
    text, _ = s.call("process", {"action": "poll"})
    assert text == "sessionId is required for this action."

    # clear and remove forget finished processes
    assert s.call("process", {"action": "clear", "sessionId": pid})[0] == f"Cleared session {pid}."
    assert s.call("process", {"action": "remove", "sessionId": pid2})[0] == \
        f"Removed session {pid2}."
    assert s.call("process", {"action": "list"})[0] == "No running or recent sessions."

    # one audit record per tool call, whatever the process does afterwards
    recs = [r for r in audit(s) if r.get("tool") in ("exec", "process")]
    assert all(r["decision"] == "allowed" for r in recs), recs
    assert len(recs) == s.calls
    exec_recs = [r for r in recs if r["tool"] == "exec"]
    assert len(exec_recs) == 2 and exec_recs[0]["backend"] == s.kind


def test_stdin_write_and_send_keys(setup):
    s = setup()
    pid = s.background("cat")
    text, d = s.call("process", {"action": "write", "sessionId": pid, "data": "hello\n"})
    assert text == f"Wrote 6 bytes to session {pid}." and d["status"] == "running"
    text, d = s.call("process", {"action": "poll", "sessionId": pid, "timeout": 10000})
    assert d["aggregated"] == "hello\n" and text.endswith("Process still running.")
    text, _ = s.call("process", {"action": "write", "sessionId": pid, "data": "bye", "eof": True})
    assert text == f"Wrote 3 bytes to session {pid} (stdin closed)."
    out, text, d = s.poll_until_exited(pid)
    assert out == "bye" and d["exitCode"] == 0
    text, d = s.call("process", {"action": "write", "sessionId": pid, "data": "x"})
    assert d["status"] == "failed" and "closed" in text

    pid = s.background("read x; echo got:$x")
    text, _ = s.call("process", {"action": "send-keys", "sessionId": pid, "literal": "hi",
                                 "keys": ["Enter"]})
    assert text == f"Sent 3 bytes to session {pid}."
    out, _, d = s.poll_until_exited(pid)
    assert out == "got:hi\n" and d["exitCode"] == 0


def test_kill_takes_the_process_tree(setup):
    s = setup()
    pid = s.background("sleep 311 & sleep 312; wait")
    s.wait_procs("^sleep 31[12]", 2)
    text, d = s.call("process", {"action": "kill", "sessionId": pid})
    assert text == f"Termination requested for session {pid}." and d["status"] == "failed"
    text, d = s.call("process", {"action": "poll", "sessionId": pid})
    assert d["status"] == "failed" and "Process exited with" in text, text
    assert s.count_procs("^sleep 31[12]") == 0
    text, d = s.call("process", {"action": "kill", "sessionId": pid})
    assert d["status"] == "failed" and text == f"Session {pid} is not running."

    # the exec timeout applies to background processes too
    pid = s.background("sleep 313", timeoutSeconds=1)
    _, text, d = s.poll_until_exited(pid)
    assert text.endswith("Process timed out and was killed.") and d["status"] == "failed"
    assert s.count_procs("^sleep 313") == 0


def test_yield_ms(setup):
    s = setup()
    text, d = s.call("exec", {"command": "echo fast; exit 2", "yieldMs": 10000})
    assert text == "fast\n\n\n(Command exited with code 2)"
    assert d["status"] == "completed" and d["exitCode"] == 2
    assert s.call("process", {"action": "list"})[0] == "No running or recent sessions."

    t0 = time.time()
    text, d = s.call("exec", {"command": "echo early; sleep 2; echo late", "yieldMs": 500})
    assert time.time() - t0 < 1.8
    assert d["status"] == "running" and text.startswith("Command still running (session ")
    assert d["tail"] in ("", "early\n")
    out, text, d = s.poll_until_exited(d["sessionId"])
    assert out.endswith("late\n") and d["exitCode"] == 0


def test_output_cap(setup):
    s = setup()
    pid = s.background("head -c 300000 /dev/zero | tr '\\0' x; echo; echo END")
    deadline = time.time() + 60
    while s.call("process", {"action": "list"})[1]["sessions"][0]["status"] == "running":
        assert time.time() < deadline
        time.sleep(0.2)
    text, d = s.call("process", {"action": "log", "sessionId": pid})
    assert d["truncated"] is True and d["totalChars"] == 300005
    assert text.startswith("[100005 bytes of earlier output were dropped: only the last 200000 "
                           "are kept]\n")
    assert text.endswith("\nEND\n")
    text, d = s.call("process", {"action": "poll", "sessionId": pid})
    assert text.startswith("[100005 bytes of earlier output were dropped")
    assert len(d["aggregated"]) == 200000


def test_limits_and_shutdown(setup):
    s = setup()
    pids = [s.background(f"sleep 33{i}") for i in range(8)]
    text, d = s.call("exec", {"command": "sleep 1", "background": True})
    assert d["status"] == "failed"
    assert "already runs 8 background processes (the limit is 8)" in text, text
    # the limit is per session: another session may still start one
    other = s.background("sleep 340", session="other")
    assert other not in pids
    s.wait_procs("^sleep 3[34][0-9]", 9)
    # SIGTERM: the gateway kills its background processes and exits 0
    s.stop()
    s.start()
    assert s.count_procs("^sleep 3[34][0-9]") == 0


def test_cli_refuses_background(setup, run):
    s = setup()
    r = run("tools", "invoke", "--config", str(s.config), "--json", "exec",
            json.dumps({"command": "true", "background": True}))
    assert r.code != 0
    assert "need the gateway" in r.out + r.err, r
    r = run("tools", "invoke", "--config", str(s.config), "--json", "process",
            json.dumps({"action": "list"}))
    assert r.code != 0 and "pincer gateway" in r.out + r.err, r


def test_exec_environment(setup):
    """OpenClaw's exec environment: HOME is the working directory, OPENCLAW_SHELL=exec, a PATH
    from env and tools.exec.pathPrepend go in front of the login shell's PATH, and a
    secret-looking name is dropped with a note rather than silently."""
    s = setup('pathPrepend: ["/opt/pre/bin"]')
    text, d = s.call("exec", {
        "command": 'echo "$PATH|$HOME|$OPENCLAW_SHELL|${MY_TOKEN:-none}|${PINCER_PREPEND_PATH:-unset}|$FOO"',
        "env": {"PATH": "/opt/tools/bin", "MY_TOKEN": "x", "FOO": "bar"}})
    note, line = text.split("\n")[0], text.split("\n")[1]
    assert note == "Note: env MY_TOKEN was not passed (names that look like secrets never " \
                   "reach a sandbox).", text
    path, home, shell, token, prepend, foo = line.split("|")
    assert path.startswith("/opt/pre/bin:/opt/tools/bin:") and ":/usr/bin" in path, path
    assert (home, shell, token, prepend, foo) == ("/workspace", "exec", "none", "unset", "bar")
    # without env, the profile's PATH stands alone
    text, d = s.call("exec", {"command": 'echo "$PATH"'})
    assert text.startswith("/opt/pre/bin:/usr/local/") or text.startswith("/opt/pre/bin:/usr/"), text


def test_waiting_polls_leave_workers_for_other_calls(setup):
    """poll with a timeout holds a tool worker while it waits; at most half of them wait, so
    however many polls a client starts, another call still runs (ordering, not timing)."""
    s = setup()
    pid = s.background("sleep 25")
    workers = min(max(2 * (os.cpu_count() or 1), 2), 16)
    results = []

    def poll():
        results.append(s.call("process", {"action": "poll", "sessionId": pid, "timeout": 20000}))

    threads = [threading.Thread(target=poll) for _ in range(workers)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    text, d = s.call("exec", {"command": "echo free"})
    assert text.startswith("free") and d["exitCode"] == 0
    assert any(t.is_alive() for t in threads), "no poll was waiting: the test proves nothing"
    s.call("process", {"action": "kill", "sessionId": pid})
    for t in threads:
        t.join()
    assert len(results) == workers
