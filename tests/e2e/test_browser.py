"""The browser tool with a real Chromium (docs/browser.md; gateway spec 3.10, sandbox spec 1.13).

Sandboxed sessions (native and Docker backends, network none): Chromium runs inside the
session's sandbox, started through the backend's exec with CDP on a pipe. The agent serves a
page from inside its sandbox (exec background), the browser reads it, clicks, and takes a
screenshot, which the test decodes (a small PNG decoder below: zlib and the five scanline
filters). The browser cannot reach a server on the host's loopback; the family agent is
refused; a killed Chromium is restarted by the next call; no Chromium is left once the sandbox
is removed or the gateway stops. Unsandboxed sessions: a host Chromium, headless, as nobody,
with a private temporary profile that is removed.

Needs root, the native image openclaw-sandbox-browser:bookworm-slim (built here once per store
with `pincer image build ... --from openclaw-sandbox:bookworm-slim`, about a minute), the Docker
image of the same name (scripts/sandbox-browser-setup.sh, about 40 s; kept by tag) and Debian's
chromium on the host. scripts/test.sh builds both images. Without them the tests skip saying
why, unless PINCER_REQUIRE_NATIVE=1 / PINCER_REQUIRE_DOCKER=1 / CI, in which case they fail.
"""
import base64
import http.server
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import zlib
from pathlib import Path

import pytest

from test_gateway import Gateway, free_port
from test_sandbox_native import _pincer, build_image, problem_or_fail

BROWSER_IMAGE = "openclaw-sandbox-browser:bookworm-slim"
BROWSER_IMAGE_DIR = "openclaw-sandbox-browser%3Abookworm-slim"
BROWSER_PACKAGES = "chromium fonts-dejavu-core fonts-liberation"

PAGE = """<!doctype html>
<html><head><title>Pincer browser test</title>
<style>
  body { margin: 0; background: #fff; font-family: sans-serif; }
  #box { position: fixed; left: 0; top: 0; width: 200px; height: 100px; background: rgb(255, 0, 0); }
  h1 { margin-top: 140px; }
</style></head>
<body>
  <div id="box"></div>
  <h1 id="msg">Hello from the sandbox</h1>
  <button id="go" onclick="document.getElementById('msg').textContent = 'Clicked!';
      document.getElementById('box').style.background = 'rgb(0, 0, 255)';
      console.log('clicked', 1)">Change it</button>
  <input id="name" placeholder="Your name"
      oninput="document.getElementById('echo').textContent = 'Hi ' + this.value">
  <p id="echo"></p>
  <div style="height: 3000px"></div>
  <p>The end</p>
</body></html>
"""


# ---- a PNG decoder (8-bit RGB / RGBA, non-interlaced: what Chromium writes) -------------------

