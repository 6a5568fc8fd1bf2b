"""Agent runs over the WebSocket API (docs/api.md "Agent runs") and sub-agents, against the
scripted model service (fakemodel.py) and the real `pincer gateway`.

The runs use the main agent's native sandbox (root and the native image, like
test_sandbox_native.py: it fails, or skips, and says why without them); the abort test also
runs on the Docker backend (the engine and the sandbox image, like test_sandbox_docker.py).
"""
import json
import os
import re
import subprocess
import time

import pytest
import websocket

from fakemodel import openai_chunks, stream
from test_agent import KEY, full_turn_script, roles, setup  # noqa: F401 (a fixture)
from test_gateway import Gateway
from test_sandbox_docker import engine_problem
from test_sandbox_native import image_store  # noqa: F401 (a fixture)

CLIENT = {"id": "test", "version": "1.0", "platform": "linux", "mode": "test"}


class Ws:
    """A connected operator; every frame read is kept in order in self.frames."""

    def __init__(self, g):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{g.port}/", timeout=90)
        self.frames = []
        self.taken = set()
        self.n = 0
        self.recv()  # connect.challenge
        res = self.request("connect", {"minProtocol": 4, "maxProtocol": 4, "client": CLIENT,
                                       "auth": {"token": g.token}})
        assert res["ok"], res
        self.hello = res["payload"]

    def recv(self):
        f = json.loads(self.ws.recv())
        if not (f["type"] == "event" and f["event"] == "tick"):
            self.frames.append(f)
        return f

    def send(self, method, params):
        self.n += 1
        rid = f"r{self.n}"
        self.ws.send(json.dumps({"type": "req", "id": rid, "method": method, "params": params}))
        return rid

    def until(self, pred, timeout=90):
        end = time.time() + timeout
        while time.time() < end:
            f = self.recv()
            if pred(f):
                return f
        raise AssertionError(f"no matching frame within {timeout} s: {self.frames[-5:]}")

    def res(self, rid):
        """The next response to rid not returned yet (it may have been read already)."""
        for i, f in enumerate(self.frames):
            if f["type"] == "res" and f["id"] == rid and i not in self.taken:
                self.taken.add(i)
                return f
        f = self.until(lambda f: f["type"] == "res" and f["id"] == rid)
        self.taken.add(len(self.frames) - 1)
        return f

    def request(self, method, params):
        return self.res(self.send(method, params))

    def events(self, name, run_id=None):
        return [f["payload"] for f in self.frames if f["type"] == "event" and
                f["event"] == name and (run_id is None or f["payload"]["runId"] == run_id)]

    def close(self):
        self.ws.close()


def start(s):
    return Gateway(s.dir, s.cfg, env={"FAKE_MODEL_KEY": KEY})


