"""Native sandboxes (backend "native"), observed from inside with the probe.

Needs root (namespaces, mounts, cgroups) and the image openclaw-sandbox:bookworm-slim in a
native image store: the module builds one with `pincer image build` (or, while that verb is
missing from this build, imports `docker export` of the Docker image of that name), once per
run, in $PINCER_NATIVE_IMAGE_STORE or a temporary directory; every test's state dir links
to it. Without root or an image the tests skip and say why, unless PINCER_REQUIRE_NATIVE=1,
in which case they fail.

The same behavioural checks as test_sandbox_docker.py, through `pincer sandbox exec --json`;
where the backends differ, the test says why.
"""
import errno
import json
import os
import platform
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import PINCER, SOURCE_DIR

IMAGE = "openclaw-sandbox:bookworm-slim"
IMAGE_DIR = "openclaw-sandbox%3Abookworm-slim"
PROBE = os.environ.get("PINCER_PROBE", str(SOURCE_DIR / "build" / "debug" / "probe"))


def problem_or_fail(problem):
    if os.environ.get("PINCER_REQUIRE_NATIVE") == "1":
        pytest.fail(f"the native backend is required here but {problem}")
    pytest.skip(f"native sandbox tests skipped: {problem}")


def _pincer(store, *args, timeout=900):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(store)
    return subprocess.run([PINCER, *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


def build_image(store):
    """Returns None when <store>/images has the image, else why not."""
    if (store / "images" / IMAGE_DIR / "rootfs" / "bin").exists():
        return None
    r = _pincer(store, "image", "build", IMAGE)
    if r.returncode == 0:
        return None
    if "unknown" not in (r.stderr + r.stdout).lower():
        return f"`pincer image build {IMAGE}` failed: {r.stderr.strip()[-2000:]}"
    # This build has no image verb yet: import the Docker image of the same name.
    if not shutil.which("docker"):
        return "`pincer image` is not in this build and docker is not installed"
    c = subprocess.run(["docker", "create", IMAGE, "true"], capture_output=True, text=True)
    if c.returncode != 0:
        return f"`pincer image` is not in this build and docker has no {IMAGE}"
    cid = c.stdout.strip()
    try:
        rootfs = store / "images" / IMAGE_DIR / "rootfs"
        rootfs.mkdir(parents=True)
        exp = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-p", "--numeric-owner", "-C", str(rootfs)],
                       stdin=exp.stdout, check=True)
        exp.wait()
        (store / "images" / IMAGE_DIR / "image.json").write_text(json.dumps(
            {"name": IMAGE, "source": "import", "packages": [], "from": None}))
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)
    return None


@pytest.fixture(scope="module")
def image_store(tmp_path_factory):
    if os.geteuid() != 0:
        problem_or_fail("they need root (namespaces, mounts, cgroups)")
    if not Path(PROBE).exists():
        problem_or_fail(f"the probe {PROBE} is not built")
    store = Path(os.environ.get("PINCER_NATIVE_IMAGE_STORE") or
                 tmp_path_factory.mktemp("native-store"))
    store.mkdir(parents=True, exist_ok=True)
    why = build_image(store)
    if why:
        problem_or_fail(why)
    return store