def decode_png(data):
    """-> (width, height, rows), rows[y] a bytes of width * channels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind}"
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = ihdr
    assert depth == 8 and color in (2, 6) and interlace == 0, ihdr
    ch = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * ch
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, ch


def pixel(png, x, y):
    _, _, rows, ch = png
    return tuple(rows[y][x * ch:x * ch + 3])


# ---- helpers ---------------------------------------------------------------------------------

def chromium_pids(marker):
    """Pids of Chromium processes (any of its children too) whose command line has marker."""
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            cmd = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            stat = (p / "stat").read_text()
        except OSError:
            continue
        if "chromium" in cmd and marker in cmd and ") Z" not in stat:
            pids.append(int(p.name))
    return pids


def wait_gone(marker, timeout=10):
    deadline = time.time() + timeout
    while chromium_pids(marker):
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


def text_of(body):
    return "\n".join(c.get("text", "") for c in body["result"]["content"] if c["type"] == "text")


def image_of(body):
    imgs = [c for c in body["result"]["content"] if c["type"] == "image"]
    assert len(imgs) == 1, body
    return imgs[0]


@pytest.fixture(scope="module")
def browser_store(tmp_path_factory):
    if os.geteuid() != 0:
        problem_or_fail("they need root (namespaces, mounts, cgroups)")
    store = Path(os.environ.get("PINCER_NATIVE_IMAGE_STORE") or
                 tmp_path_factory.mktemp("native-store"))
    store.mkdir(parents=True, exist_ok=True)
    why = build_image(store)
    if why:
        problem_or_fail(why)
    if not (store / "images" / BROWSER_IMAGE_DIR / "rootfs" / "usr" / "bin" / "chromium").exists():
        t0 = time.time()
        r = _pincer(store, "image", "build", BROWSER_IMAGE, "--from", "openclaw-sandbox:bookworm-slim",
                    "--packages", BROWSER_PACKAGES, "--replace")
        if r.returncode != 0:
            problem_or_fail(f"`pincer image build {BROWSER_IMAGE}` failed: {r.stderr[-2000:]}")
        print(f"built {BROWSER_IMAGE} in {time.time() - t0:.0f}s")
    return store


class Env:
    def __init__(self, tmp_path, store=None):
        self.tmp = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir()
        if store:
            (self.state / "images").symlink_to(store / "images")
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        os.chown(self.ws, 1000, 1000)
        (self.ws / "index.html").write_text(PAGE)
        self.prefix = f"pincer-b{os.urandom(3).hex()}-"
        self.gateways = []

    backend = "native"

    def sandboxed_config(self, browser_extra=""):
        return f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "{self.backend}", scope: "agent", workspaceAccess: "rw",
        docker: {{ image: "{BROWSER_IMAGE}", containerPrefix: "{self.prefix}", network: "none" }},
        browser: {{ enabled: true, headless: true, {browser_extra} }},
      }},
    }},
    list: [
      {{ id: "main", workspace: "{self.ws}",
         tools: {{ allow: ["exec", "process", "browser"], sandbox: {{ tools: {{ alsoAllow: ["browser"] }} }} }} }},
      {{ id: "family", workspace: "{self.tmp}/ws-family",
         tools: {{ allow: ["read"], deny: ["exec", "write", "edit", "apply_patch", "process", "browser"] }} }},
    ],
  }},
  tools: {{ sandbox: {{ tools: {{ alsoAllow: ["browser"] }} }} }},
}}"""

    def gateway(self, text):
        cfg = self.tmp / "pincer.json5"
        cfg.write_text(text)
        g = Gateway(self.tmp, cfg)
        self.gateways.append(g)
        return g

    def sandbox_name(self):
        return f"{self.prefix}agent-main-f331f052"

    def pincer(self, *args):
        return _pincer(self.state, *args, "--config", str(self.tmp / "pincer.json5"), timeout=120)


@pytest.fixture(scope="module")
def docker_browser_image():
    """Builds the Docker browser image once (kept by tag between runs)."""
    from test_sandbox_docker import engine_problem
    why = engine_problem()
    if why:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {why}")
        pytest.skip(f"Docker browser tests skipped: {why}")
    if subprocess.run(["docker", "image", "inspect", BROWSER_IMAGE],
                      capture_output=True).returncode != 0:
        r = subprocess.run([str(Path(__file__).resolve().parents[2] / "scripts" /
                                "sandbox-browser-setup.sh")],
                           capture_output=True, text=True, timeout=1800)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return BROWSER_IMAGE


def _env(tmp_path, store, backend):
    e = Env(tmp_path, store)
    e.backend = backend
    yield e
    for g in e.gateways:
        print(f"--- gateway stderr\n{g.stderr()}")
        g.stop()
    e.pincer("sandbox", "recreate", "--all", "--force")


@pytest.fixture
def env(tmp_path, browser_store):
    """A native sandbox."""
    yield from _env(tmp_path, browser_store, "native")


@pytest.fixture(params=["native", "docker"])
def any_env(request, tmp_path, browser_store):
    """The same test with each backend."""
    if request.param == "docker":
        request.getfixturevalue("docker_browser_image")
    yield from _env(tmp_path, browser_store, request.param)


def browser(g, agent=None, expect_ok=True, **args):
    status, body = g.invoke("browser", args, agent=agent)
    assert status == 200, body
    if expect_ok:  # a failed action is a result with details.ok false
        assert (body["result"].get("details") or {}).get("ok", True) is not False, body
    return body