def test_agent_full_turn_streams_to_the_websocket(setup, image_store):  # noqa: F811
    s = setup
    s.link_images(image_store)
    s.model.script = full_turn_script()
    g = start(s)
    try:
        c = Ws(g)
        feats = c.hello["features"]
        assert {"agent", "agent.wait", "chat.send", "chat.abort"} <= set(feats["methods"])
        assert {"agent", "chat"} <= set(feats["events"])
        rid = c.send("agent", {"message": "Write a note and read it back.",
                               "idempotencyKey": "idem-full", "sessionKey": "agent:main:main"})
        first = c.res(rid)
        assert first["ok"] and first["payload"]["runId"] == "idem-full"
        assert first["payload"]["status"] == "accepted"
        assert isinstance(first["payload"]["acceptedAt"], int)
        final = c.res(rid)  # the same id, a second time, at the end
        assert final["ok"], final
        p = final["payload"]
        assert p["runId"] == "idem-full" and p["status"] == "ok" and p["summary"] == "completed"
        assert p["result"]["payloads"] == [{"text": "All done: the note says hello pincer."}]
        meta = p["result"]["meta"]
        assert meta["durationMs"] >= 0
        am = meta["agentMeta"]
        assert am["provider"] == "fake" and am["model"] == "fake-model" and am["sessionId"]
        assert am["usage"] == {"input": 44, "output": 28}

        # agent events, in order: lifecycle start, the tools, assistant text, lifecycle end;
        # all before the final res
        ag = c.events("agent", "idem-full")
        assert [e["seq"] for e in ag] == list(range(1, len(ag) + 1))
        assert ag[0]["stream"] == "lifecycle" and ag[0]["data"]["phase"] == "start"
        assert ag[-1]["stream"] == "lifecycle" and ag[-1]["data"]["phase"] == "end"
        tools = [(e["data"]["phase"], e["data"]["name"]) for e in ag if e["stream"] == "tool"]
        assert tools == [("start", "exec"), ("result", "exec"), ("start", "write"),
                         ("result", "write"), ("start", "read"), ("result", "read")]
        tool_ev = [e["data"] for e in ag if e["stream"] == "tool"]
        assert tool_ev[0]["args"] == {"command": "echo from-exec; id -u"}
        assert tool_ev[0]["toolCallId"] == "call_1" and "from-exec" in tool_ev[1]["result"]
        assert tool_ev[5]["result"].strip().endswith("hello pincer") or \
            "hello pincer" in tool_ev[5]["result"]
        assert all(e["isError"] is False for e in tool_ev if e["phase"] == "result")
        texts = [e["data"] for e in ag if e["stream"] == "assistant"]
        assert texts[0]["text"] == texts[0]["delta"]
        # the last message's text streams after the last tool result, cumulative
        idx_last_tool = max(i for i, e in enumerate(ag) if e["stream"] == "tool")
        last = [e["data"] for e in ag[idx_last_tool:] if e["stream"] == "assistant"]
        assert len(last) > 1
        assert "".join(t["delta"] for t in last) == "All done: the note says hello pincer."
        assert last[-1]["text"] == "All done: the note says hello pincer."
        assert last[0]["text"] == last[0]["delta"]

        # chat events: deltas, then final
        ch = c.events("chat", "idem-full")
        assert [e["seq"] for e in ch] == list(range(1, len(ch) + 1))
        assert all(e["sessionKey"] == "agent:main:main" for e in ch[-1:])
        assert [e["state"] for e in ch[:-1]] == ["delta"] * (len(ch) - 1)
        assert ch[-1]["state"] == "final"
        assert ch[-1]["message"]["content"] == [{"type": "text", "text":
                                                 "All done: the note says hello pincer."}]
        assert ch[-2]["message"]["content"][0]["text"] == "All done: the note says hello pincer."
        # frame order: the final res comes after every event of the run
        order = [i for i, f in enumerate(c.frames) if f["type"] == "event" and
                 f["event"] in ("agent", "chat")]
        assert max(order) < c.frames.index(final)

        w = c.request("agent.wait", {"runId": "idem-full"})["payload"]
        assert w["status"] == "ok" and "error" not in w

        # the same idempotencyKey again: the finished run's result, no new model call
        again = c.request("agent", {"message": "x", "idempotencyKey": "idem-full"})
        assert again["ok"] and again["payload"]["status"] == "ok"
        assert again["payload"]["result"]["payloads"] == p["result"]["payloads"]
        assert len(s.model.requests) == 4

        # bad params are INVALID_REQUEST with the param
        bad = c.request("agent", {"message": "x"})
        assert not bad["ok"] and bad["error"]["code"] == "INVALID_REQUEST"
        assert bad["error"]["details"]["param"] == "idempotencyKey"
        bad = c.request("chat.send", {"message": "x", "idempotencyKey": "k"})
        assert not bad["ok"] and "sessionKey" in bad["error"]["message"]
        c.close()
    finally:
        g.stop()
    assert (s.ws / "notes.txt").read_text() == "hello pincer\n"
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant", "toolResult",
                           "assistant", "toolResult", "assistant"]
    assert msgs[-1]["content"] == [{"type": "text",
                                    "text": "All done: the note says hello pincer."}]
    assert "from-exec" in msgs[2]["content"][0]["text"]
    s.assert_key_not_stored()


def host_has(pattern):
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if pattern in line]


def need_docker():
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker tests skipped: {problem}")


def remove_containers(s):
    prefix = re.search(r'containerPrefix: "([^"]+)"', s.cfg.read_text()).group(1)
    ids = subprocess.run(["docker", "ps", "-aq", "--filter", f"name={prefix}"],
                         capture_output=True, text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "-f", *ids], capture_output=True)
    return ids


