"""The native backend and a gateway that dies: after `pincer gateway` is killed with SIGKILL
and started again, nothing of the sandboxes it had (processes, mounts, cgroups, run dirs) is
left once the new gateway has cleaned up, and exec works again. A gateway that stops cleanly
takes its sandboxes with it, and one whose sandbox was recreated under it confines the new
one as it did the first.

Needs root and the native image store, like test_sandbox_native.py (whose fixtures it uses).
"""
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PINCER
from test_gateway import Gateway
from test_sandbox_native import IMAGE, Env, gone, image_store  # noqa: F401 (fixture)


def native_config(ws, prefix):
    return f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  agents: {{
    defaults: {{ sandbox: {{ mode: "all", backend: "native", scope: "agent",
                            workspaceAccess: "rw",
                            docker: {{ image: "{IMAGE}", containerPrefix: "{prefix}",
                                      user: "1000:1000", tmpfs: ["/tmp"] }} }} }},
    list: [ {{ id: "main", workspace: "{ws}" }} ],
  }},
}}"""


def sleepers(secs):
    found = []
    for p in os.listdir("/proc"):
        try:
            if p.isdigit() and Path(f"/proc/{p}/cmdline").read_bytes() == \
                    f"sleep\0{secs}\0".encode():
                found.append(int(p))
        except OSError:
            pass
    return found


class Crash:
    def __init__(self, tmp_path, store):
        self.tmp = tmp_path
        self.state = tmp_path / "state"
        self.state.mkdir()
        (self.state / "images").symlink_to(store / "images")
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        os.chown(self.ws, 1000, 1000)
        self.prefix = f"pincer-c{secrets.token_hex(3)}-"
        self.config = tmp_path / "pincer.json5"
        self.config.write_text(native_config(self.ws, self.prefix))
        self.gateways = []

    def start(self):
        g = Gateway(self.tmp, self.config)
        self.gateways.append(g)
        return g

    def sandboxes(self):
        d = self.state / "run" / "native"
        return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) \
            if d.exists() else []

    def leftovers(self, name):
        # Env.leftovers only needs .state
        return Env.leftovers(self, name)

    def helper_pid(self, name):
        return Env.helper_pid(self, name)


@pytest.fixture
def crash(tmp_path, image_store):  # noqa: F811
    c = Crash(tmp_path, image_store)
    yield c
    for g in c.gateways:
        print(f"--- gateway stderr\n{g.errpath.read_text()}")
        if g.proc.poll() is None:
            g.stop()
        elif not g.errfile.closed:
            g.errfile.close()
    if c.sandboxes():  # whatever a failed assertion left: removed the CLI's way
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(c.state)
        subprocess.run([PINCER, "sandbox", "recreate", "--config", str(c.config), "--all",
                        "--force"], env=e, capture_output=True)


def exec_ok(g, command):
    status, doc = g.invoke("exec", {"command": command})
    assert status == 200 and doc["ok"] is True, doc
    return doc["result"]


def test_gateway_sigkill_then_restart_leaves_nothing(crash):
    secs = 5000 + secrets.randbelow(999)
    g = crash.start()
    res = exec_ok(g, f"sleep {secs} >/dev/null 2>&1 & echo started")
    assert res["content"][0]["text"].startswith("started"), res
    [name] = crash.sandboxes()
    old_pid = crash.helper_pid(name)
    assert len(sleepers(secs)) == 1

    g.proc.send_signal(signal.SIGKILL)
    g.proc.wait()
    # The crash leaves the sandbox running: its pid 1, the sleep, its cgroups, its run dir.
    time.sleep(0.2)
    left = crash.leftovers(name)
    assert any(f.startswith("process ") for f in left), left
    assert any(f.startswith("cgroup ") for f in left), left
    assert len(sleepers(secs)) == 1

    # The next gateway removes it when it opens the native backend (its first exec), and
    # that exec runs in a new sandbox.
    g2 = crash.start()
    res = exec_ok(g2, "echo back; ls /proc | grep -c '^[0-9]'")
    assert res["content"][0]["text"].startswith("back\n"), res
    assert gone(old_pid), "the old pid 1 still runs"
    deadline = time.monotonic() + 5
    while sleepers(secs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sleepers(secs) == [], "the old sandbox's background process still runs"
    new_pid = crash.helper_pid(name)
    assert new_pid != old_pid
    # Only the new sandbox's pid 1 is left under that name; no mount of the old one is
    # on the host (the sandbox's mounts only ever live in its own mount namespace).
    left = crash.leftovers(name)
    assert [f for f in left if f.startswith("process ")] == \
        [f for f in left if f.startswith(f"process {new_pid} ")], left
    assert not [f for f in left if f.startswith("mount ")], left

    # A clean stop takes the sandbox with it.
    g2.stop()
    assert gone(new_pid)
    assert crash.leftovers(name) == [], crash.leftovers(name)


def confinement(g):
    """What a command of the gateway's sandbox is under: its seccomp state and the
    hierarchies whose pincer group holds it."""
    out = exec_ok(g, "grep -E '^Seccomp(_filters)?:' /proc/self/status; cat /proc/self/cgroup")
    text = out["content"][0]["text"]
    seccomp = sorted(line.split()[1] for line in text.splitlines() if line.startswith("Seccomp"))
    groups = sorted(line.split(":")[1] for line in text.splitlines()
                    if ":/pincer/" in line)
    return seccomp, groups


def test_a_recreated_sandbox_is_confined_like_the_first(crash):
    # The gateway keeps what it compiled for its first sandbox (the default seccomp filter)
    # and joins each new one's cgroups without cgroup.procs: the next sandbox it creates
    # must be under the same filter and in the same hierarchies.
    g = crash.start()
    first = confinement(g)
    assert first[0] == ["1", "2"], first  # one filter, mode 2 (filter)
    assert len(first[1]) >= 2, first  # e.g. memory, pids, cpu and the cgroup2 one
    [name] = crash.sandboxes()
    old_pid = crash.helper_pid(name)
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(crash.state)
    r = subprocess.run([PINCER, "sandbox", "recreate", "--config", str(crash.config), "--all",
                        "--force"], env=e, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert confinement(g) == first
    assert crash.helper_pid(name) != old_pid
    g.stop()
    assert crash.leftovers(name) == [], crash.leftovers(name)