def start_server(g, port):
    """The agent's web server, on the sandbox's own loopback (exec background)."""
    status, body = g.invoke("exec", {
        "command": f"cd /workspace && exec python3 -m http.server {port} --bind 127.0.0.1",
        "background": True})
    assert status == 200, body
    for _ in range(100):
        status, body = g.invoke("exec", {
            "command": f"curl -sf http://127.0.0.1:{port}/index.html >/dev/null && echo up"})
        if status == 200 and "up" in text_of(body):
            return
        time.sleep(0.1)
    pytest.fail(f"the agent's server did not come up: {body}")


# ---- sandboxed -------------------------------------------------------------------------------

def test_agent_server_snapshot_click_screenshot(any_env):
    env = any_env
    g = env.gateway(env.sandboxed_config())
    start_server(g, 8765)
    url = "http://localhost:8765/index.html"

    body = browser(g, action="navigate", targetUrl=url)
    assert body["ok"] and not body["result"].get("isError"), body
    text = text_of(body)
    assert "Hello from the sandbox" in text, text
    assert body["result"]["details"]["title"] == "Pincer browser test"

    snap = text_of(browser(g, action="snapshot"))
    m = re.search(r'button "Change it" \[ref=(e\d+)\]', snap)
    assert m, snap
    ref = m.group(1)
    # refs are stable: a second snapshot names the same element the same way
    assert f'button "Change it" [ref={ref}]' in text_of(browser(g, action="snapshot"))

    before = decode_png(base64.b64decode(image_of(browser(g, action="screenshot"))["data"]))
    assert pixel(before, 100, 50) == (255, 0, 0)

    body = browser(g, action="act", request={"kind": "click", "ref": ref})
    assert body["result"]["details"]["ok"], body
    assert "Clicked!" in text_of(browser(g, action="snapshot"))

    shot = browser(g, action="screenshot")
    img = image_of(shot)
    assert img["mimeType"] == "image/png"
    png = decode_png(base64.b64decode(img["data"]))
    assert png[0] == 1280 and png[1] == 800, png[:2]
    assert pixel(png, 100, 50) == (0, 0, 255)  # the box turned blue
    assert pixel(png, 600, 20) == (255, 255, 255)
    assert shot["result"]["details"]["width"] == 1280

    full = browser(g, action="screenshot", fullPage=True)
    w, h, _, _ = decode_png(base64.b64decode(image_of(full)["data"]))
    assert w == 1280 and h > 3000, (w, h)  # the whole page, not the viewport

    cons = browser(g, action="console")
    assert any(m["text"] == "clicked 1" for m in cons["result"]["details"]["messages"]), cons

    tabs = browser(g, action="tabs")["result"]["details"]["tabs"]
    assert any(t["url"] == url and t["current"] for t in tabs), tabs
    st = browser(g, action="status")["result"]["details"]
    assert st["running"] and st["target"] == "sandbox", st


def test_browser_cannot_reach_the_host(any_env):
    env = any_env
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"host secret")

        def log_message(self, *a):
            pass

    port = free_port()
    srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        g = env.gateway(env.sandboxed_config())
        body = browser(g, action="navigate", targetUrl=f"http://127.0.0.1:{port}/",
                       expect_ok=False)
        assert body["result"]["details"]["ok"] is False, body
        assert "net::ERR_" in text_of(body), body
        snap = text_of(browser(g, action="snapshot"))
        assert "host secret" not in snap
        assert hits == []
    finally:
        srv.shutdown()


def test_family_agent_is_refused(env):
    g = env.gateway(env.sandboxed_config())
    # a sandboxed session cannot ask for the host browser
    body = browser(g, action="status", target="host", expect_ok=False)
    assert "does not let sandboxed sessions drive the host browser" in text_of(body), body
    status, body = g.invoke("browser", {"action": "status"}, agent="family")
    assert status == 403, body
    assert body["ok"] is False and body["error"]["type"] == "tool_call_blocked", body
    assert "browser" in body["error"]["message"], body