@pytest.mark.parametrize("backend", ["native", "docker"])
def test_chat_abort_kills_the_running_tool(setup, request, backend):  # noqa: F811
    s = setup
    if backend == "docker":
        need_docker()
        s.cfg.write_text(s.cfg.read_text().replace('backend: "native"', 'backend: "docker"'))
    else:
        s.link_images(request.getfixturevalue("image_store"))
    try:
        abort_run(s)
    finally:
        if backend == "docker":
            assert remove_containers(s), "the run used no Docker container"


def abort_run(s):
    cmd = "sleep 317"  # an odd number: no other test's process matches
    s.model.script = [stream(openai_chunks("Sleeping.", [("call_s", "exec", {"command": cmd})]))]
    g = start(s)
    try:
        c = Ws(g)
        # started for "main", aborted as "agent:main:main" (the key it resolves to)
        res = c.request("chat.send", {"sessionKey": "main", "message": "sleep",
                                      "idempotencyKey": "chat-1"})
        assert res["ok"] and res["payload"] == {"runId": "chat-1", "status": "started"}
        dup = c.request("chat.send", {"sessionKey": "main", "message": "sleep",
                                      "idempotencyKey": "chat-1"})
        assert dup["payload"] == {"runId": "chat-1", "status": "in_flight"}
        c.until(lambda f: f["type"] == "event" and f["event"] == "agent" and
                f["payload"]["stream"] == "tool" and f["payload"]["data"]["phase"] == "start")
        end = time.time() + 60
        while not host_has(cmd) and time.time() < end:
            time.sleep(0.2)
        assert host_has(cmd), "the command never started in the sandbox"

        w = c.request("agent.wait", {"runId": "chat-1", "timeoutMs": 100})
        assert w["payload"]["status"] == "timeout" and w["payload"]["runId"] == "chat-1"
        waiting = c.send("agent.wait", {"runId": "chat-1", "timeoutMs": 60000})
        # the connection holds the run and the wait; 62 more waits fit in its 64 holds
        more = [c.send("agent.wait", {"runId": "chat-1", "timeoutMs": 60000}) for _ in range(70)]
        ab = c.request("chat.abort", {"sessionKey": "agent:main:main"})
        assert ab["ok"] and ab["payload"]["aborted"] is True
        assert ab["payload"]["runIds"] == ["chat-1"]
        t0 = time.time()
        c.until(lambda f: f["type"] == "event" and f["event"] == "chat" and
                f["payload"]["state"] == "aborted", timeout=30)
        assert time.time() - t0 < 15
        end = time.time() + 10
        while host_has(cmd) and time.time() < end:
            time.sleep(0.2)
        assert not host_has(cmd), host_has(cmd)
        w = c.res(waiting)["payload"]  # answered when the run ended
        assert w["status"] == "error" and w["aborted"] is True and w["endedAt"] >= w["startedAt"]
        answers = [c.res(r) for r in more]
        assert sum(a["ok"] and a["payload"]["status"] == "error" for a in answers) == 62
        refused = [a for a in answers if not a["ok"]]
        assert len(refused) == 8 and refused[0]["error"]["details"]["reason"] == "hold-limit"
        bad = c.request("agent.wait", {"runId": "nope"})
        assert not bad["ok"] and "unknown runId" in bad["error"]["message"]
        ag = c.events("agent", "chat-1")
        result = [e["data"] for e in ag if e["stream"] == "tool" and
                  e["data"]["phase"] == "result"]
        assert result and result[0]["isError"] is True and "aborted" in result[0]["result"]
        assert ag[-1]["data"]["phase"] == "end" and ag[-1]["data"]["aborted"] is True
        # nothing left to abort
        ab = c.request("chat.abort", {"sessionKey": "agent:main:main"})
        assert ab["payload"]["aborted"] is False and ab["payload"]["runIds"] == []
        c.close()
    finally:
        g.stop()
    assert len(s.model.requests) == 1  # the model is not called again after the abort
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant"]
    assert msgs[2]["isError"] is True and msgs[3]["stopReason"] == "aborted"


def audit(s):
    return [json.loads(line) for line in
            (s.state / "audit" / "audit.jsonl").read_text().splitlines()]


