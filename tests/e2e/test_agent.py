"""The agent runtime: `pincer agent` against a scripted model service (fakemodel.py).

No real model service is reachable from the test machines, so each test starts a local HTTP
server that speaks the provider's wire format (OpenAI chat-completions SSE with tool-call
deltas split across chunks; Anthropic messages SSE with tool_use blocks and input_json_delta),
plays scripted turns and keeps every request Pincer sent, which the tests check.

The full turn runs exec, write and read in the main agent's native sandbox: it needs root and
the native image like test_sandbox_native.py (it fails, or skips, and says why without them).
"""
import http.client
import json
import os
import secrets
import subprocess
import threading
import time

import pytest

from conftest import PINCER
from fakemodel import FakeModel, anthropic_events, openai_chunks, status, stream
from test_gateway import Gateway
from test_sandbox_native import IMAGE, image_store  # noqa: F401 (a fixture)

KEY = "sk-test-" + secrets.token_hex(12)


class Setup:
    def __init__(self, tmp_path, model):
        self.dir = tmp_path
        self.model = model
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        os.chown(self.ws, 1000, 1000)
        for sub in ("ws-claude", "ws-family"):
            (tmp_path / sub).mkdir()
        (self.ws / "AGENTS.md").write_text("Always answer briefly.\n")
        (self.ws / "SOUL.md").write_text("You are Clawd.\n" + "x" * 30000)
        self.cfg = tmp_path / "pincer.json5"
        prefix = f"pincer-a{secrets.token_hex(3)}-"
        self.cfg.write_text(f"""{{
  gateway: {{ http: {{ endpoints: {{ chatCompletions: {{ enabled: true }} }} }} }},
  models: {{ providers: {{
    fake: {{ baseUrl: "{model.url}/v1", apiKey: "${{FAKE_MODEL_KEY}}", api: "openai-completions",
            timeoutSeconds: 3, models: [{{ id: "fake-model" }}] }},
    claude: {{ baseUrl: "{model.url}", apiKey: "${{FAKE_MODEL_KEY}}", api: "anthropic-messages",
              timeoutSeconds: 3, models: [{{ id: "claude-fake", maxTokens: 1024 }}] }},
  }} }},
  agents: {{
    defaults: {{
      model: "fake/fake-model",
      bootstrapMaxChars: 2000,
      sandbox: {{ mode: "all", backend: "native", scope: "agent", workspaceAccess: "rw",
                 docker: {{ image: "{IMAGE}", containerPrefix: "{prefix}" }} }},
    }},
    list: [
      {{ id: "main", workspace: "{self.ws}" }},
      {{ id: "claude", workspace: "{tmp_path}/ws-claude", model: "claude/claude-fake" }},
      {{ id: "family", workspace: "{tmp_path}/ws-family",
         tools: {{ allow: ["read", "group:sessions"],
                   deny: ["exec", "write", "edit", "apply_patch", "process"] }} }},
    ],
  }},
}}""")

    def link_images(self, store):
        (self.state / "images").symlink_to(store / "images")

    def pincer(self, *args, timeout=120):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(self.state)
        e["FAKE_MODEL_KEY"] = KEY
        p = subprocess.run([PINCER, *args, "--config", str(self.cfg)], capture_output=True,
                           text=True, env=e, timeout=timeout)
        assert p.returncode >= 0 and "Sanitizer" not in p.stderr, p.stderr
        assert KEY not in p.stdout and KEY not in p.stderr
        return p

    def agent(self, message, agent=None, session=None):
        extra = (["--agent", agent] if agent else []) + (["--session", session] if session else [])
        return self.pincer("agent", *extra, "--message", message)

    def transcript(self, key):
        p = self.pincer("sessions", "show", key, "--json")
        assert p.returncode == 0, p.stderr
        return [e["message"] for e in json.loads(p.stdout)["entries"]]

    def assert_key_not_stored(self):
        for f in self.state.rglob("*"):
            if f.is_file() and not f.is_symlink() and "images" not in f.parts:
                assert KEY.encode() not in f.read_bytes(), f