def test_killed_chromium_restarts_and_none_is_left(any_env):
    env = any_env
    g = env.gateway(env.sandboxed_config())
    browser(g, action="navigate", targetUrl="data:text/html,<p>one</p>")
    pids = [p for p in chromium_pids("--remote-debugging-pipe") if in_sandbox(p, env)]
    assert pids, "no Chromium runs in the sandbox"
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    body = browser(g, action="navigate", targetUrl="data:text/html,<p>two</p>")
    text = text_of(body)
    # the call finds it dead, starts a new one and says so
    assert "it was restarted for this call" in text and '"two"' in text, body
    assert browser(g, action="status")["result"]["details"]["restarts"] == 1
    assert [p for p in chromium_pids("--remote-debugging-pipe") if in_sandbox(p, env)]
    # removing the sandbox ends its browser
    r = env.pincer("sandbox", "recreate", "--all", "--force")
    assert r.returncode == 0, r.stderr
    deadline = time.time() + 10
    while [p for p in chromium_pids("--remote-debugging-pipe") if in_sandbox(p, env)]:
        assert time.time() < deadline, "Chromium outlived its sandbox"
        time.sleep(0.1)
    # the next call says what happened and starts a new one in the new sandbox
    body = browser(g, action="navigate", targetUrl="data:text/html,<p>three</p>")
    assert "it was restarted for this call" in text_of(body) and '"three"' in text_of(body), body
    # stopping the gateway stops every browser
    g.stop()
    env.gateways.remove(g)
    time.sleep(0.5)
    assert not [p for p in chromium_pids("--remote-debugging-pipe") if in_sandbox(p, env)]


def in_sandbox(pid, env):
    """Whether pid runs in this test's sandbox: its cgroup names the native sandbox, or the
    Docker container's id."""
    try:
        cg = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False
    if env.backend == "native":
        return env.prefix in cg
    r = subprocess.run(["docker", "ps", "-q", "--no-trunc", "--filter", f"name={env.prefix}"],
                       capture_output=True, text=True)
    return any(cid and cid in cg for cid in r.stdout.split())


def test_missing_chromium_names_the_image_command(tmp_path, browser_store):
    e = Env(tmp_path, browser_store)
    text = e.sandboxed_config().replace(BROWSER_IMAGE, "openclaw-sandbox:bookworm-slim")
    g = e.gateway(text)
    try:
        body = browser(g, action="status")
        assert not body["result"]["details"]["running"]
        body = browser(g, action="navigate", targetUrl="about:blank", expect_ok=False)
        assert body["result"]["details"]["ok"] is False, body
        msg = text_of(body)
        assert "not installed in the sandbox image" in msg or "did not start" in msg, msg
        assert f"pincer image build {BROWSER_IMAGE}" in msg, msg
        # pincer doctor says it before any call does
        r = e.pincer("doctor")
        assert "sandbox.browser.enabled, but image 'openclaw-sandbox:bookworm-slim' has no " \
               "Chromium" in r.stdout + r.stderr, r.stdout + r.stderr
    finally:
        g.stop()
        e.pincer("sandbox", "recreate", "--all", "--force")


# ---- on the host -----------------------------------------------------------------------------

def need_host_chromium():
    if not shutil.which("chromium"):
        if os.environ.get("CI") or os.environ.get("PINCER_REQUIRE_NATIVE") == "1":
            pytest.fail("chromium is not installed on the host (scripts/setup.sh installs it)")
        pytest.skip("chromium is not installed on the host (scripts/setup.sh installs it)")


