"""A scripted model service speaking OpenAI chat-completions and Anthropic messages SSE.

Each request pops the next scripted reply; every request (path, headers, JSON body) is kept
for the test to check. Replies are built with the helpers below. A reply may also be a function
of the request body (a turn that depends on an earlier tool result), and `routes` sends the
requests of conversations whose first user message holds a marker to their own script (runs
of several sessions at once, e.g. a sub-agent's).
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def openai_chunks(text=None, calls=(), split=7, finish=None):
    """SSE data payloads of one streamed chat-completions turn. Tool-call arguments are cut
    into pieces of `split` characters, each its own chunk, as OpenAI streams them."""
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
            "model": "fake-model"}
    out = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                "finish_reason": None}])]
    if text:
        for i in range(0, len(text), 5):
            out.append(dict(base, choices=[{"index": 0, "delta": {"content": text[i:i + 5]},
                                            "finish_reason": None}]))
    for n, (cid, name, args) in enumerate(calls):
        args = args if isinstance(args, str) else json.dumps(args)
        out.append(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
            {"index": n, "id": cid, "type": "function",
             "function": {"name": name, "arguments": ""}}]}, "finish_reason": None}]))
        for i in range(0, len(args), split):
            out.append(dict(base, choices=[{"index": 0, "delta": {"tool_calls": [
                {"index": n, "function": {"arguments": args[i:i + split]}}]},
                "finish_reason": None}]))
    out.append(dict(base, choices=[{"index": 0, "delta": {},
                                    "finish_reason": finish or ("tool_calls" if calls else "stop")}]))
    out.append(dict(base, choices=[], usage={"prompt_tokens": 11, "completion_tokens": 7,
                                             "total_tokens": 18}))
    return [json.dumps(c) for c in out] + ["[DONE]"]


def anthropic_events(text=None, calls=(), split=6):
    """(event, data) pairs of one streamed Anthropic messages turn."""
    ev = [("message_start", {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "content": [],
        "model": "claude-fake", "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 25, "output_tokens": 1}}}),
        ("ping", {"type": "ping"})]
    idx = 0
    if text:
        ev.append(("content_block_start", {"type": "content_block_start", "index": idx,
                                           "content_block": {"type": "text", "text": ""}}))
        for i in range(0, len(text), 4):
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": idx,
                                               "delta": {"type": "text_delta",
                                                         "text": text[i:i + 4]}}))
        ev.append(("content_block_stop", {"type": "content_block_stop", "index": idx}))
        idx += 1
    for cid, name, args in calls:
        args = args if isinstance(args, str) else json.dumps(args)
        ev.append(("content_block_start", {"type": "content_block_start", "index": idx,
                                           "content_block": {"type": "tool_use", "id": cid,
                                                             "name": name, "input": {}}}))
        for i in range(0, len(args), split):
            ev.append(("content_block_delta", {"type": "content_block_delta", "index": idx,
                                               "delta": {"type": "input_json_delta",
                                                         "partial_json": args[i:i + split]}}))
        ev.append(("content_block_stop", {"type": "content_block_stop", "index": idx}))
        idx += 1
    ev.append(("message_delta", {"type": "message_delta",
                                 "delta": {"stop_reason": "tool_use" if calls else "end_turn",
                                           "stop_sequence": None},
                                 "usage": {"output_tokens": 15}}))
    ev.append(("message_stop", {"type": "message_stop"}))
    return [(e, json.dumps(d)) for e, d in ev]


def stream(events, cut_after=None, stall_after=None, stall=0, pause_after=None, pause=0):
    """A 200 text/event-stream reply; events are data strings or (event, data) pairs. The
    stream can be cut inside an event, stall (and end) or pause (and go on)."""
    return {"kind": "stream", "events": events, "cut_after": cut_after,
            "stall_after": stall_after, "stall": stall, "pause_after": pause_after,
            "pause": pause}


def status(code, body, headers=None):
    return {"kind": "status", "code": code, "body": body, "headers": headers or {}}


def first_user_text(body):
    for m in body.get("messages", []):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


class FakeModel:
    def __init__(self):
        self.script = []
        self.routes = {}  # marker in the first user message → its own script
        self.requests = []
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n))
                with fake.lock:
                    fake.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "body": body})
                    script = fake.script
                    first = first_user_text(body)
                    for marker, s in fake.routes.items():
                        if marker in first:
                            script = s
                    reply = script.pop(0) if script else status(
                        500, {"error": {"message": "the test script has no more replies"}})
                if callable(reply):
                    reply = reply(body)
                if reply["kind"] == "status":
                    data = json.dumps(reply["body"]).encode()
                    self.send_response(reply["code"])
                    for k, v in reply["headers"].items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, e in enumerate(reply["events"]):
                    if reply["cut_after"] is not None and i == reply["cut_after"]:
                        self.wfile.write(b'data: {"choices":[{"index":0,"delta":{"content":"tru')
                        self.wfile.flush()
                        return
                    if reply["stall_after"] is not None and i == reply["stall_after"]:
                        time.sleep(reply["stall"])
                        return
                    if reply["pause_after"] is not None and i == reply["pause_after"]:
                        time.sleep(reply["pause"])
                    if isinstance(e, tuple):
                        frame = f"event: {e[0]}\ndata: {e[1]}\n\n"
                    else:
                        frame = f"data: {e}\n\n"
                    self.wfile.write(frame.encode())
                    self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