@pytest.fixture
def setup(tmp_path):
    model = FakeModel()
    s = Setup(tmp_path, model)
    yield s
    model.stop()
    # `pincer agent` is a CLI: the sandboxes it made outlive it (docs/sandbox.md), and this
    # state dir is thrown away, so remove them rather than leave them on the machine.
    if (s.state / "state.db").exists():
        p = s.pincer("sandbox", "recreate", "--all", "--force")
        assert p.returncode == 0, p.stderr


def roles(msgs):
    return [m["role"] for m in msgs]


def full_turn_script():
    """The model's side of a full turn: exec, write, read, then the answer."""
    return [
        stream(openai_chunks("Let me look.", [("call_1", "exec",
                                               {"command": "echo from-exec; id -u"})])),
        stream(openai_chunks(None, [("call_2", "write",
                                     {"path": "notes.txt", "content": "hello pincer\n"})])),
        stream(openai_chunks(None, [("call_3", "read", {"path": "notes.txt"})])),
        stream(openai_chunks("All done: the note says hello pincer.")),
    ]


def test_full_turn_exec_write_read_openai(setup, image_store):  # noqa: F811
    s = setup
    s.link_images(image_store)
    s.model.script = full_turn_script()
    p = s.agent("Write a note and read it back.")
    assert p.returncode == 0, p.stderr
    assert "Let me look." in p.stdout and "All done: the note says hello pincer." in p.stdout
    assert "[tool] exec" in p.stderr and "[tool] write" in p.stderr and "[tool] read" in p.stderr
    assert (s.ws / "notes.txt").read_text() == "hello pincer\n"

    reqs = s.model.requests
    assert len(reqs) == 4
    for r in reqs:
        assert r["path"] == "/v1/chat/completions"
        assert r["headers"]["Authorization"] == f"Bearer {KEY}"
        assert r["body"]["model"] == "fake-model" and r["body"]["stream"] is True
    first = reqs[0]["body"]
    tools = {t["function"]["name"]: t for t in first["tools"]}
    assert {"exec", "read", "write", "edit", "apply_patch"} <= set(tools)
    assert all(t["type"] == "function" for t in first["tools"])
    assert tools["exec"]["function"]["parameters"]["required"] == ["command"]
    system = first["messages"][0]
    assert system["role"] == "system"
    assert "## AGENTS.md\nAlways answer briefly." in system["content"]
    assert "truncated" in system["content"] and "x" * 2001 not in system["content"]
    assert "[MISSING] Expected at:" in system["content"]  # IDENTITY.md, USER.md
    assert first["messages"][1] == {"role": "user", "content": "Write a note and read it back."}
    # the second request carries the assembled call and its result
    second = reqs[1]["body"]["messages"]
    assert second[2]["role"] == "assistant"
    assert second[2]["tool_calls"][0]["id"] == "call_1"
    assert json.loads(second[2]["tool_calls"][0]["function"]["arguments"]) == {
        "command": "echo from-exec; id -u"}
    assert second[3]["role"] == "tool" and second[3]["tool_call_id"] == "call_1"
    assert "from-exec" in second[3]["content"]
    last = reqs[3]["body"]["messages"]
    assert last[-1]["role"] == "tool" and "hello pincer" in last[-1]["content"]

    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant", "toolResult",
                           "assistant", "toolResult", "assistant"]
    assert msgs[1]["content"][0] == {"type": "text", "text": "Let me look."}
    assert msgs[1]["content"][1] == {"type": "toolCall", "id": "call_1", "name": "exec",
                                     "arguments": {"command": "echo from-exec; id -u"}}
    assert msgs[1]["provider"] == "fake" and msgs[1]["stopReason"] == "toolUse"
    assert msgs[2]["toolCallId"] == "call_1" and not msgs[2]["isError"]
    assert msgs[-1]["content"] == [{"type": "text",
                                    "text": "All done: the note says hello pincer."}]
    assert msgs[-1]["stopReason"] == "stop" and msgs[-1]["usage"]["input"] == 11
    s.assert_key_not_stored()

    # a second message continues the same session: the model sees the whole history
    s.model.script = [stream(openai_chunks("Still here."))]
    p = s.agent("Are you there?", session="main")
    assert p.returncode == 0 and "Still here." in p.stdout, p.stderr
    again = s.model.requests[4]["body"]["messages"]
    assert [m["role"] for m in again] == ["system", "user", "assistant", "tool", "assistant",
                                          "tool", "assistant", "tool", "assistant", "user"]


