"""Fault tests (issue 10, point 4): what the gateway does when the world breaks under it.

- the gateway killed with SIGKILL during a write (the file is the old or the new content,
  never torn), during sandbox creation and during provisioning (Docker and native; after a
  restart the registry agrees with the backend, and nothing of the dead gateway is left:
  containers, processes, mounts, cgroups, run dirs);
- the disk full during a write (the old file stays intact, the error says so);
- the Docker engine's connection cut during calls (calls in flight fail with a clear error,
  later calls work once it is back, the gateway lives on); the real engine restarted is
  test_engine_restart.py's, which ctest runs alone;
- a soak of PINCER_SOAK_CALLS tool calls (default 2000; 10000 is the documented long run,
  docs/faults.md) with the gateway's RSS and open fds flat, then a clean SIGTERM under
  LeakSanitizer with no leak report.

The gateway killed with SIGKILL while a native sandbox runs is test_native_crash.py's.
Docker and root are needed as in test_sandbox_docker.py: without them the tests that need
them skip saying why, unless PINCER_REQUIRE_DOCKER=1 (CI), where they fail.
"""
import http.client
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import PINCER, SOURCE_DIR
from test_gateway import Gateway
from test_sandbox_docker import IMAGE, docker, engine_problem
from test_sandbox_native import image_store  # noqa: F401 (a fixture)


def report(request, text):
    """Shown in the suite's output even when the test passes (pytest captures print)."""
    capman = request.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        print(f"\ntest_faults: {text}", flush=True)


def need_docker():
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker fault tests skipped: {problem}")


def need_root(what):
    if os.geteuid() != 0:
        pytest.skip(f"{what} needs root")