def test_host_browser_headless_private_profile(tmp_path):
    need_host_chromium()
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = tmp_path / "pincer.json5"
    cfg.write_text(f"""{{
  browser: {{ headless: true }},
  agents: {{ list: [ {{ id: "main", workspace: "{ws}", tools: {{ allow: ["browser", "read"] }} }} ] }},
}}""")
    g = Gateway(tmp_path, cfg)
    try:
        page = "data:text/html," + PAGE.replace("#", "%23")
        body = browser(g, action="navigate", targetUrl=page)
        assert 'heading "Hello from the sandbox" [level=1]' in text_of(body), body
        ref = re.search(r'button "Change it" \[ref=(e\d+)\]', text_of(body)).group(1)
        browser(g, action="act", request={"kind": "click", "ref": ref})
        png = decode_png(base64.b64decode(image_of(browser(g, action="screenshot"))["data"]))
        assert pixel(png, 100, 50) == (0, 0, 255)
        # one element's screenshot: the button, scrolled into view, at its own size
        shot = browser(g, action="screenshot", ref=ref)
        bw, bh, _, _ = decode_png(base64.b64decode(image_of(shot)["data"]))
        d = shot["result"]["details"]
        assert (bw, bh) == (d["width"], d["height"]) and 20 < bw < 300 and 10 < bh < 60, d
        st = browser(g, action="status")["result"]["details"]
        assert st["target"] == "host" and st["headless"] and st["running"], st
        pids = chromium_pids("--user-data-dir=/tmp/pincer-browser-")
        assert pids
        cmd = Path(f"/proc/{pids[0]}/cmdline").read_bytes().split(b"\0")
        profile = Path(next(a for a in cmd if a.startswith(b"--user-data-dir="))
                       .split(b"=", 1)[1].decode())
        assert profile.is_dir() and (profile.stat().st_mode & 0o077) == 0, profile
        status = Path(f"/proc/{pids[0]}/status").read_text()
        if os.geteuid() == 0:  # never root: nobody, with Chromium's own sandbox
            assert re.search(r"^Uid:\s+65534\s", status, re.M), status
            assert "--no-sandbox" not in b" ".join(cmd).decode()
        environ = Path(f"/proc/{pids[0]}/environ").read_bytes().split(b"\0")
        assert not [e for e in environ if e.startswith(b"PINCER_")], environ
        # type into a field by ref, press keys, scroll
        box = re.search(r'textbox "Your name" value="" \[ref=(e\d+)\]', text_of(body)).group(1)
        browser(g, action="act", request={"kind": "type", "ref": box, "text": "Ada"})
        browser(g, action="act", request={"kind": "press", "key": "Backspace"})
        snap = text_of(browser(g, action="snapshot"))
        assert '"Hi Ad"' in snap and 'value="Ad"' in snap, snap
        browser(g, action="act", request={"kind": "scroll", "deltaY": 1000})
        y = browser(g, action="act", request={"kind": "evaluate", "fn": "() => window.scrollY"})
        assert y["result"]["details"]["result"] > 0, y
        # evaluate is allowed by default (browser.evaluateEnabled)
        ev = browser(g, action="act", request={"kind": "evaluate", "fn": "() => document.title"})
        assert ev["result"]["details"]["result"] == "Pincer browser test", ev
        big = browser(g, action="act", request={"kind": "evaluate", "fn": "'é'.repeat(300000)"})
        d = big["result"]["details"]
        assert d["truncated"] and len(d["result"].encode()) <= 200000, len(d["result"])
        # wait for text that comes later, and time out on text that stays
        browser(g, action="act", request={
            "kind": "evaluate", "fn": "() => { setTimeout(() => document.body.append('Later!'), 300); }"})
        w = browser(g, action="act", request={"kind": "wait", "text": "Later!"})
        assert w["result"]["details"]["ok"], w
        w = browser(g, action="act", request={"kind": "wait", "textGone": "Later!"},
                    timeoutMs=300, expect_ok=False)
        assert w["result"]["details"]["code"] == "ACT_WAIT_TIMEOUT", w
        # fill replaces what a field holds; type adds to it
        browser(g, action="act", request={"kind": "fill", "ref": box, "text": "Grace"})
        assert 'value="Grace"' in text_of(browser(g, action="snapshot"))
        # tabs: open, list, close
        opened = browser(g, action="open", targetUrl="about:blank")["result"]["details"]
        tabs = browser(g, action="tabs")["result"]["details"]["tabs"]
        assert len(tabs) == 2 and any(t["targetId"] == opened["targetId"] for t in tabs)
        browser(g, action="close", targetId=opened["targetId"])
        assert len(browser(g, action="tabs")["result"]["details"]["tabs"]) == 1
        # a tab that closes itself while we drive it: the next action uses another tab
        browser(g, action="act", request={
            "kind": "evaluate", "fn": "() => { window.open('about:blank', '_blank'); }"})
        tabs = browser(g, action="tabs")["result"]["details"]["tabs"]
        popup = next(t for t in tabs if not t["current"])
        browser(g, action="focus", targetId=popup["targetId"])
        browser(g, action="act", request={"kind": "evaluate", "fn": "() => { window.close(); }"},
                expect_ok=False)
        time.sleep(0.3)
        assert 'heading "Clicked!"' in text_of(browser(g, action="snapshot"))
        assert len(browser(g, action="tabs")["result"]["details"]["tabs"]) == 1
        # bad arguments are the caller's error
        status, bad = g.invoke("browser", {"action": "fly"})
        assert status == 400 and "action" in bad["error"]["message"], bad
        # the host browser never reads host files (the file tools' confinement stands)
        status, bad = g.invoke("browser", {"action": "navigate", "targetUrl": "file:///etc/passwd"})
        assert status == 400 and "file:// only in a sandbox" in bad["error"]["message"], bad
    finally:
        g.stop()
    assert wait_gone("--user-data-dir=/tmp/pincer-browser-"), "Chromium outlived the gateway"
    assert not profile.exists(), "the private profile was left behind"