def test_anthropic_tool_use(setup):
    s = setup
    s.model.script = [
        stream(anthropic_events("Reading.", [("toolu_01", "sessions_list", {"limit": 5})])),
        stream(anthropic_events("There is one session.")),
    ]
    p = s.agent("How many sessions?", agent="claude")
    assert p.returncode == 0, p.stderr
    assert "Reading." in p.stdout and "There is one session." in p.stdout
    reqs = s.model.requests
    assert [r["path"] for r in reqs] == ["/v1/messages"] * 2
    h = reqs[0]["headers"]
    assert h["x-api-key"] == KEY and h["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in h
    body = reqs[0]["body"]
    assert body["model"] == "claude-fake" and body["max_tokens"] == 1024 and body["stream"]
    assert "Pincer" in body["system"]
    tools = {t["name"]: t for t in body["tools"]}
    assert tools["sessions_list"]["input_schema"]["type"] == "object"
    assert body["messages"] == [{"role": "user",
                                 "content": [{"type": "text", "text": "How many sessions?"}]}]
    m2 = reqs[1]["body"]["messages"]
    assert m2[1]["role"] == "assistant"
    assert m2[1]["content"][1] == {"type": "tool_use", "id": "toolu_01",
                                   "name": "sessions_list", "input": {"limit": 5}}
    assert m2[2]["role"] == "user" and m2[2]["content"][0]["type"] == "tool_result"
    assert m2[2]["content"][0]["tool_use_id"] == "toolu_01"
    assert m2[2]["content"][0]["is_error"] is False
    msgs = s.transcript("agent:claude:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant"]
    assert msgs[1]["content"][1]["arguments"] == {"limit": 5}
    assert msgs[1]["api"] == "anthropic-messages" and msgs[1]["usage"]["output"] == 15


def test_family_agent_cannot_exec(setup):
    s = setup
    s.model.script = [
        stream(openai_chunks(None, [("call_x", "exec", {"command": "rm -rf /"})])),
        stream(openai_chunks("I am not allowed to run commands.")),
    ]
    p = s.agent("Delete everything", agent="family")
    assert p.returncode == 0, p.stderr
    assert "[tool] exec failed" in p.stderr
    offered = [t["function"]["name"] for t in s.model.requests[0]["body"]["tools"]]
    assert "exec" not in offered and "write" not in offered and "read" in offered
    refusal = s.model.requests[1]["body"]["messages"][-1]
    assert refusal["role"] == "tool" and refusal["tool_call_id"] == "call_x"
    assert "exec" in refusal["content"] and ("denied" in refusal["content"].lower() or
        "blocked" in refusal["content"].lower()), refusal
    msgs = s.transcript("agent:family:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant"]
    assert msgs[2]["isError"] is True and msgs[2]["details"]["errorType"] == "tool_call_blocked"
    audit = list(s.state.rglob("audit*"))
    assert audit, "the refusal is audited"


def test_retry_after_429_then_success(setup):
    s = setup
    s.model.script = [
        status(429, {"error": {"message": "Rate limit reached", "type": "rate_limit"}},
               {"Retry-After": "1"}),
        stream(openai_chunks("After the wait.")),
    ]
    p = s.agent("hi")
    assert p.returncode == 0, p.stderr
    assert "After the wait." in p.stdout
    assert len(s.model.requests) == 2
    assert "HTTP 429" in p.stderr and "retrying in 1000 ms" in p.stderr
    assert roles(s.transcript("agent:main:main")) == ["user", "assistant"]


def test_persistent_500_is_a_clear_error(setup):
    s = setup
    s.model.script = [status(500, {"error": {"message": "upstream exploded"}})] * 4
    p = s.agent("hi")
    assert p.returncode == 1
    assert "provider fake answered HTTP 500: upstream exploded" in p.stderr
    assert len(s.model.requests) == 4
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant"]
    assert msgs[1]["stopReason"] == "error" and "HTTP 500" in msgs[1]["errorMessage"]
    # the failed turn is not sent back to the model next time
    s.model.script = [stream(openai_chunks("ok"))]
    assert s.agent("again").returncode == 0
    assert [m["role"] for m in s.model.requests[-1]["body"]["messages"]] == \
        ["system", "user", "user"]


def test_stream_cut_midway(setup):
    s = setup
    s.model.script = [stream(openai_chunks("This answer never ends properly"), cut_after=4)]
    p = s.agent("hi")
    assert p.returncode == 1
    assert "stream ended before the answer was complete" in p.stderr
    assert len(s.model.requests) == 1  # streamed text is never retried
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant"] and msgs[1]["stopReason"] == "error"


def test_stalled_stream_hits_idle_timeout(setup):
    s = setup
    s.model.script = [stream(openai_chunks("slow"), stall_after=2, stall=8)]
    p = s.agent("hi")
    assert p.returncode == 1
    assert "sent nothing for 3 s (idle timeout" in p.stderr
    assert "models.providers.fake.timeoutSeconds" in p.stderr
    assert roles(s.transcript("agent:main:main")) == ["user", "assistant"]


def test_invalid_tool_arguments_go_back_to_the_model(setup):
    s = setup
    s.model.script = [
        stream(openai_chunks(None, [("call_bad", "read", '{"path": "a.txt"')])),
        stream(openai_chunks("Sorry, fixed.")),
    ]
    p = s.agent("read a.txt")
    assert p.returncode == 0, p.stderr
    err = s.model.requests[1]["body"]["messages"][-1]
    assert err["role"] == "tool" and "not a JSON object" in err["content"]
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant", "toolResult", "assistant"]
    assert msgs[1]["content"][0]["arguments"] == {} and msgs[2]["isError"] is True


def test_length_stop_fails_the_calls(setup):
    """Spec 4.1: a turn cut by the token limit runs none of its tool calls."""
    s = setup
    s.model.script = [
        stream(openai_chunks(None, [("call_l", "read", {"path": "a.txt"})], finish="length")),
        stream(openai_chunks("I will try again later.")),
    ]
    p = s.agent("read a.txt")
    assert p.returncode == 0, p.stderr
    err = s.model.requests[1]["body"]["messages"][-1]
    assert err["role"] == "tool" and "re-issue the tool call" in err["content"]
    msgs = s.transcript("agent:main:main")
    assert msgs[1]["stopReason"] == "length" and msgs[2]["isError"] is True


def test_auth_failure_and_unknown_model(setup):
    s = setup
    s.model.script = [status(401, {"error": {"message": f"Incorrect API key provided: {KEY}",
                                             "type": "invalid_request_error"}})]
    p = s.agent("hi")
    assert p.returncode == 1
    assert "provider fake rejected the API key (HTTP 401" in p.stderr
    assert "models.providers.fake.apiKey" in p.stderr  # and KEY is not (Setup.pincer checks)
    assert len(s.model.requests) == 1  # not retried
    s.model.script = [status(404, {"error": {"message": "The model does not exist",
                                             "code": "model_not_found"}})]
    p = s.agent("hi")
    assert p.returncode == 1 and 'does not know model "fake-model"' in p.stderr
    s.assert_key_not_stored()
    # a model the provider does not list is refused before any request
    text = s.cfg.read_text().replace('model: "fake/fake-model"', 'model: "fake/nope"')
    s.cfg.write_text(text)
    n = len(s.model.requests)
    p = s.agent("hi")
    assert p.returncode == 1 and 'unknown model "fake/nope"' in p.stderr
    assert len(s.model.requests) == n


def chat(g, body, **kw):
    status, data, resp = g.request("POST", "/v1/chat/completions", body, **kw)
    return status, data, resp


def test_chat_completions(setup, image_store):  # noqa: F811
    s = setup
    s.link_images(image_store)
    g = Gateway(s.dir, s.cfg, env={"FAKE_MODEL_KEY": KEY})
    try:
        # non-streaming, with a tool call that runs in the main agent's sandbox (via the worker)
        s.model.script = [
            stream(openai_chunks(None, [("call_1", "exec", {"command": "echo via-gateway"})])),
            stream(openai_chunks("The command said via-gateway.")),
        ]
        st, data, resp = chat(g, {"model": "pincer/main", "user": "alice",
                                  "messages": [{"role": "system", "content": "be nice"},
                                               {"role": "user", "content": "run it"}]})
        assert st == 200, data
        doc = json.loads(data)
        assert doc["object"] == "chat.completion" and doc["model"] == "pincer/main"
        assert doc["id"].startswith("chatcmpl-")
        assert doc["choices"] == [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": "The command said via-gateway."}}]
        assert doc["usage"]["prompt_tokens"] == 22
        tool_msg = s.model.requests[1]["body"]["messages"][-1]
        assert tool_msg["role"] == "tool" and "via-gateway" in tool_msg["content"]
        msgs = s.transcript("agent:main:openai-user:alice")
        assert roles(msgs) == ["user", "assistant", "toolResult", "assistant"]
        assert msgs[2]["isError"] is False

        # streaming, openclaw/<id>, the same user: the same session, history included. The
        # first words arrive while the model is still talking, and the gateway's loop keeps
        # answering meanwhile.
        s.model.script = [stream(openai_chunks("Second answer, streamed."), pause_after=2,
                                 pause=1.5)]
        conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
        conn.request("POST", "/v1/chat/completions", json.dumps(
            {"model": "openclaw/main", "user": "alice", "stream": True,
             "messages": [{"role": "user", "content": "again"}]}),
            {"Authorization": f"Bearer {g.token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200 and resp.getheader("Content-Type").startswith(
            "text/event-stream")
        events, first_text_at = [], None
        while True:
            line = resp.fp.readline()
            if not line:
                break
            line = line.decode().strip()
            if line.startswith("data: "):
                events.append(line[6:])
                if first_text_at is None and '"content":"Secon"' in line:
                    first_text_at = time.time()
                    t0 = time.time()
                    assert g.request("GET", "/health", auth=False)[0] == 200
                    assert time.time() - t0 < 0.5
        done_at = time.time()
        conn.close()
        assert first_text_at and done_at - first_text_at > 1.0, "the stream was not incremental"
        assert events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
        assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert text == "Second answer, streamed."
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
        assert len({c["id"] for c in chunks}) == 1
        assert len(s.model.requests[-1]["body"]["messages"]) == 6  # system + 4 + new user

        # a stream that breaks after its first words ends with an error event
        s.model.script = [stream(openai_chunks("Half an answer"), cut_after=3)]
        st, data, _ = chat(g, {"model": "pincer/main", "stream": True,
                               "messages": [{"role": "user", "content": "x"}]})
        events = [line[6:] for line in data.decode().split("\n\n") if line.startswith("data: ")]
        assert st == 200 and events[-1] == "[DONE]"
        assert "stream ended before the answer was complete" in \
            json.loads(events[-2])["error"]["message"]

        # errors
        st, data, _ = chat(g, {"model": "pincer/nobody", "messages": [
            {"role": "user", "content": "x"}]})
        assert st == 400 and "unknown model" in json.loads(data)["error"]["message"]
        st, data, _ = chat(g, {"model": "pincer/main", "messages": []})
        assert st == 400
        st, data, _ = chat(g, {"model": "pincer/main", "messages": [
            {"role": "user", "content": "x"}]}, auth=False)
        assert st == 401
        s.model.script = [status(401, {"error": {"message": "bad key"}})]
        st, data, _ = chat(g, {"model": "pincer/main", "messages": [
            {"role": "user", "content": "x"}]})
        assert st == 502 and "rejected the API key" in json.loads(data)["error"]["message"]
    finally:
        g.stop()
    assert KEY not in g.errpath.read_text()
    s.assert_key_not_stored()


def test_gateway_drains_a_run_whose_client_left(setup):
    s = setup
    g = Gateway(s.dir, s.cfg, env={"FAKE_MODEL_KEY": KEY})
    try:
        s.model.script = [stream(openai_chunks("late answer"), pause_after=1, pause=2)]
        with pytest.raises(OSError):  # the client gives up while the model is still talking
            chat(g, {"model": "pincer/main", "user": "bob",
                     "messages": [{"role": "user", "content": "hi"}]}, timeout=0.5)
        time.sleep(0.2)
    finally:
        g.stop()  # SIGTERM: exits 0 once the run has finished, without a sanitizer report
    assert "late answer" in json.dumps(s.transcript("agent:main:openai-user:bob"))


def test_one_run_per_session(setup):
    """A second message to a busy session waits for the first run: turns never interleave."""
    s = setup
    s.model.script = [stream(openai_chunks("first answer"), pause_after=1, pause=1.5),
                      stream(openai_chunks("second answer"))]
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(PINCER_STATE_DIR=str(s.state), FAKE_MODEL_KEY=KEY)
    procs = []
    for text in ("one", "two"):
        procs.append(subprocess.Popen([PINCER, "agent", "--message", text, "--config",
                                       str(s.cfg)], env=e, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
        time.sleep(0.4)
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    msgs = s.transcript("agent:main:main")
    assert roles(msgs) == ["user", "assistant", "user", "assistant"]
    assert msgs[0]["content"][0]["text"] == "one" and msgs[2]["content"][0]["text"] == "two"
    # the second run saw the whole first turn
    assert len(s.model.requests[1]["body"]["messages"]) == 4


def test_run_time_limit(setup):
    s = setup
    s.cfg.write_text(s.cfg.read_text().replace("bootstrapMaxChars: 2000,",
                                               "bootstrapMaxChars: 2000, timeoutSeconds: 1,"))
    s.model.script = [stream(openai_chunks("too slow"), pause_after=1, pause=2.5)]
    t0 = time.time()
    p = s.agent("hi")
    assert p.returncode == 1 and time.time() - t0 < 2.5
    assert "the run hit its time limit (agents.defaults.timeoutSeconds)" in p.stderr
    assert roles(s.transcript("agent:main:main")) == ["user", "assistant"]


def test_cli_json(setup):
    s = setup
    s.model.script = [stream(openai_chunks("json answer"))]
    p = s.pincer("agent", "--session", "work", "--json", "--message", "hi")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc == {"ok": True, "sessionKey": "agent:main:work", "model": "fake/fake-model",
                   "text": "json answer", "toolCalls": 0, "usage": {"input": 11, "output": 7}}
    s.model.script = [status(500, {"error": {"message": "down"}})] * 4
    p = s.pincer("agent", "--session", "work", "--json", "--message", "hi")
    doc = json.loads(p.stdout)
    assert p.returncode == 1 and doc["ok"] is False and doc["sessionKey"] == "agent:main:work"
    assert doc["error"]["type"] == "unavailable" and "HTTP 500" in doc["error"]["message"]


def test_chat_run_limit(setup):
    s = setup
    g = Gateway(s.dir, s.cfg, env={"FAKE_MODEL_KEY": KEY})
    try:
        s.model.script = [stream(openai_chunks(f"answer {i}"), pause_after=1, pause=1.5)
                          for i in range(16)]
        results = [None] * 16

        def go(i):
            results[i] = chat(g, {"model": "pincer/main", "user": f"u{i}",
                                  "messages": [{"role": "user", "content": "hi"}]})[0]
        threads = [threading.Thread(target=go, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        deadline = time.time() + 10
        while len(s.model.requests) < 16 and time.time() < deadline:
            time.sleep(0.05)
        st, data, _ = chat(g, {"model": "pincer/main", "messages": [
            {"role": "user", "content": "one too many"}]})
        assert st == 429 and json.loads(data)["error"]["type"] == "rate_limit_error"
        for t in threads:
            t.join(30)
        assert results == [200] * 16
    finally:
        g.stop()


def test_cli_usage_errors(setup):
    p = setup.pincer("agent")
    assert p.returncode == 2 and "--message TEXT is required" in p.stderr
    p = setup.agent("hi", agent="nobody")
    assert p.returncode == 1 and "nobody" in p.stderr