class Env:
    """A throwaway state dir (linked to the image store), workspace and sandbox prefix."""

    def __init__(self, tmp_path, run, state_dir, store):
        self.run = run
        self.dir = tmp_path
        self.state = state_dir
        (state_dir / "images").symlink_to(store / "images")
        self.prefix = f"pincer-n{secrets.token_hex(3)}-"
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        os.chown(self.ws, 1000, 1000)
        shutil.copy(PROBE, self.ws / "probe")
        os.chmod(self.ws / "probe", 0o755)
        self.config = tmp_path / "pincer.json5"
        self.extra_env = {}

    def write(self, docker_extra="", sandbox_extra="", agents=None, image=IMAGE):
        agents = agents or f'{{ id: "main", workspace: "{self.ws}" }}'
        self.config.write_text(f"""{{
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "native", scope: "agent", workspaceAccess: "rw",
        docker: {{ image: "{image}", containerPrefix: "{self.prefix}", {docker_extra} }},
        {sandbox_extra}
      }},
    }},
    list: [{agents}],
  }},
}}""")

    def pincer(self, *args):
        if args[0] in ("sandbox", "tools"):
            args = (args[0], args[1], "--config", str(self.config), *args[2:])
        else:
            args = (*args, "--config", str(self.config))
        return self.run(*args, env=self.extra_env)

    def exec(self, *cmd, json_out=True, agent=None):
        args = ["sandbox", "exec"] + (["--agent", agent] if agent else []) + \
            (["--json"] if json_out else []) + ["--", *cmd]
        return self.pincer(*args)

    def probe(self, *args, agent=None):
        r = self.exec("/workspace/probe", *args, agent=agent)
        assert r.code == 0, r
        out = r.json()
        assert out["exitCode"] == 0, out
        return json.loads(out["stdout"]), out

    def run_dirs(self):
        d = self.state / "run" / "native"
        # (the .<name>.lock files stay: they serialise create and destroy)
        return sorted(p.name for p in d.iterdir() if not p.name.startswith(".")) \
            if d.exists() else []

    def helper_pid(self, name):
        return json.loads((self.state / "run" / "native" / name / "state.json").read_text())["pid"]

    def leftovers(self, name):
        """Everything of sandbox name still on the host: processes, mounts, cgroups, dirs."""
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    if Path(f"/proc/{pid}/comm").read_text().strip() == "pincer-init" and \
                            not gone(pid, 0):
                        env_root = os.readlink(f"/proc/{pid}/cwd")
                        cg = Path(f"/proc/{pid}/cgroup").read_text()
                        if name in cg:
                            found.append(f"process {pid} ({env_root})")
                except OSError:
                    pass
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            if name in line:
                found.append("mount " + line)
        for cg in Path("/sys/fs/cgroup").glob(f"*/pincer/{name}"):
            found.append(f"cgroup {cg}")
        for cg in Path("/sys/fs/cgroup").glob(f"pincer/{name}"):
            found.append(f"cgroup {cg}")
        if (self.state / "run" / "native" / name).exists():
            found.append("run dir")
        return found

    def cleanup(self):
        # pid 1 and the per-exec supervisors write nothing, except a sanitizer report.
        for log in (self.state / "run" / "native").glob("*/init.log"):
            text = log.read_text(errors="replace")
            assert "Sanitizer" not in text and "runtime error" not in text, text
        if self.config.exists():
            self.pincer("sandbox", "recreate", "--all", "--force")


@pytest.fixture
def env(tmp_path, run, state_dir, image_store):
    e = Env(tmp_path, run, state_dir, image_store)
    yield e
    e.cleanup()


FULL = """
  readOnlyRoot: true,
  tmpfs: ["/tmp", "/var/tmp", "/run"], network: "none", user: "1000:1000", capDrop: ["ALL"],
  env: { LANG: "C.UTF-8", PROBE_MARK: "visible" },
  pidsLimit: 64, memory: "96m", memorySwap: "96m", cpus: 1,
  ulimits: { nofile: { soft: 1024, hard: 2048 } },
  dns: ["1.1.1.1", "8.8.8.8"], extraHosts: ["internal.service:10.0.0.5"],
  binds: ["WS/data:/data:ro"],
"""


USERNS = 'native: { userns: true },'


