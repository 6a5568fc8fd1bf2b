"""Sessions and transcripts (gateway spec §2, §3.5-3.9): tool calls through the real gateway
(POST /tools/invoke with sessionKey) and `pincer tools invoke` are recorded in the session's
transcript; `pincer sessions list/show/export` show them in the spec's shapes; the session
tools follow the visibility rules; a SIGKILLed gateway loses at most the calls in flight.

The crash test runs its calls in native sandboxes and needs root and the native image (see
test_sandbox_native.py); without them it fails or skips and says why, like the native tests.
"""
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import PINCER
from test_gateway import Gateway
from test_sandbox_native import IMAGE, image_store  # noqa: F401 (a fixture)

HEX8 = re.compile(r"^[0-9a-f]{8}$")


def config(tmp_path, visibility=None, backend="native", prefix=None, extra=""):
    prefix = prefix or f"pincer-s{secrets.token_hex(3)}-"
    (tmp_path / "ws").mkdir(exist_ok=True)
    (tmp_path / "ws-family").mkdir(exist_ok=True)
    vis = f'tools: {{ sessions: {{ visibility: "{visibility}" }} }},' if visibility else ""
    return f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  {vis}
  {extra}
  agents: {{
    defaults: {{ sandbox: {{ mode: "non-main", backend: "{backend}", scope: "session",
                            workspaceAccess: "rw",
                            docker: {{ image: "{IMAGE}", containerPrefix: "{prefix}" }} }} }},
    list: [
      {{ id: "main", workspace: "{tmp_path}/ws" }},
      {{ id: "family", workspace: "{tmp_path}/ws-family",
         tools: {{ allow: ["read", "group:sessions"],
                   deny: ["exec", "write", "edit", "apply_patch", "process"] }} }},
    ],
  }},
}}"""


class Setup:
    def __init__(self, tmp_path, text):
        self.dir = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir(exist_ok=True)
        self.cfg = tmp_path / "pincer.json5"
        self.cfg.write_text(text)
        self.gateways = []

    def start(self):
        g = Gateway(self.dir, self.cfg)
        self.gateways.append(g)
        return g

    def pincer(self, *args, check=True):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(self.state)
        if args[0] in ("tools", "sandbox", "sessions") and len(args) > 1:
            args = (args[0], args[1], "--config", str(self.cfg), *args[2:])
        elif args[0] != "help":
            args = (*args, "--config", str(self.cfg))
        p = subprocess.run([PINCER, *args], capture_output=True,
                           text=True, env=e, timeout=300)
        assert "Sanitizer" not in p.stderr, p.stderr
        if check:
            assert p.returncode == 0, (args, p.returncode, p.stdout, p.stderr)
        return p

    def invoke_cli(self, tool, args, session=None, agent=None):
        extra = (["--session", session] if session else []) + (["--agent", agent] if agent else [])
        p = self.pincer("tools", "invoke", "--json", *extra, tool, json.dumps(args), check=False)
        return json.loads(p.stdout)

    def show(self, key):
        return json.loads(self.pincer("sessions", "show", key, "--json").stdout)

    def sessions(self, agent=None):
        extra = ["--agent", agent] if agent else []
        return json.loads(self.pincer("sessions", "list", "--json", *extra).stdout)


def invoke(g, tool, args=None, session=None, agent=None):
    body = {"tool": tool, "args": args or {}}
    if session:
        body["sessionKey"] = session
    if agent:
        body["agentId"] = agent
    status, data, _ = g.request("POST", "/tools/invoke", body)
    return status, json.loads(data)


@pytest.fixture
def setup(tmp_path):
    made = []

    def _make(**kw):
        s = Setup(tmp_path, config(tmp_path, **kw))
        made.append(s)
        return s

    yield _make
    for s in made:
        for g in s.gateways:
            print(f"--- gateway stderr\n{g.stderr()}")
            g.stop()


def check_transcript_shape(entries):
    """Every entry is a version 3 message entry chained by parentId; calls pair with results."""
    prev = None
    for e in entries:
        assert set(e) == {"type", "id", "parentId", "timestamp", "message"}, e
        assert e["type"] == "message" and HEX8.match(e["id"]), e
        assert e["parentId"] == prev, e
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["timestamp"]), e
        prev = e["id"]
    msgs = [e["message"] for e in entries]
    calls = [m for m in msgs if m["role"] == "assistant"]
    results = [m for m in msgs if m["role"] == "toolResult"]
    for m in calls:
        assert m["stopReason"] == "toolUse" and m["provider"] == "pincer", m
        assert set(m["usage"]) >= {"input", "output", "cacheRead", "cacheWrite", "totalTokens"}
        (block,) = m["content"]
        assert set(block) == {"type", "id", "name", "arguments"} and block["type"] == "toolCall"
    for m in results:
        assert set(m) >= {"role", "toolCallId", "toolName", "content", "isError", "timestamp"}, m
        assert isinstance(m["timestamp"], int) and isinstance(m["isError"], bool)
    # each call is directly followed by its result
    for a, b in zip(msgs, msgs[1:]):
        if a["role"] == "assistant":
            assert b["role"] == "toolResult" and b["toolCallId"] == a["content"][0]["id"]
            assert b["toolName"] == a["content"][0]["name"]
    return calls, results


def test_calls_are_recorded_and_shown(setup, tmp_path):
    s = setup()
    g = s.start()
    st, doc = invoke(g, "write", {"path": "a.txt", "content": "hello"}, session="main")
    assert st == 200 and doc["ok"], doc
    st, doc = invoke(g, "read", {"path": "a.txt"}, session="agent:main:main")
    assert st == 200 and doc["result"]["content"][0]["text"] == "hello", doc
    st, doc = invoke(g, "read", {})  # default session: main; bad arguments
    assert st == 400 and doc["ok"] is False, doc
    # refused by policy: recorded in the family agent's transcript as an error result
    st, doc = invoke(g, "write", {"path": "x", "content": "y"}, agent="family")
    assert st == 403, doc
    cli = s.invoke_cli("read", {"path": "a.txt"}, session="main")
    assert cli["ok"], cli

    rows = s.sessions()
    assert rows["path"].endswith("state.db") and rows["count"] == 2
    by_key = {r["key"]: r for r in rows["sessions"]}
    main = by_key["agent:main:main"]
    assert main["agentId"] == "main" and main["kind"] == "main"
    assert re.match(r"^[0-9a-f-]{36}$", main["sessionId"])
    assert main["messageCount"] == 8 and main["toolCallCount"] == 4
    assert main["updatedAt"] >= main["createdAt"] > 0
    assert [r["key"] for r in s.sessions(agent="family")["sessions"]] == ["agent:family:main"]

    shown = s.show("main")
    assert shown["session"]["key"] == "agent:main:main"
    calls, results = check_transcript_shape(shown["entries"])
    assert [c["content"][0]["name"] for c in calls] == ["write", "read", "read", "read"]
    assert calls[0]["content"][0]["arguments"] == {"path": "a.txt", "content": "hello"}
    ids = [c["content"][0]["id"] for c in calls]
    assert all(i.startswith("http-") for i in ids[:3]) and ids[3].startswith("cli-"), ids
    assert results[1]["content"] == [{"type": "text", "text": "hello"}]
    assert [r["isError"] for r in results] == [False, False, True, False]
    assert results[2]["details"]["errorType"] == "tool_error"

    fam = s.show("agent:family:main")
    _, fres = check_transcript_shape(fam["entries"])
    assert fres[0]["isError"] and fres[0]["details"] == {"status": 403,
                                                          "errorType": "tool_call_blocked"}

    # JSONL export: the pi header, then exactly the entries
    out = tmp_path / "main.jsonl"
    s.pincer("sessions", "export", "main", "--output", str(out))
    assert (out.stat().st_mode & 0o777) == 0o600
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0] == {"type": "session", "version": 3, "id": main["sessionId"],
                        "timestamp": lines[0]["timestamp"], "cwd": f"{tmp_path}/ws"}
    assert lines[1:] == shown["entries"]
    stdout = s.pincer("sessions", "export", "agent:main:main").stdout
    assert [json.loads(x) for x in stdout.splitlines()][1:] == shown["entries"]

    text = s.pincer("sessions", "show", "main").stdout
    assert "call write" in text and "result of read" in text
    p = s.pincer("sessions", "show", "agent:main:nope", check=False)
    assert p.returncode == 1 and "no session 'agent:main:nope'" in p.stderr
    p = s.pincer("sessions", "bogus", check=False)
    assert p.returncode == 2 and "unknown subcommand" in p.stderr
    assert "pincer sessions export" in s.pincer("help", "sessions").stdout


def tool_details(doc):
    assert doc.get("ok"), doc
    return doc["result"]["details"]


def test_concurrent_calls_get_distinct_call_ids(setup):
    """Calls in the same millisecond still pair their toolCall and toolResult by a unique id."""
    s = setup()
    g = s.start()
    threads = [threading.Thread(target=lambda: [invoke(g, "session_status", {}, session="main")
                                                for _ in range(5)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = s.show("agent:main:main")["entries"]
    calls, results = check_transcript_shape(entries)
    ids = [m["content"][0]["id"] for m in calls]
    assert len(ids) == 40 and len(set(ids)) == 40, ids
    assert all(re.match(r"^http-\d+$", i) for i in ids), ids


def test_visibility_default_tree(setup):
    s = setup()
    g = s.start()
    assert invoke(g, "write", {"path": "secret.txt", "content": "main's"}, session="main")[0] == 200
    assert invoke(g, "read", {"path": "nothing"}, agent="family")[0] == 200

    # main sees its own session only (tree), not the family agent's
    d = tool_details(invoke(g, "sessions_list", {}, session="main")[1])
    assert d["visibility"] == "tree"
    assert [r["key"] for r in d["sessions"]] == ["agent:main:main"]
    # the family agent cannot see or read main's sessions
    d = tool_details(invoke(g, "sessions_list", {"agentId": "main"}, agent="family")[1])
    assert d["sessions"] == [] and d["count"] == 0
    d = tool_details(invoke(g, "sessions_list", {}, agent="family")[1])
    assert [r["key"] for r in d["sessions"]] == ["agent:family:main"]
    st, doc = invoke(g, "sessions_history", {"sessionKey": "agent:main:main"}, agent="family")
    d = tool_details(doc)
    assert d["status"] == "forbidden" and "not visible" in d["error"], d
    assert "main's" not in json.dumps(doc)

    # history of one's own session: tools are left out unless asked for
    d = tool_details(invoke(g, "sessions_history", {"sessionKey": "current"}, session="main")[1])
    assert d["sessionKey"] == "agent:main:main" and d["messages"] == []
    d = tool_details(invoke(g, "sessions_history",
                            {"sessionKey": "main", "includeTools": True, "limit": 2},
                            session="main")[1])
    assert [m["role"] for m in d["messages"]] == ["assistant", "toolResult"]
    assert d["nextOffset"] == 2 and d["truncated"] is False and d["bytes"] > 0
    st, doc = invoke(g, "sessions_history", {"sessionKey": "main", "limit": 0}, session="main")
    assert st == 400 and doc["error"]["type"] == "tool_error" and "limit" in doc["error"]["message"]

    d = tool_details(invoke(g, "session_status", {}, session="main")[1])
    assert d["sessionKey"] == "agent:main:main" and d["exists"] and d["sandboxed"] is False
    assert d["sandboxMode"] == "non-main" and d["runtime"] == "none"

    # send and spawn: the HTTP deny list hides them (spec §1.6); the CLI reaches them
    assert invoke(g, "sessions_send", {"sessionKey": "main", "message": "x"})[0] == 404
    assert invoke(g, "sessions_spawn", {"task": "x"})[0] == 404
    # the CLI has no agent runtime to run the target session: the tools say so (the gateway's
    # agent runs reach them: test_agent_ws.py)
    d = tool_details(s.invoke_cli("sessions_send", {"sessionKey": "main", "message": "ping",
                                                    "timeoutSeconds": 0}, session="main"))
    assert d["status"] == "error" and "cannot send to itself" in d["error"]
    d = tool_details(s.invoke_cli("sessions_send", {"sessionKey": "agent:main:work",
                                                    "message": "pong"}, session="main"))
    assert d["status"] == "forbidden" and "not visible" in d["error"]  # tree: not spawned
    d = tool_details(s.invoke_cli("sessions_send", {"sessionKey": "agent:main:main",
                                                    "message": "x", "timeoutSeconds": 0},
                                  agent="family"))
    assert d["status"] == "forbidden" and "agentToAgent" in d["error"]
    d = tool_details(s.invoke_cli("sessions_spawn", {"task": "do it"}, session="main"))
    assert d["status"] == "error" and "agent runtime" in d["error"]
    entries = s.show("main")["entries"]
    users = [e["message"] for e in entries if e["message"]["role"] == "user"]
    assert users == []
    check_transcript_shape(entries)


def test_visibility_agent_and_sandbox_clamp(setup):
    s = setup(visibility="agent")
    g = s.start()
    # agent:main:work is not main: sandboxed (mode non-main); the session tools run without a
    # sandbox, so no native sandbox is needed for them
    for key in ("main", "agent:main:work"):
        assert invoke(g, "session_status", {}, session=key)[0] == 200
    invoke(g, "session_status", {}, agent="family")
    d = tool_details(invoke(g, "sessions_list", {}, session="main")[1])
    assert d["visibility"] == "agent"
    assert sorted(r["key"] for r in d["sessions"]) == ["agent:main:main", "agent:main:work"]
    # sandboxed session + sessionToolsVisibility "spawned" (the default): clamped to tree
    d = tool_details(invoke(g, "sessions_list", {}, session="agent:main:work")[1])
    assert d["visibility"] == "tree"
    assert [r["key"] for r in d["sessions"]] == ["agent:main:work"]
    d = tool_details(invoke(g, "sessions_history", {"sessionKey": "agent:main:main"},
                            session="agent:main:work")[1])
    assert d["status"] == "forbidden" and "clamped" in d["error"]
    d = tool_details(invoke(g, "session_status", {}, session="agent:main:work")[1])
    assert d["sandboxed"] is True and d["visibility"] == "tree"
    assert s.pincer("sandbox", "list", "--json").stdout.strip() in ("[]", "[\n]")
    # "agent" never crosses agents
    d = tool_details(invoke(g, "sessions_list", {}, agent="family")[1])
    assert [r["key"] for r in d["sessions"]] == ["agent:family:main"]


def test_visibility_all_needs_agent_to_agent(setup):
    s = setup(extra='tools: { sessions: { visibility: "all" }, '
                    'agentToAgent: { enabled: true, allow: ["family"] } },')
    g = s.start()
    invoke(g, "session_status", {}, agent="family")
    invoke(g, "session_status", {}, session="main")
    # main may reach family (listed in agentToAgent.allow) ...
    d = tool_details(invoke(g, "sessions_list", {}, session="main")[1])
    assert d["visibility"] == "all"
    assert sorted(r["key"] for r in d["sessions"]) == ["agent:family:main", "agent:main:main"]
    d = tool_details(invoke(g, "sessions_history", {"sessionKey": "agent:family:main",
                                                    "includeTools": True}, session="main")[1])
    assert d["sessionKey"] == "agent:family:main" and len(d["messages"]) == 2
    # ... family may not reach main (not listed)
    d = tool_details(invoke(g, "sessions_list", {}, agent="family")[1])
    assert [r["key"] for r in d["sessions"]] == ["agent:family:main"]
    d = tool_details(invoke(g, "sessions_history", {"sessionKey": "agent:main:main"},
                            agent="family")[1])
    assert d["status"] == "forbidden"


def test_main_aliases_under_global_scope(setup):
    s = setup(extra='session: { scope: "global" },')
    g = s.start()
    for key in (None, "main", "agent:main:main"):
        st, doc = invoke(g, "session_status", {}, session=key)
        assert st == 200 and tool_details(doc)["sessionKey"] == "global", doc
    rows = s.sessions()["sessions"]
    assert [(r["key"], r["kind"], r["messageCount"]) for r in rows] == [("global", "main", 6)]
    assert s.show("main")["session"]["key"] == "global"


def test_crash_keeps_completed_calls(setup, tmp_path, image_store):  # noqa: F811
    s = setup()
    (s.state / "images").symlink_to(image_store / "images")
    g = s.start()
    alice = "agent:main:direct:alice"
    # warm the session's native sandbox
    st, doc = invoke(g, "exec", {"command": "echo warm"}, session=alice)
    assert st == 200 and doc["ok"], doc

    done, lock, stop = [], threading.Lock(), threading.Event()

    def worker(w):
        i = 0
        while not stop.is_set():
            tag = f"call-{w}-{i}"
            i += 1
            try:
                if w % 2:
                    st, doc = invoke(g, "exec", {"command": f"echo {tag}; sleep 0.05"},
                                     session=alice)
                else:
                    st, doc = invoke(g, "write", {"path": f"{tag}.txt", "content": tag},
                                     session="main")
            except OSError:
                return
            if st == 200:
                with lock:
                    done.append(tag)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while len(done) < 20 and time.time() < deadline:
        time.sleep(0.05)
    g.proc.send_signal(signal.SIGKILL)
    g.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    g.errfile.close()
    s.gateways.remove(g)
    assert len(done) >= 20, f"only {len(done)} calls completed:\n{g.stderr()}"
    print(f"{len(done)} calls completed before SIGKILL")

    db = sqlite3.connect(s.state / "state.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()

    g2 = s.start()
    for key in ("main", alice):
        shown = s.show(key)
        calls, results = check_transcript_shape(shown["entries"])
        assert len(calls) == len(results)
        assert shown["session"]["messageCount"] == len(shown["entries"])
    recorded = json.dumps(s.show("main")["entries"]) + json.dumps(s.show(alice)["entries"])
    missing = [t for t in done if t not in recorded]
    assert not missing, f"completed calls lost: {missing}"

    # the sandbox registry is consistent: the session's sandbox is used again (or recreated)
    st, doc = invoke(g2, "exec", {"command": "echo after"}, session=alice)
    assert st == 200 and "after" in doc["result"]["content"][0]["text"], doc
    rows = json.loads(s.pincer("sandbox", "list", "--json").stdout)
    mine = [r for r in rows if r["scopeKey"] == alice]
    assert len(mine) == 1 and mine[0]["state"] == "running", rows
    g2.stop()
    s.gateways.remove(g2)
    s.pincer("sandbox", "recreate", "--all", "--force")