class Faults:
    """A throwaway state dir, workspaces and container prefix; gateways started on them."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir()
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        self.box_ws = tmp_path / "ws-box"
        self.box_ws.mkdir()
        os.chown(self.box_ws, 1000, 1000)
        self.prefix = f"pincer-f{secrets.token_hex(3)}-"
        self.config = tmp_path / "pincer.json5"
        self.backend = "docker"
        self.write_config()
        self.gateways = []

    def write_config(self, box_docker="", backend="docker"):
        # main: no sandbox (the file tools on the host); box: a sandbox for exec.
        self.backend = backend
        self.config.write_text(f"""{{
  gateway: {{ tools: {{ allow: ["exec", "apply_patch"] }} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "off" }} }},
    list: [
      {{ id: "main", workspace: "{self.ws}" }},
      {{ id: "box", workspace: "{self.box_ws}",
         sandbox: {{ mode: "all", backend: "{backend}", scope: "agent", workspaceAccess: "rw",
                    docker: {{ image: "{IMAGE}", containerPrefix: "{self.prefix}",
                              user: "1000:1000", network: "none", {box_docker} }} }} }},
    ],
  }},
}}""")

    def start(self, env=None, binary=None):
        g = Gateway(self.tmp, self.config, env, binary=binary)
        self.gateways.append(g)
        return g

    def pincer(self, *args):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(self.state)
        if args[0] != "image":  # the image verbs take no config
            args = (args[0], args[1], "--config", str(self.config), *args[2:])
        p = subprocess.run([PINCER, *args], capture_output=True, text=True, env=e, timeout=300)
        assert p.returncode >= 0 and "Sanitizer" not in p.stderr, p.stderr
        return p

    def sandbox_list(self):
        p = self.pincer("sandbox", "list", "--json")
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def containers(self, all_=True):
        r = docker("ps", *(["-a"] if all_ else []), "--filter", f"name=^{self.prefix}",
                   "--format", "{{.Names}}")
        return sorted(n for n in r.stdout.split() if n)

    def leftovers(self):
        """What a dead gateway may leave on the host: processes that carry its state dir in
        their environment, mounts and cgroups naming its directories or prefix."""
        found = []
        needle = f"PINCER_STATE_DIR={self.state}".encode()
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                if needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                    found.append(f"process {pid}: {cmd.decode(errors='replace')}")
            except OSError:
                pass
            try:  # a native sandbox's pid 1 (its environment is its own)
                if Path(f"/proc/{pid}/comm").read_text().strip() == "pincer-init" and \
                        self.prefix in Path(f"/proc/{pid}/cgroup").read_text():
                    found.append(f"native pid 1 {pid}")
            except OSError:
                pass
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            if str(self.tmp) in line or self.prefix in line:
                found.append("mount " + line)
        # (a Docker container's cgroups are named by its id and go with the container)
        for cg in [*Path("/sys/fs/cgroup").glob(f"*/pincer/{self.prefix}*"),
                   *Path("/sys/fs/cgroup").glob(f"pincer/{self.prefix}*")]:
            found.append(f"cgroup {cg}")
        run = self.state / "run" / "native"
        if run.exists():
            found += [f"run dir {p.name}" for p in run.iterdir() if not p.name.startswith(".")]
        return found

    def native_sandboxes(self):
        d = self.state / "run" / "native"
        return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) \
            if d.exists() else []

    def kill(self, g):
        g.proc.send_signal(signal.SIGKILL)
        g.proc.wait()
        g.errfile.close()

    def cleanup(self):
        for g in self.gateways:
            if g.proc.poll() is None:
                g.proc.kill()
                g.proc.wait()
            if not g.errfile.closed:
                g.errfile.close()
            print(f"--- gateway stderr\n{g.errpath.read_text()}")
        if self.backend == "native" and self.native_sandboxes():
            self.pincer("sandbox", "recreate", "--all", "--force")
        if engine_problem() is None:
            for name in self.containers():
                docker("rm", "-f", name, check=False)
            for c in provisioning_containers(self.prefix):
                docker("rm", "-f", c, check=False)


@pytest.fixture
def faults(tmp_path):
    f = Faults(tmp_path)
    yield f
    f.cleanup()


def invoke(g, tool, args, agent=None, timeout=120):
    body = {"tool": tool, "args": args}
    if agent:
        body["agentId"] = agent
    status, data, _ = g.request("POST", "/tools/invoke", body, timeout=timeout)
    return status, json.loads(data)


def text_of(doc):
    return doc["result"]["content"][0]["text"]


def in_background(fn, *args, **kw):
    """Runs fn in a thread; returns the thread and a list that gets its result or exception."""
    out = []

    def run():
        try:
            out.append(fn(*args, **kw))
        except Exception as e:  # noqa: BLE001 (a refused connection is an expected outcome)
            out.append(e)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


# ---- SIGKILL during writes ------------------------------------------------------------------


def test_sigkill_during_write_never_tears_the_file(faults):
    # Under the 2 MB request body limit; each write replaces the whole file. The gateway is
    # killed at a different moment in each round, while writes of the other content run.
    size = 1_900_000
    contents = {c: (c * 63 + "\n") * (size // 64) for c in "AB"}
    target = faults.ws / "big.txt"
    target.write_text(contents["A"])
    outcomes = {"A": 0, "B": 0}
    for rnd in range(6):
        g = faults.start()
        stop = threading.Event()

        def writer(g=g):
            n = 0
            while not stop.is_set():
                c = "B" if n % 2 == 0 else "A"
                n += 1
                try:
                    invoke(g, "write", {"path": "big.txt", "content": contents[c]}, timeout=30)
                except Exception:  # noqa: BLE001 (the gateway was killed under it)
                    return

        threads = [threading.Thread(target=writer, daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.15 + rnd * 0.12)
        faults.kill(g)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        data = target.read_text()
        assert data in (contents["A"], contents["B"]), \
            f"round {rnd}: torn file ({len(data)} bytes, starts {data[:8]!r})"
        outcomes[data[0]] += 1
        # O_TMPFILE leaves nothing behind; a named temporary only lives between link and rename.
        temps = [p.name for p in faults.ws.iterdir() if p.name.startswith(".pincer-tmp-")]
        for t in temps:
            print(f"round {rnd}: a temporary of the killed write is left: {t}")
            (faults.ws / t).unlink()
    print(f"after each SIGKILL the file was intact: {outcomes}")
    # The restarted gateway writes as usual.
    g = faults.start()
    status, doc = invoke(g, "write", {"path": "big.txt", "content": "after\n"})
    assert status == 200 and doc["ok"] is True, doc
    assert target.read_text() == "after\n"
    g.stop()


def test_long_multibyte_tool_name_is_answered_not_fatal(faults):
    # The name is cut to 63 bytes for the response; it used to be cut inside a character, and
    # the response that was then not valid JSON text aborted the gateway.
    g = faults.start()
    status, doc = invoke(g, "\u00e9" * 40, {"path": "x\u00e9" * 400})
    assert status == 404 and doc["error"]["type"] == "not_found", doc
    assert doc["toolName"] == "\u00e9" * 31, doc
    assert g.request("GET", "/health", auth=False)[0] == 200
    g.stop()


def test_chat_model_name_cut_inside_a_character_is_answered(faults):
    # The error quotes at most 200 bytes of the model; cut inside a character it was not valid
    # JSON text, no answer was set, and the run went on without an agent (a NULL dereference).
    faults.config.write_text(f"""{{
  gateway: {{ http: {{ endpoints: {{ chatCompletions: {{ enabled: true }} }} }} }},
  agents: {{ list: [ {{ id: "main", workspace: "{faults.ws}" }} ] }},
}}""")
    g = faults.start()
    body = {"model": "x" + "\u00e9" * 150, "messages": [{"role": "user", "content": "hi"}]}
    status, data, _ = g.request("POST", "/v1/chat/completions", body)
    doc = json.loads(data)
    assert status == 400 and doc["error"]["message"].startswith("unknown model"), doc
    assert g.request("GET", "/health", auth=False)[0] == 200
    g.stop()


# ---- the disk full during a write -----------------------------------------------------------


def test_disk_full_write_keeps_the_old_file(faults):
    need_root("mounting a small tmpfs as the workspace")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "pincer-faults",
                        str(faults.ws)], capture_output=True, text=True)
    assert r.returncode == 0, f"cannot mount a tmpfs on {faults.ws}: {r.stderr}"
    try:
        old = "first line\n" + "old content\n" * 1000
        (faults.ws / "keep.txt").write_text(old)
        # Fill the rest of the filesystem.
        with open(faults.ws / "filler", "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        g = faults.start()
        status, doc = invoke(g, "write", {"path": "keep.txt", "content": "new content\n" * 20000})
        assert status == 200 and doc["ok"] is True, doc  # a tool error is a result
        msg = text_of(doc)
        # What went wrong, where, and what to do.
        assert msg.startswith("Cannot write keep.txt: No space left on device"), msg
        assert "the file is unchanged" in msg and "Free space" in msg, msg
        assert (faults.ws / "keep.txt").read_text() == old
        assert not [p.name for p in faults.ws.iterdir() if p.name.startswith(".pincer-tmp-")]
        # edit and apply_patch replace files the same way.
        status, doc = invoke(g, "edit", {"path": "keep.txt", "oldText": "first line\n",
                                         "newText": "x" * 300_000 + "\n"})
        assert "No space left on device" in json.dumps(doc), doc
        patch = ("*** Begin Patch\n*** Update File: keep.txt\n@@\n-first line\n+" +
                 "y" * 300_000 + "\n old content\n*** End Patch")
        status, doc = invoke(g, "apply_patch", {"input": patch})
        print(f"apply_patch on a full disk: {status} {json.dumps(doc)[:300]}")
        assert "No space left on device" in json.dumps(doc), doc
        assert (faults.ws / "keep.txt").read_text() == old
        # A new file that does not fit: refused the same way, nothing half-written is left.
        status, doc = invoke(g, "write", {"path": "new.txt", "content": "x" * 500_000})
        assert "No space left on device" in text_of(doc), doc
        assert not (faults.ws / "new.txt").exists()
        # Space again: the write works.
        (faults.ws / "filler").unlink()
        status, doc = invoke(g, "write", {"path": "keep.txt", "content": "new\n"})
        assert status == 200 and doc["ok"] is True and "Successfully" in text_of(doc), doc
        assert (faults.ws / "keep.txt").read_text() == "new\n"
        g.stop()
    finally:
        for g in faults.gateways:
            if g.proc.poll() is None:
                g.proc.kill()
                g.proc.wait()
        subprocess.run(["umount", "-l", str(faults.ws)], check=False)


def provisioning_containers(prefix):
    """Provisioning containers have no name; ours name their sandbox in a label."""
    r = docker("ps", "-a", "--filter", "label=pincer.provisioning=1", "--format",
               '{{.ID}} {{.Label "pincer.sandboxName"}}', check=False)
    return [line.split()[0] for line in r.stdout.splitlines()
            if len(line.split()) > 1 and line.split()[1].startswith(prefix)]


# ---- the soak: RSS and fds flat, no leak under LeakSanitizer --------------------------------


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


RELEASE = os.environ.get("PINCER_RELEASE_BIN", str(SOURCE_DIR / "build" / "release" / "pincer"))


def soak(request, faults, g, calls, label):
    """calls tool calls of every kind (good, bad, refused, Docker exec every 100th) on keep-alive
    and fresh HTTP connections, and over the WebSocket API (a fifth of them, with a fresh
    connection every 50th call). Returns RSS (KiB) after a warm-up and at the end."""
    docker_problem = engine_problem()
    if docker_problem and (os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI")):
        pytest.fail(f"Docker is required here but {docker_problem}")
    pid = g.proc.pid
    (faults.ws / "seed.txt").write_text("one\ntwo\nthree\n" * 50)
    keep = http.client.HTTPConnection("127.0.0.1", g.port, timeout=60)
    auth = {"Authorization": f"Bearer {g.token}", "Content-Type": "application/json"}
    from test_ws import CLIENT, Client

    def ws_client():
        c = Client(g)
        res = c.request("connect", {"minProtocol": 4, "maxProtocol": 4, "client": CLIENT,
                                    "auth": {"token": g.token}})
        assert res["ok"] is True, res
        return c

    ws = [ws_client()]

    def call(i):
        kind = i % 10
        if kind in (6, 7):  # the WebSocket API: a tool call, or a whole connection
            if i % 50 == 7:
                c = ws_client()
                assert c.request("status")["ok"] is True
                c.close()
                return
            res = ws[0].request("tools.invoke", {"name": "read", "args": {"path": "seed.txt"}})
            assert res["ok"] is True, res
            return
        if kind == 0:
            body = "{not json"  # a 400
        elif kind == 1:
            body = {"tool": "no_such_tool", "args": {}}  # a 404
        elif kind == 2:
            body = {"tool": "write",
                    "args": {"path": f"soak/{i % 7}.txt", "content": "x" * (i % 4096)}}
        elif kind == 3:
            body = {"tool": "edit", "args": {"path": "seed.txt", "oldText": "two\nthree",
                                             "newText": "two\nthree"}}
        elif kind == 4:
            body = {"tool": "read", "args": {"path": "missing.txt"}}
        elif kind == 9 and docker_problem is None and i % 100 == 9:
            body = {"tool": "exec", "args": {"command": f"echo {i}"}, "agentId": "box"}
        else:
            body = {"tool": "read", "args": {"path": "seed.txt", "offset": 1 + i % 40, "limit": 5}}
        data = body if isinstance(body, str) else json.dumps(body)
        if i % 5 == 0:  # a connection per call too
            c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=60)
            c.request("POST", "/tools/invoke", data, auth)
            r = c.getresponse()
            r.read()
            c.close()
        else:
            keep.request("POST", "/tools/invoke", data, auth)
            r = keep.getresponse()
            r.read()
        assert r.status in (200, 400, 404), (i, r.status)

    warm = max(calls // 5, 100)
    start = time.monotonic()
    for i in range(warm):
        call(i)
    rss0, fds0 = rss_kib(pid), fd_count(pid)
    samples = []
    for i in range(warm, calls):
        call(i)
        if (i + 1) % max(calls // 10, 1) == 0:
            samples.append(rss_kib(pid))
    keep.close()
    ws[0].close()
    time.sleep(0.2)  # closed connections are closed on the gateway's side too
    rss1, fds1 = rss_kib(pid), fd_count(pid)
    took = time.monotonic() - start
    report(request, f"soak ({label}): {calls} calls in {took:.1f}s ({calls / took:.0f}/s; "
           f"a fifth over WebSocket; Docker exec "
           f"{'every 100th call' if docker_problem is None else 'left out: ' + docker_problem})")
    report(request, f"soak ({label}): after {warm} warm-up calls RSS {rss0} KiB, {fds0} fds; "
          f"at the end "
          f"RSS {rss1} KiB, {fds1} fds (RSS {rss1 - rss0:+} KiB, fds {fds1 - fds0:+}); "
          f"RSS samples {samples}")
    assert fds1 <= fds0, f"open fds grew from {fds0} to {fds1}"
    return rss0, rss1


def test_soak_rss_and_fds_flat(request, faults):
    """RSS is measured on the release build: ASan's allocator keeps growing its caches."""
    if not Path(RELEASE).exists():
        pytest.fail(f"the soak measures RSS on the release build, and {RELEASE} is missing: "
                    "cmake --preset release && cmake --build --preset release "
                    "(scripts/test.sh does), or set PINCER_RELEASE_BIN")
    calls = int(os.environ.get("PINCER_SOAK_CALLS", "2000"))
    g = faults.start(binary=RELEASE)
    rss0, rss1 = soak(request, faults, g, calls, "release")
    # Flat: allocator noise only, not a per-call leak (100 bytes per call is 1 MiB at 10,000).
    assert rss1 - rss0 < 1024 + calls // 20, f"RSS grew from {rss0} to {rss1} KiB"
    g.stop()