def test_host_evaluate_disabled(tmp_path):
    need_host_chromium()
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = tmp_path / "pincer.json5"
    cfg.write_text(f"""{{
  browser: {{ headless: true, evaluateEnabled: false }},
  agents: {{ list: [ {{ id: "main", workspace: "{ws}", tools: {{ allow: ["browser"] }} }} ] }},
}}""")
    g = Gateway(tmp_path, cfg)
    try:
        body = browser(g, action="act", request={"kind": "evaluate", "fn": "() => 1"},
                       expect_ok=False)
        d = body["result"]["details"]
        assert d["ok"] is False and d["code"] == "ACT_EVALUATE_DISABLED", body
        assert "browser.evaluateEnabled" in text_of(body)
    finally:
        g.stop()
    assert wait_gone("--user-data-dir=/tmp/pincer-browser-")


def test_host_missing_executable_says_what_to_do(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    cfg = tmp_path / "pincer.json5"
    cfg.write_text(f"""{{
  browser: {{ headless: true, executablePath: "/nonexistent/chromium" }},
  agents: {{ list: [ {{ id: "main", workspace: "{ws}", tools: {{ allow: ["browser"] }} }} ] }},
}}""")
    g = Gateway(tmp_path, cfg)
    try:
        body = browser(g, action="snapshot", expect_ok=False)
        msg = text_of(body)
        assert body["result"]["details"]["ok"] is False, body
        assert "/nonexistent/chromium" in msg and "not installed on the gateway host" in msg, msg
        assert "apt-get install chromium" in msg and "browser.executablePath" in msg, msg
        assert not browser(g, action="status")["result"]["details"]["running"]
    finally:
        g.stop()


def test_sandbox_autostart_off(env):
    g = env.gateway(env.sandboxed_config("autoStart: false"))
    body = browser(g, action="navigate", targetUrl="about:blank", expect_ok=False)
    assert "autoStart is off" in text_of(body), body
    assert not browser(g, action="status")["result"]["details"]["running"]
    st = browser(g, action="start")["result"]["details"]
    assert st["running"] and st["started"], st
    assert '"ok"' in text_of(browser(g, action="navigate", targetUrl="data:text/html,ok"))
    assert browser(g, action="stop")["result"]["details"]["stopped"] is True
    assert not browser(g, action="status")["result"]["details"]["running"]


def test_cli_invoke_leaves_no_browser(env):
    """`pincer tools invoke browser` runs one action; its browser ends with the command."""
    (env.tmp / "pincer.json5").write_text(env.sandboxed_config())
    r = _pincer(env.state, "tools", "invoke", "--config", str(env.tmp / "pincer.json5"), "browser",
                json.dumps({"action": "navigate", "targetUrl": "data:text/html,<h2>cli</h2>"}),
                timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'heading "cli" [level=2]' in r.stdout, r.stdout
    assert "Sanitizer" not in r.stderr, r.stderr
    time.sleep(0.3)
    assert not [p for p in chromium_pids("--remote-debugging-pipe") if in_sandbox(p, env)]