def gone(pid, wait=3.0):
    """pid has exited (a zombie counts: the host's init reaps it when it gets to it)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            state = [l for l in Path(f"/proc/{pid}/status").read_text().splitlines()
                     if l.startswith("State:")][0]
            if "Z" in state.split()[1]:
                return True
        except (OSError, IndexError):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def cgroup_value(name, controller_file):
    for base in ("/sys/fs/cgroup/*/pincer", "/sys/fs/cgroup/pincer"):
        for f in Path("/").glob(f"{base[1:]}/{name}/{controller_file}"):
            return f.read_text().strip()
    return None


def test_probe_sees_the_full_example(env):
    (env.ws / "data").mkdir()
    (env.ws / "data" / "hello.txt").write_text("bound\n")
    env.write(FULL.replace("WS", str(env.ws)))
    p, out = env.probe()
    assert out["action"] == "created"
    assert (p["uid"], p["gid"]) == (1000, 1000)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(p[cap], 16) == 0, (cap, p[cap])
    assert p["NoNewPrivs"] == "1"
    assert p["Seccomp"] == "2"
    assert p["rootWriteErrno"] == errno.EROFS
    assert p["tmpWriteErrno"] == 0
    mounts = {line.split()[4]: line for line in p["mountinfo"].splitlines()}
    for t in ("/tmp", "/var/tmp", "/run"):
        assert " - tmpfs " in mounts[t], mounts.get(t)
    assert mounts["/data"].split()[5].startswith("ro")
    ifaces = [line.split(":")[0].strip() for line in p["netdev"].splitlines()[2:]]
    assert ifaces == ["lo"], ifaces
    assert "nameserver 1.1.1.1" in p["resolv"] and "nameserver 8.8.8.8" in p["resolv"]
    assert "10.0.0.5\tinternal.service" in p["hosts"]
    assert p["env"]["PROBE_MARK"] == "visible"
    assert p["cwd"] == "/workspace"
    assert p["cwdWriteErrno"] == 0
    assert p["nofile"] == [1024, 2048]
    assert p["hostname"] == out["sandbox"]
    # Only the sandbox's own processes: pid 1 (the helper), the exec's supervisor, the probe.
    assert p["visibleProcesses"] <= 3, p["visibleProcesses"]
    r = env.exec("cat", "/data/hello.txt")
    assert r.json()["stdout"] == "bound\n"
    # The mount point /data is not in the image: it was made in the sandbox's scratch layer,
    # not in the image's directory (shared by every sandbox).
    assert not (env.state / "images" / IMAGE_DIR / "rootfs" / "data").exists()

    # From the host's side: the cgroup limits are written (v1 or v2 names).
    name = out["sandbox"]
    pids = cgroup_value(name, "pids.max")
    assert pids == "64", pids
    mem = cgroup_value(name, "memory.limit_in_bytes") or cgroup_value(name, "memory.max")
    assert mem == str(96 * 1024 * 1024), mem
    r = env.pincer("sandbox", "list", "--json")
    row = [s for s in r.json() if s["name"] == name][0]
    assert row["state"] == "running" and row["backend"] == "native", row


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_limits_hold(env, userns):
    # With a user namespace too: the cgroups are joined before entering it.
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""),
              sandbox_extra=USERNS if userns else "")
    r = env.exec("/workspace/probe", "fork-bomb", "300")
    assert r.out, r
    bomb = json.loads(r.json()["stdout"])
    assert bomb["started"] < 64, bomb
    r = env.exec("/workspace/probe", "alloc", "400")
    out = r.json()
    assert out["exitCode"] != 0, out  # OOM-killed by the memory cgroup
    assert '"failed":false' not in out["stdout"]
    # the sandbox survives both
    assert env.exec("echo", "still here").json()["stdout"] == "still here\n"


def test_exec_status_timeout_cap_and_missing_command(env):
    env.write()
    r = env.exec("sh", "-c", "echo out; echo err >&2; exit 3")
    out = r.json()
    assert (out["exitCode"], out["stdout"], out["stderr"]) == (3, "out\n", "err\n")
    t0 = time.monotonic()
    r = env.pincer("sandbox", "exec", "--timeout", "1", "--json", "--", "sleep", "30")
    assert r.json()["timedOut"] is True
    assert time.monotonic() - t0 < 10
    r = env.exec("head", "-c", "3000000", "/dev/zero")
    out = r.json()
    assert out["stdoutTruncated"] is True and len(out["stdout"]) <= 1024 * 1024
    r = env.exec("sh", "-c", "exit 7", json_out=False)
    assert r.code == 7
    # Docker says "executable file not found" with 127; so do we, on stderr.
    out = env.exec("no-such-command").json()
    assert out["exitCode"] == 127 and "no-such-command" in out["stderr"], out
    # Background processes that keep the pipes open do not hold the exec.
    t0 = time.monotonic()
    out = env.exec("sh", "-c", "sleep 20 & echo started").json()
    assert out["stdout"] == "started\n" and time.monotonic() - t0 < 10


@pytest.mark.parametrize("userns", [False, True], ids=["plain", "userns"])
def test_escapes_fail(env, userns):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""),
              sandbox_extra=USERNS if userns else "")
    # A listener on the host's loopback: the sandbox's own lo must not reach it.
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    port = lst.getsockname()[1]
    try:
        r = env.exec("/workspace/probe", "escapes", str(port))
        e = json.loads(r.json()["stdout"])
    finally:
        lst.close()
    for k in ("mount", "umount", "unshareUser", "unshareMount", "setns", "pivotRoot", "chroot",
              "ptracePid1", "kexec", "initModule", "finitModule", "bpf", "keyctl", "mknod",
              "raiseRlimit", "sethostname"):
        assert e[k] in (errno.EPERM, errno.EACCES, errno.ENOSYS), (k, e[k])
    assert e["procSysWrite"] in (errno.EACCES, errno.EROFS, errno.EPERM), e
    assert e["readShadow"] in (errno.EACCES, errno.ENOENT), e  # the image's, and unreadable
    assert e["pid1Root"] in (errno.EACCES, errno.EPERM), e
    assert e["connectLoopback"] == errno.ECONNREFUSED, e
    # The 32-bit compat entry (int $0x80) is another architecture: the filter kills the
    # process (SIGSYS) at its first such syscall, before it prints anything.
    r = env.exec("/workspace/probe", "compat32")
    out = r.json()
    if platform.machine() == "x86_64":
        assert out["exitCode"] != 0 and out["stdout"] == "", out
    # The host's /etc/shadow is not in the sandbox at all: its content differs or is absent.
    host_shadow = Path("/etc/shadow").read_text() if Path("/etc/shadow").exists() else ""
    r = env.exec("sh", "-c", "ls /proc | grep -c '^[0-9]'")
    assert int(r.json()["stdout"]) <= 5  # pid 1, supervisor, sh, ls, grep
    assert host_shadow == "" or "root:" in host_shadow


def test_userns_maps_ids_and_keeps_file_owners(env):
    (env.ws / "data").mkdir()
    (env.ws / "data" / "hello.txt").write_text("bound\n")
    env.write(FULL.replace("WS", str(env.ws)), sandbox_extra=USERNS)
    p, out = env.probe()
    assert out["action"] == "created"
    assert (p["uid"], p["gid"]) == (1000, 1000)
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(p[cap], 16) == 0, (cap, p[cap])
    assert p["NoNewPrivs"] == "1"
    assert p["Seccomp"] == "2"
    # Read from inside, the map's second column is the parent's (the host's) id.
    assert p["uidMap"].split() == ["0", "1073741824", "65536"], p["uidMap"]
    assert p["gidMap"].split() == ["0", "1073741824", "65536"], p["gidMap"]
    assert p["rootWriteErrno"] == errno.EROFS  # readOnlyRoot holds
    assert p["tmpWriteErrno"] == 0 and p["cwdWriteErrno"] == 0
    # The image is mounted idmapped: its files are root's inside, not the overflow id.
    r = env.exec("stat", "-c", "%u:%g", "/etc/passwd", "/bin/sh", "/data/hello.txt")
    assert r.json()["stdout"].split() == ["0:0", "0:0", "0:0"], r.json()
    # The workspace is mounted idmapped: what uid 1000 writes is host uid 1000's.
    r = env.exec("sh", "-c", "echo mine > /workspace/by-1000.txt && id -u")
    assert r.json()["stdout"] == "1000\n", r.json()
    st = (env.ws / "by-1000.txt").stat()
    assert (st.st_uid, st.st_gid) == (1000, 1000), (st.st_uid, st.st_gid)
    # ... and what the host's uid 1000 owns is uid 1000's inside (the probe itself is root's).
    r = env.exec("stat", "-c", "%u:%g", "/workspace", "/workspace/probe")
    assert r.json()["stdout"].split() == ["1000:1000", "0:0"], r.json()
    # From the host, the sandbox's processes run under the mapped ids.
    pid = env.helper_pid(out["sandbox"])
    uids = [l for l in Path(f"/proc/{pid}/status").read_text().splitlines()
            if l.startswith("Uid:")][0].split()[1:]
    assert uids == ["1073741824"] * 4, uids
    r = env.pincer("sandbox", "explain", "--json")
    n = r.json()["native"]
    assert n["plan"]["namespaces"] == ["mnt", "pid", "net", "uts", "ipc", "user"], n["plan"]
    assert n["plan"]["userns"]["uidMap"] == "0 1073741824 65536", n["plan"]
    name = out["sandbox"]
    assert env.pincer("sandbox", "recreate", "--all", "--force").code == 0
    assert gone(pid)
    assert env.leftovers(name) == [], env.leftovers(name)


def test_userns_writable_root_uses_the_overlay(env):
    env.write('readOnlyRoot: false, user: "0:0"', sandbox_extra=USERNS)
    out = env.exec("sh", "-c", "echo changed >> /etc/passwd && tail -n1 /etc/passwd && "
                   "stat -c %u:%g /etc/passwd && mkdir /opt/new && stat -c %u /opt/new").json()
    assert out["exitCode"] == 0, out
    assert out["stdout"].split() == ["changed", "0:0", "0"], out
    p, _ = env.probe()
    assert (p["uid"], p["rootWriteErrno"]) == (0, 0), p
    # The image is untouched; the copy in the upper dir belongs to the map's host root.
    assert b"changed" not in (env.state / "images" / IMAGE_DIR / "rootfs" / "etc" /
                              "passwd").read_bytes()
    upper = env.state / "run" / "native" / out["sandbox"] / "upper" / "etc" / "passwd"
    assert upper.stat().st_uid == 1073741824, upper.stat()


def test_userns_refuses_a_user_outside_the_map(env):
    env.write('user: "70000:70000"', sandbox_extra=USERNS)
    r = env.exec("true")
    assert r.code != 0
    assert "outside the ids 0-65535" in r.err and "sandbox.native.userns" in r.err, r.err
    assert env.run_dirs() == []


def test_two_agents_cannot_see_each_other(env, tmp_path):
    ws2 = tmp_path / "ws2"
    ws2.mkdir()
    os.chown(ws2, 1000, 1000)
    env.write("user: \"1000:1000\", tmpfs: [\"/tmp\"]",
              agents=f'{{ id: "main", workspace: "{env.ws}" }}, '
                     f'{{ id: "other", workspace: "{ws2}" }}')
    a = env.exec("sh", "-c", "echo secret > /workspace/a.txt; echo t > /tmp/a-tmp; "
                 "sleep 30 >/dev/null 2>&1 & echo ok", agent="main").json()
    assert a["exitCode"] == 0, a
    b = env.exec("sh", "-c", f"cat /workspace/a.txt {env.ws}/a.txt /tmp/a-tmp",
                 agent="other").json()
    assert b["exitCode"] != 0 and "secret" not in b["stdout"], b  # none of them is there
    b = env.exec("sh", "-c", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done",
                 agent="other").json()
    assert a["sandbox"] != b["sandbox"]
    assert "secret" not in b["stdout"] and "sleep 30" not in b["stdout"], b
    assert (env.ws / "a.txt").read_text() == "secret\n"
    assert not (ws2 / "a.txt").exists()


def test_overlay_root_when_writable(env):
    env.write("readOnlyRoot: false, user: \"0:0\"")
    out = env.exec("sh", "-c", "echo changed > /etc/probe-mark && cat /etc/probe-mark").json()
    assert out["stdout"] == "changed\n", out
    # the image itself is untouched, and a recreated sandbox starts clean
    assert not (env.state / "images" / IMAGE_DIR / "rootfs" / "etc" / "probe-mark").exists()
    env.pincer("sandbox", "recreate", "--all", "--force")
    out = env.exec("cat", "/etc/probe-mark").json()
    assert out["exitCode"] != 0


def test_destroy_leaves_nothing(env):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""))
    out = env.exec("sh", "-c", "sleep 60 >/dev/null 2>&1 & echo ok").json()
    name = out["sandbox"]
    pid = env.helper_pid(name)
    assert Path(f"/proc/{pid}").exists()
    r = env.pincer("sandbox", "recreate", "--all", "--force")
    assert r.code == 0, r
    assert gone(pid)
    assert env.leftovers(name) == []
    # idempotent
    assert env.pincer("sandbox", "recreate", "--all", "--force").code == 0


def test_crash_leftovers_are_cleaned_up(env):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""))
    name = env.exec("true").json()["sandbox"]
    # A CLI holding a long exec is SIGKILLed: its command goes with it (pid 1 notices the
    # hang-up and kills the command's process group).
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(env.extra_env, PINCER_STATE_DIR=str(env.state))
    holder = subprocess.Popen([PINCER, "sandbox", "exec", "--config", str(env.config), "--",
                               "sleep", "77"], env=e)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            Path(f"/proc/{p}/cmdline").read_bytes() == b"sleep\x0077\x00"
            for p in os.listdir("/proc") if p.isdigit() and Path(f"/proc/{p}/cmdline").exists()):
        time.sleep(0.05)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    time.sleep(0.5)
    assert not any(Path(f"/proc/{p}/cmdline").read_bytes() == b"sleep\x0077\x00"
                   for p in os.listdir("/proc")
                   if p.isdigit() and Path(f"/proc/{p}/cmdline").exists())
    # Now the sandbox itself dies as in a crash (its pid 1 is killed from outside): the run
    # dir and the cgroups stay until the next start cleans them up.
    os.kill(env.helper_pid(name), signal.SIGKILL)
    time.sleep(0.3)
    assert env.leftovers(name) != []
    r = env.pincer("sandbox", "list", "--json")
    assert r.code == 0, r
    assert env.leftovers(name) == [], env.leftovers(name)
    # and the next use simply creates it again
    assert env.exec("echo", "back").json()["stdout"] == "back\n"


def test_explain_shows_the_native_plan(env):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""))
    r = env.pincer("sandbox", "explain", "--json")
    assert r.code == 0, r
    o = r.json()
    n = o["native"]
    assert n["plan"]["namespaces"] == ["mnt", "pid", "net", "uts", "ipc"]
    assert n["plan"]["capabilitiesKept"] == []
    assert n["plan"]["cgroupLimits"]["pidsMax"] == 64
    assert any(m["target"] == "/tmp" and m["type"] == "tmpfs" for m in n["plan"]["mounts"])
    assert n["seccomp"], n
    assert n["cgroupMode"] in ("unified", "hybrid", "legacy")
    assert o["problems"] == [], o["problems"]
    assert env.run_dirs() == []  # explain creates nothing
    # a missing image is a problem with the command that builds it
    env.write(image="no-such-image:1")
    o = env.pincer("sandbox", "explain", "--json").json()
    assert any("pincer image build no-such-image:1" in p for p in o["problems"]), o["problems"]


def test_execs_run_concurrently(env):
    """pid 1 forks a supervisor per request: a slow command never blocks the next one."""
    env.write()
    assert env.exec("true").json()["exitCode"] == 0  # created
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(env.extra_env, PINCER_STATE_DIR=str(env.state))
    t0 = time.monotonic()
    procs = [subprocess.Popen([PINCER, "sandbox", "exec", "--config", str(env.config), "--json",
                               "--", "sh", "-c", f"sleep 1; echo {i}"],
                              stdout=subprocess.PIPE, text=True, env=e) for i in range(4)]
    outs = [json.loads(p.communicate(timeout=30)[0]) for p in procs]
    assert sorted(o["stdout"] for o in outs) == ["0\n", "1\n", "2\n", "3\n"]
    assert all(o["action"] == "reused" for o in outs), outs
    assert time.monotonic() - t0 < 3.5  # four 1 s sleeps side by side, not one after another


def test_user_names_and_workspace_access_ro(env, tmp_path):
    agent_ws = tmp_path / "agent-ws"
    agent_ws.mkdir()
    (agent_ws / "AGENTS.md").write_text("hello\n")
    env.config.write_text(f"""{{
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "native", scope: "agent", workspaceAccess: "ro",
        workspaceRoot: "{tmp_path / 'sbx'}",
        docker: {{ image: "{IMAGE}", containerPrefix: "{env.prefix}", user: "sandbox" }},
      }},
    }},
    list: [{{ id: "main", workspace: "{agent_ws}" }}],
  }},
}}""")
    out = env.exec("sh", "-c", "id -u; id -g; echo $HOME; cat /agent/AGENTS.md; "
                   "touch /agent/x 2>&1; touch /workspace/y 2>&1; true").json()
    lines = out["stdout"].splitlines()
    assert lines[:4] == ["1000", "1000", "/home/sandbox", "hello"], out
    assert "Read-only file system" in out["stdout"], out
    assert not (agent_ws / "x").exists()


def test_missing_image_creates_nothing(env):
    env.write(image="no-such-image:1")
    r = env.exec("true")
    assert r.code != 0
    assert "pincer image build no-such-image:1" in r.err, r
    assert env.run_dirs() == []
    assert not list(Path("/sys/fs/cgroup").glob(f"*/pincer/{env.prefix}*"))


def test_parallel_first_use_creates_one_sandbox(env):
    """Four first uses at once: create and destroy are serialised per name, and a create
    that finds the same sandbox (same config hash) made meanwhile uses it: none fails, and
    one sandbox exists afterwards."""
    env.write()
    # The state database is made first: its own first-open race is the store's business.
    assert env.pincer("sandbox", "list").code == 0
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(env.extra_env, PINCER_STATE_DIR=str(env.state))
    procs = [subprocess.Popen([PINCER, "sandbox", "exec", "--config", str(env.config), "--json",
                               "--", "echo", str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
             for i in range(4)]
    res = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), res
    outs = [json.loads(out) for out, _ in res]
    assert sorted(o["stdout"] for o in outs) == ["0\n", "1\n", "2\n", "3\n"], outs
    # one sandbox: whoever lost the race used the winner's (same name, same config hash)
    name = outs[0]["sandbox"]
    helpers = [p for p in os.listdir("/proc") if p.isdigit() and not gone(p, 0)
               and Path(f"/proc/{p}/comm").exists()
               and Path(f"/proc/{p}/comm").read_text().strip() == "pincer-init"
               and name in Path(f"/proc/{p}/cgroup").read_text()]
    assert helpers == [str(env.helper_pid(name))], helpers


def test_seccomp_profile_file_and_capped_ulimits(env, tmp_path):
    """seccompProfile takes Docker's JSON format (the same file works for both backends);
    a ulimit above the gateway's own hard limit is capped there (root may lack
    CAP_SYS_RESOURCE), never an error."""
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}],
    }))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    env.write(f'user: "1000:1000", tmpfs: ["/tmp"], seccompProfile: "{profile}", '
              'ulimits: { nofile: { soft: 512, hard: 99999999 } }')
    out = env.exec("sh", "-c", "mkdir /tmp/d; echo rc=$?; ulimit -Sn; ulimit -Hn").json()
    lines = out["stdout"].splitlines()
    assert lines[0] == "rc=1" and "Operation not permitted" in out["stderr"], out
    assert lines[1] == "512", out
    assert lines[2] == ("unlimited" if hard == resource.RLIM_INFINITY else str(hard)), out
    p, _ = env.probe()
    assert p["Seccomp"] == "2"


def provisioned_images(env, token):
    r = env.run("image", "list", "--json")
    assert r.code == 0, r
    return [i["name"] for i in r.json() if i.get("source") == "provisioned"
            and (Path(i["path"]) / "opt" / "tool" / "marker").exists()
            and token in (Path(i["path"]) / "opt" / "tool" / "marker").read_text()]


def test_setup_command_runs_as_root_and_is_cached(env):
    token = secrets.token_hex(4)  # the store is shared between runs: new images each time
    setup = ('setupCommand: "mkdir -p /opt/tool && id -u > /opt/tool/provisioned-by && '
             f'echo ready-{token} > /opt/tool/marker",')
    base = FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', "")
    try:
        env.write(base + setup)
        out = env.exec("sh", "-c", "id -u; cat /opt/tool/provisioned-by /opt/tool/marker").json()
        # runs read-only as 1000, provisioned as root
        assert out["stdout"] == f"1000\n0\nready-{token}\n", out
        assert env.exec("true").json()["action"] == "reused"
        assert len(provisioned_images(env, token)) == 1

        env.write(base + setup.replace("ready-", "ready2-"))
        out = env.exec("cat", "/opt/tool/marker").json()
        assert out["stdout"] == f"ready2-{token}\n" and out["action"] == "recreated", out
        assert len(provisioned_images(env, token)) == 2
    finally:
        env.cleanup()
        for name in provisioned_images(env, token):
            env.run("image", "rm", name)


def test_failing_setup_command_reports_its_output(env):
    def images():
        return sorted(p for p in os.listdir(env.state / "images") if not p.startswith("."))
    before = images()
    env.write('setupCommand: "echo something-went-wrong >&2; exit 3",')
    r = env.exec("true")
    assert r.code == 1, r
    assert "exit status 3" in r.err and "something-went-wrong" in r.err, r
    assert env.run_dirs() == []  # nothing left behind, nothing cached
    assert images() == before
    r = env.exec("true")
    assert "something-went-wrong" in r.err, r  # retried, not cached


def test_setup_command_past_the_timeout_is_killed(env):
    """Provisioning has the docker backend's limit (an hour, not a setting);
    PINCER_NATIVE_PROVISION_TIMEOUT_MS lowers it for this test only."""
    def images():
        return sorted(os.listdir(env.state / "images"))

    def sleepers(secs):
        found = []
        for p in os.listdir("/proc"):
            try:
                if p.isdigit() and Path(f"/proc/{p}/cmdline").read_bytes() == \
                        f"sleep\0{secs}\0".encode():
                    found.append(p)
            except OSError:
                pass
        return found

    secs = 4000 + secrets.randbelow(999)
    before = images()
    env.extra_env = {"PINCER_NATIVE_PROVISION_TIMEOUT_MS": "1500"}
    # one sleeper in the background (it keeps no output pipe open), one in the foreground
    env.write(f'setupCommand: "echo started; sleep {secs} >/dev/null 2>&1 & sleep {secs}",')
    t0 = time.monotonic()
    r = env.exec("true")
    took = time.monotonic() - t0
    assert r.code == 1, r
    assert "did not finish within 1.5 seconds" in r.err and "setupCommand" in r.err, r.err
    assert "all it started was killed" in r.err and "started" in r.err, r.err
    # not a timing test: the timeout must end provisioning, not the 1 h default (loaded CI
    # machines take several seconds to set the provisioning sandbox up and tear it down)
    assert took < 300, took
    deadline = time.monotonic() + 5
    while sleepers(secs) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sleepers(secs) == []
    assert env.run_dirs() == [] and images() == before


def apparmor_active():
    try:
        return Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y") and \
            Path("/sys/kernel/security/apparmor").exists()
    except OSError:
        return False


def test_apparmor_profile_is_a_clear_error_without_apparmor(env):
    """apparmorProfile is applied where AppArmor is active (each command's execve changes to
    it); here, and wherever it is not active, the sandbox is refused with what to do."""
    if apparmor_active():
        pytest.skip("AppArmor is active on this host: this test checks the refusal where "
                    "it is not (applying a profile needs one loaded, which no test does)")
    env.write('apparmorProfile: "pincer-test-profile", user: "1000:1000"')
    r = env.exec("true")
    assert r.code != 0, r
    for text in ("sandbox.docker.apparmorProfile is 'pincer-test-profile'",
                 "AppArmor is not active on this host", "Hint: remove apparmorProfile"):
        assert text in r.err, r.err
    assert env.run_dirs() == []
    r = env.pincer("sandbox", "explain", "--json")
    problems = r.json()["problems"]
    assert any("AppArmor is not active" in p for p in problems), problems