def test_soak_no_leak_under_leaksanitizer(request, faults):
    calls = max(int(os.environ.get("PINCER_SOAK_CALLS", "2000")) // 4, 500)
    g = faults.start(env={"ASAN_OPTIONS": "detect_leaks=1:malloc_context_size=8"})
    lsan = "libasan" in Path(f"/proc/{g.proc.pid}/maps").read_text()
    if not lsan and (os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI")):
        pytest.fail(f"{PINCER} is not built with ASan (the debug preset): no leak check")
    soak(request, faults, g, calls, "debug, ASan")
    # A clean SIGTERM: exit 0 and no LeakSanitizer report (Gateway.stop checks both).
    g.stop()
    err = g.errpath.read_text()
    assert "LeakSanitizer" not in err, err
    report(request, f"soak: the gateway exited 0 on SIGTERM; LeakSanitizer "
           f"{'found no leak' if lsan else 'was not active (not an ASan build)'}")
# ---- SIGKILL during sandbox creation and provisioning ---------------------------------------


def wait_for(pred, timeout, step=0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def assert_consistent_after_restart(faults, name_hint):
    """A new gateway runs exec; the registry then lists exactly the containers on the engine,
    and removing them leaves nothing of either gateway."""
    g = faults.start()
    status, doc = invoke(g, "exec", {"command": "echo back"}, agent="box")
    assert status == 200 and doc["ok"] is True and text_of(doc).startswith("back"), doc
    listed = faults.sandbox_list()
    names = sorted(s["name"] for s in listed)
    have = faults.containers() if faults.backend == "docker" else faults.native_sandboxes()
    print(f"{name_hint}: after the restart the registry lists {names}, the {faults.backend} "
          f"backend has {have}")
    assert names == have, (listed, have)
    assert len(names) == 1, names  # one agent-scoped sandbox, not one per attempt
    assert all(s["state"] == "running" for s in listed), listed
    g.stop()
    p = faults.pincer("sandbox", "recreate", "--all", "--force")
    assert p.returncode == 0, p.stderr
    assert faults.sandbox_list() == []
    if faults.backend == "docker":
        assert faults.containers() == [] and provisioning_containers(faults.prefix) == []
    left = wait_for(lambda: not faults.leftovers(), 5) or faults.leftovers()
    assert left is True, left


@pytest.mark.parametrize("moment", ["before-create", "created", "running"])
def test_sigkill_during_sandbox_creation(faults, moment):
    need_docker()
    g = faults.start()
    t, out = in_background(invoke, g, "exec", {"command": "echo first"}, agent="box")
    if moment == "before-create":
        time.sleep(0.01)
    else:
        state = {"created": ("Created", "Up"), "running": ("Up",)}[moment]

        def seen():
            r = docker("ps", "-a", "--filter", f"name=^{faults.prefix}", "--format",
                       "{{.Status}}", check=False)
            return any(s.startswith(state) for s in r.stdout.splitlines())

        assert wait_for(seen, 60, 0.005), f"no container reached {state}: {out}"
    faults.kill(g)
    t.join(timeout=30)
    print(f"killed at '{moment}': the call got {out}; the engine has {faults.containers()}, "
          f"the registry {[s.get('name') for s in faults.sandbox_list()]}")
    assert_consistent_after_restart(faults, moment)


@pytest.mark.parametrize("moment", ["run-dir", "pid-1"])
def test_sigkill_during_native_sandbox_creation(faults, image_store, moment):  # noqa: F811
    need_root("the native backend")
    (faults.state / "images").symlink_to(image_store / "images")
    faults.write_config(backend="native")
    g = faults.start()
    t, out = in_background(invoke, g, "exec", {"command": "echo first"}, agent="box")
    if moment == "run-dir":
        assert wait_for(faults.native_sandboxes, 60, 0.002), f"no run dir appeared: {out}"
    else:
        assert wait_for(lambda: [f for f in faults.leftovers() if f.startswith("native pid 1")],
                        60, 0.002), f"no pid 1 appeared: {out}"
    faults.kill(g)
    t.join(timeout=30)
    print(f"killed at '{moment}': the call got {out}; left behind {faults.leftovers()}")
    assert_consistent_after_restart(faults, f"native, {moment}")


def native_images(faults, marker):
    """The provisioned native images whose /opt-marker holds marker (the store is shared)."""
    r = faults.pincer("image", "list", "--json")
    assert r.returncode == 0, r.stderr
    found = []
    for i in json.loads(r.stdout):
        m = Path(i.get("path", "")) / "opt-marker"
        if i.get("source") == "provisioned" and m.exists() and marker in m.read_text():
            found.append(i["name"])
    return found


def provisioning_pids(images):
    """Processes whose root is a provisioning copy in the image store (.tmp-*)."""
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.readlink(f"/proc/{pid}/root").startswith(
                    str(images.resolve() / ".tmp-")):
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_sigkill_during_native_provisioning(faults, image_store):  # noqa: F811
    need_root("the native backend")
    (faults.state / "images").symlink_to(image_store / "images")
    marker = secrets.token_hex(4)
    faults.write_config(f'setupCommand: "sleep 3; echo {marker} > /opt-marker",',
                        backend="native")
    g = faults.start()
    t, out = in_background(invoke, g, "exec", {"command": "cat /opt-marker"}, agent="box",
                           timeout=300)
    images = image_store / "images"
    pids = wait_for(lambda: provisioning_pids(images), 120, 0.02)
    assert pids, f"the provisioning script did not start: {out}\n{g.stderr()}"
    roots = {os.readlink(f"/proc/{p}/root") for p in pids if Path(f"/proc/{p}").exists()}
    faults.kill(g)
    t.join(timeout=30)
    # Its processes die with the gateway (pid 1 of its namespace has a parent-death signal).
    assert wait_for(lambda: not [p for p in pids if Path(f"/proc/{p}").exists()], 10, 0.05), \
        f"the killed gateway's provisioning processes still run: {pids}"
    print(f"killed during native provisioning: its processes {pids} are gone; left: {roots}")
    try:
        g = faults.start()
        status, doc = invoke(g, "exec", {"command": "cat /opt-marker"}, agent="box",
                             timeout=300)
        assert status == 200 and doc["ok"] is True and marker in text_of(doc), doc
        # The next image operation swept the killed one's copy.
        left = [r for r in roots if Path(r).exists()]
        assert not left, f"the killed provisioning's copy is left: {left}"
        g.stop()
        assert_consistent_after_restart(faults, "native provisioning")
    finally:
        for name in native_images(faults, marker):  # each run provisions its own
            faults.pincer("image", "rm", name)


def test_sigkill_during_provisioning(faults):
    need_docker()
    marker = secrets.token_hex(4)
    # A setupCommand that takes a while: the gateway is killed while it runs.
    faults.write_config(f'setupCommand: "sleep 3; echo {marker} > /opt-marker",')
    g = faults.start()
    t, out = in_background(invoke, g, "exec", {"command": "cat /opt-marker"}, agent="box",
                           timeout=300)
    assert wait_for(lambda: provisioning_containers(faults.prefix), 60, 0.02), \
        f"no provisioning container appeared: {out}\n{g.stderr()}"
    faults.kill(g)
    t.join(timeout=30)
    print(f"killed during provisioning: provisioning containers "
          f"{provisioning_containers(faults.prefix)}")
    g = faults.start()
    status, doc = invoke(g, "exec", {"command": "cat /opt-marker"}, agent="box", timeout=300)
    assert status == 200 and doc["ok"] is True and marker in text_of(doc), doc
    # The killed gateway's provisioning container is gone, not left to pile up.
    assert wait_for(lambda: provisioning_containers(faults.prefix) == [], 10, 0.2), \
        provisioning_containers(faults.prefix)
    assert "removed the container" in g.stderr() and "a stopped gateway left" in g.stderr()
    [box] = faults.containers()
    image = docker("inspect", "--format", "{{.Config.Image}}", box).stdout.strip()
    assert image.startswith("pincer-provisioned:"), image
    # The sandbox made from the derived image is not taken for a provisioning container.
    labels = json.loads(docker("inspect", "--format", "{{json .Config.Labels}}", box).stdout)
    assert labels.get("pincer.provisioning") != "1", labels
    g.stop()
    try:
        assert_consistent_after_restart(faults, "provisioning")
    finally:
        docker("rmi", image, check=False)  # each run provisions its own (a random marker)


# ---- the Docker engine restarted during calls -----------------------------------------------


def test_engine_connection_cut_during_a_call(faults, tmp_path):
    """The same as a restart, seen through a proxy socket (the shared engine is not touched):
    the call in flight fails with 503 and says why; the next one, once it is back, works."""
    need_docker()
    from test_sandbox_docker import EngineProxy
    proxy = EngineProxy(tmp_path / "engine.sock")
    proxy.start()
    try:
        g = faults.start(env={"DOCKER_HOST": f"unix://{proxy.path}"})
        status, doc = invoke(g, "exec", {"command": "echo warm"}, agent="box")
        assert status == 200 and doc["ok"] is True, doc
        t, inflight = in_background(invoke, g, "exec", {"command": "sleep 20; echo slept"},
                                    agent="box")
        time.sleep(1.0)
        proxy.stop()
        t.join(timeout=30)
        assert not t.is_alive(), "the call in flight hangs after the engine went away"
        [(status, doc)] = inflight
        print(f"the call in flight got: {status} {doc}")
        assert status == 503 and doc["error"]["type"] == "unavailable", doc
        msg = doc["error"]["message"]
        assert "Docker engine" in msg and "docker-env.sh" in msg, msg
        proxy.start()
        status, doc = invoke(g, "exec", {"command": "echo back"}, agent="box")
        assert status == 200 and doc["ok"] is True and text_of(doc).startswith("back"), doc
        assert g.proc.poll() is None
        g.stop()
    finally:
        if proxy.listener and proxy.listener.fileno() >= 0:
            proxy.stop()