def tool_result(body, call_id):
    for m in body["messages"]:
        if m.get("role") == "tool" and m.get("tool_call_id") == call_id:
            return json.loads(m["content"])
    raise AssertionError(f"no result for {call_id}")


def test_subagents_spawn_and_send(setup, image_store):  # noqa: F811
    """The main session is not sandboxed (mode non-main); its sub-agent's is."""
    s = setup
    s.link_images(image_store)
    s.cfg.write_text(s.cfg.read_text().replace('mode: "all"', 'mode: "non-main"'))

    def send_to_child(body):
        child = tool_result(body, "call_spawn")["childSessionKey"]
        return stream(openai_chunks(None, [("call_send", "sessions_send", {
            "sessionKey": child, "message": "PING", "timeoutSeconds": 60})]))

    s.model.script = [
        stream(openai_chunks(None, [("call_spawn", "sessions_spawn",
                                     {"task": "CHILD-TASK: report your uid",
                                      "label": "helper"})])),
        send_to_child,
        stream(openai_chunks(None, [("call_other", "sessions_send", {
            "sessionKey": "agent:main:other", "message": "hello?", "timeoutSeconds": 5})])),
        stream(openai_chunks(None, [("call_fam", "sessions_spawn",
                                     {"task": "x", "agentId": "family"})])),
        stream(openai_chunks("parent done")),
    ]
    s.model.routes["[Subagent Task]"] = [
        stream(openai_chunks(None, [("call_c1", "exec", {"command": "echo child-ran; id -u"})])),
        stream(openai_chunks("child result")),
        stream(openai_chunks("pong from child")),
    ]
    g = start(s)
    try:
        c = Ws(g)
        rid = c.send("agent", {"message": "delegate", "idempotencyKey": "parent-1",
                               "sessionKey": "agent:main:main"})
        assert c.res(rid)["payload"]["status"] == "accepted"
        final = c.res(rid)
        assert final["ok"], final
        assert final["payload"]["result"]["payloads"] == [{"text": "parent done"}]

        parent = [r["body"] for r in s.model.requests
                  if "[Subagent Task]" not in r["body"]["messages"][1]["content"]]
        spawned = tool_result(parent[1], "call_spawn")
        assert spawned["status"] == "accepted" and spawned["runId"]
        child = spawned["childSessionKey"]
        assert child.startswith("agent:main:subagent:") and len(child) == len(
            "agent:main:subagent:") + 36
        sent = tool_result(parent[2], "call_send")
        assert sent["status"] == "ok" and sent["reply"] == "pong from child", sent
        assert sent["sessionKey"] == child
        other = tool_result(parent[3], "call_other")
        assert other["status"] == "forbidden" and "not visible" in other["error"]
        fam = tool_result(parent[4], "call_fam")
        assert fam["status"] == "forbidden" and "subagents.allowAgents" in fam["error"]

        # the child session is listed, spawned by the main session, with its label
        rows = c.request("sessions.list", {})["payload"]["sessions"]
        row = [r for r in rows if r["key"] == child]
        assert row and row[0]["spawnedBy"] == "agent:main:main" and row[0]["label"] == "helper"
        c.close()
    finally:
        g.stop()

    # the child's model saw the task and no sessions_spawn (a leaf sub-agent)
    kid = [r["body"] for r in s.model.requests
           if "[Subagent Task]" in r["body"]["messages"][1]["content"]]
    assert len(kid) == 3
    assert kid[0]["messages"][1]["content"] == "[Subagent Task] CHILD-TASK: report your uid"
    offered = {t["function"]["name"] for t in kid[0]["tools"]}
    assert "exec" in offered and "sessions_spawn" not in offered
    assert "isUser=false]\nPING" in kid[2]["messages"][-1]["content"]

    msgs = s.transcript(child)
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant", "user", "assistant"]
    assert "child-ran" in msgs[2]["content"][0]["text"]
    assert msgs[-1]["content"] == [{"type": "text", "text": "pong from child"}]

    # the child's exec ran in a sandbox; the main session's calls did not
    recs = audit(s)
    child_exec = [r for r in recs if r.get("session") == child and r.get("tool") == "exec"]
    assert child_exec and child_exec[0]["sandboxed"] is True
    assert child_exec[0]["decision"] == "allowed"
    spawn = [r for r in recs if r.get("tool") == "sessions_spawn"]
    assert spawn and spawn[0]["sandboxed"] is False and spawn[0]["caller"] == "agent"


def test_spawn_of_another_agent_with_allow_agents(setup, image_store):  # noqa: F811
    s = setup
    s.link_images(image_store)
    s.cfg.write_text(s.cfg.read_text().replace(
        "bootstrapMaxChars: 2000,",
        'bootstrapMaxChars: 2000, subagents: { allowAgents: ["family"] },'))
    s.model.script = [
        stream(openai_chunks(None, [("call_spawn", "sessions_spawn",
                                     {"task": "FAMILY-TASK", "agentId": "family"})])),
        stream(openai_chunks("spawned")),
    ]
    s.model.routes["[Subagent Task]"] = [stream(openai_chunks("family child answer"))]
    g = start(s)
    try:
        c = Ws(g)
        rid = c.send("agent", {"message": "delegate", "idempotencyKey": "p2"})
        c.res(rid)
        assert c.res(rid)["ok"]
        second = [r["body"] for r in s.model.requests
                  if r["body"]["messages"][1]["content"] == "delegate"][1]
        spawned = tool_result(second, "call_spawn")
        assert spawned["status"] == "accepted", spawned
        child = spawned["childSessionKey"]
        assert child.startswith("agent:family:subagent:")
        # agent.wait reaches a run a tool started
        w = c.request("agent.wait", {"runId": spawned["runId"], "timeoutMs": 60000})["payload"]
        assert w["status"] == "ok", w
        rows = c.request("sessions.list", {"agentId": "family"})["payload"]["sessions"]
        row = [r for r in rows if r["key"] == child][0]
        assert row["agentId"] == "family" and row["spawnedBy"] == "agent:main:main"
        c.close()
    finally:
        g.stop()
    msgs = s.transcript(child)
    assert roles(msgs) == ["user", "assistant"]
    assert msgs[1]["content"] == [{"type": "text", "text": "family child answer"}]


def test_abort_stops_a_sessions_send_wait(setup, image_store):  # noqa: F811
    """The aborted run's sessions_send stops waiting at once; the target's run goes on."""
    s = setup
    s.link_images(image_store)

    def send_to_child(body):
        child = tool_result(body, "call_spawn")["childSessionKey"]
        return stream(openai_chunks(None, [("call_send", "sessions_send", {
            "sessionKey": child, "message": "PING", "timeoutSeconds": 60})]))

    s.model.script = [
        stream(openai_chunks(None, [("call_spawn", "sessions_spawn", {"task": "wait"})])),
        send_to_child,
    ]
    s.model.routes["[Subagent Task]"] = [
        stream(openai_chunks("ready")),
        stream(openai_chunks("late pong"), pause_after=1, pause=2.5),
    ]
    g = start(s)
    try:
        c = Ws(g)
        c.request("chat.send", {"sessionKey": "agent:main:main", "message": "go",
                                "idempotencyKey": "p3"})
        c.until(lambda f: f["type"] == "event" and f["event"] == "agent" and
                f["payload"]["stream"] == "tool" and
                f["payload"]["data"].get("name") == "sessions_send")
        time.sleep(0.3)
        t0 = time.time()
        assert c.request("chat.abort", {"sessionKey": "agent:main:main",
                                        "runId": "p3"})["payload"]["aborted"] is True
        c.until(lambda f: f["type"] == "event" and f["event"] == "chat" and
                f["payload"]["state"] == "aborted", timeout=30)
        assert time.time() - t0 < 1.5, "the abort waited for the target's reply"
        c.close()
    finally:
        g.stop()  # waits for the child's run
    msgs = s.transcript("agent:main:main")
    sent = [m for m in msgs if m["role"] == "toolResult" and m["toolName"] == "sessions_send"]
    assert sent[0]["isError"] is True and "aborted" in sent[0]["content"][0]["text"]
    assert msgs[-1]["stopReason"] == "aborted"
    child = re.search(r"agent:main:subagent:[0-9a-f-]{36}", json.dumps(msgs)).group(0)
    assert s.transcript(child)[-1]["content"] == [{"type": "text", "text": "late pong"}]
