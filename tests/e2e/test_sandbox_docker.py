"""Sandboxes on a real Docker engine, observed from inside with the probe.

Needs a Docker engine and the image openclaw-sandbox:bookworm-slim (scripts/docker-env.sh and
scripts/sandbox-image.sh; scripts/test.sh runs both as root). Without them the tests skip and
say why, unless PINCER_REQUIRE_DOCKER=1 (set by scripts/test.sh when it prepared the engine),
in which case they fail.
"""
import errno
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

IMAGE = "openclaw-sandbox:bookworm-slim"
PROBE = os.environ.get("PINCER_PROBE", str(SOURCE_DIR / "build" / "debug" / "probe"))


def docker(*args, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check,
                          timeout=120)


def engine_problem():
    if not shutil.which("docker"):
        return "the docker client is not installed"
    r = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        return "no Docker engine answers: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    if docker("image", "inspect", IMAGE, check=False).returncode != 0:
        return f"image {IMAGE} is missing (scripts/sandbox-image.sh builds it)"
    if not Path(PROBE).exists():
        return f"the probe {PROBE} is not built"
    return None


@pytest.fixture(scope="module", autouse=True)
def need_docker():
    problem = engine_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
            pytest.fail(f"Docker is required here but {problem}")
        pytest.skip(f"Docker tests skipped: {problem}")


class Env:
    """A throwaway state dir, workspace and container prefix (names are global on the engine)."""

    def __init__(self, tmp_path, run):
        self.run = run
        self.dir = tmp_path
        self.prefix = f"pincer-t{secrets.token_hex(3)}-"
        self.ws = tmp_path / "ws"
        self.ws.mkdir()
        os.chown(self.ws, 1000, 1000)
        shutil.copy(PROBE, self.ws / "probe")
        os.chmod(self.ws / "probe", 0o755)
        self.config = tmp_path / "pincer.json5"
        self.extra_env = {}

    def write(self, docker_extra="", sandbox_extra=""):
        self.config.write_text(f"""{{
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "docker", scope: "agent", workspaceAccess: "rw",
        docker: {{ containerPrefix: "{self.prefix}", {docker_extra} }},
        {sandbox_extra}
      }},
    }},
    list: [{{ id: "main", workspace: "{self.ws}" }}],
  }},
}}""")

    def pincer(self, *args):
        if args[0] in ("sandbox", "tools"):  # options go before the subcommand's arguments
            args = (args[0], args[1], "--config", str(self.config), *args[2:])
        else:
            args = (*args, "--config", str(self.config))
        return self.run(*args, env=self.extra_env)

    def exec(self, *cmd, json_out=True):
        args = ["sandbox", "exec"] + (["--json"] if json_out else []) + ["--", *cmd]
        return self.pincer(*args)

    def probe(self, *args):
        r = self.exec("/workspace/probe", *args)
        assert r.code == 0, r
        out = r.json()
        assert out["exitCode"] == 0, out
        return json.loads(out["stdout"]), out

    def containers(self):
        r = docker("ps", "-a", "--filter", f"name=^{self.prefix}", "--format", "{{.Names}}")
        return [n for n in r.stdout.split() if n]

    def cleanup(self):
        for name in self.containers():
            docker("rm", "-f", name, check=False)


@pytest.fixture
def env(tmp_path, run):
    e = Env(tmp_path, run)
    yield e
    e.cleanup()


FULL = """
  image: "openclaw-sandbox:bookworm-slim", readOnlyRoot: true,
  tmpfs: ["/tmp", "/var/tmp", "/run"], network: "none", user: "1000:1000", capDrop: ["ALL"],
  env: { LANG: "C.UTF-8", PROBE_MARK: "visible" },
  pidsLimit: 64, memory: "96m", memorySwap: "96m", cpus: 1,
  ulimits: { nofile: { soft: 1024, hard: 2048 } },
  dns: ["1.1.1.1", "8.8.8.8"], extraHosts: ["internal.service:10.0.0.5"],
  binds: ["WS/data:/data:ro"],
"""


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
    assert p["Seccomp"] == "2"  # filter mode: Pincer's built-in profile
    assert p["rootWriteErrno"] == errno.EROFS
    assert p["tmpWriteErrno"] == 0
    mounts = {line.split()[4]: line for line in p["mountinfo"].splitlines()}
    for t in ("/tmp", "/var/tmp", "/run"):
        assert " - tmpfs " in mounts[t], mounts.get(t)
    assert " ro," in mounts["/data"] or mounts["/data"].split()[5].startswith("ro")
    ifaces = [line.split(":")[0].strip() for line in p["netdev"].splitlines()[2:]]
    assert ifaces == ["lo"], ifaces
    assert "nameserver 1.1.1.1" in p["resolv"] and "nameserver 8.8.8.8" in p["resolv"]
    assert "10.0.0.5\tinternal.service" in p["hosts"]
    assert p["env"]["PROBE_MARK"] == "visible"
    assert p["cwd"] == "/workspace"
    assert p["cwdWriteErrno"] == 0  # rw workspace
    assert p["nofile"] == [1024, 2048]
    r = env.exec("cat", "/data/hello.txt")
    assert r.json()["stdout"] == "bound\n"

    # A second check from the engine's side.
    name = out["sandbox"]
    hc = json.loads(docker("inspect", name).stdout)[0]["HostConfig"]
    assert hc["ReadonlyRootfs"] is True and hc["NetworkMode"] == "none"
    assert hc["CapDrop"] == ["ALL"] and hc["PidsLimit"] == 64
    assert hc["Memory"] == 96 * 1024 * 1024 and hc["NanoCpus"] == 1_000_000_000
    assert "no-new-privileges" in hc["SecurityOpt"] and hc["Init"] is True


def test_builtin_seccomp_profile(env):
    """Without seccompProfile a container gets Pincer's built-in profile, the native backend's,
    not the engine's default: ptrace and io_uring fail, and capAdd opens none of the syscalls
    the profile denies (Docker's default would allow mount and unshare with SYS_ADMIN)."""
    env.write('image: "openclaw-sandbox:bookworm-slim", network: "none", user: "0:0", '
              'capDrop: ["ALL"], capAdd: ["SYS_ADMIN", "SYS_PTRACE"],')
    e, out = env.probe("escapes")
    for key in ("ptracePid1", "ioUringSetup", "mount", "unshareMount", "unshareUser", "setns",
                "cloneNewns", "bpf"):
        assert e[key] == errno.EPERM, (key, e[key])
    # The 32-bit compat entry (int $0x80) meets the same rules: the profile's archMap.
    c, _ = env.probe("compat32")
    if c["supported"]:
        for key in ("ptracePid1", "unshareMount", "mount", "ioUringSetup"):
            assert c[key] == errno.EPERM, ("compat32", key, c[key])
    hc = json.loads(docker("inspect", out["sandbox"]).stdout)[0]["HostConfig"]
    opts = [o for o in hc["SecurityOpt"] if o.startswith("seccomp=")]
    assert len(opts) == 1, hc["SecurityOpt"]
    profile = json.loads(opts[0][len("seccomp="):])
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO" and profile["defaultErrnoRet"] == 1
    assert any(a["architecture"] == "SCMP_ARCH_X86_64" for a in profile["archMap"])
    allowed = {n for sc in profile["syscalls"] if sc["action"] == "SCMP_ACT_ALLOW"
               and not sc.get("args") and not sc.get("includes") for n in sc["names"]}
    assert "read" in allowed and "execve" in allowed
    assert not allowed & {"ptrace", "io_uring_setup", "process_vm_readv", "mount", "unshare"}


def test_limits_hold(env):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""))
    r = env.exec("/workspace/probe", "fork-bomb", "300")
    bomb = json.loads(r.json()["stdout"])
    assert bomb["started"] < 64, bomb
    r = env.exec("/workspace/probe", "alloc", "400")
    out = r.json()
    assert out["exitCode"] != 0, out  # killed by the OOM killer (137), never reaches 400 MiB
    assert '"failed":false' not in out["stdout"]


def test_exec_status_stdin_timeout_and_cap(env):
    env.write()
    r = env.exec("sh", "-c", "echo out; echo err >&2; exit 3")
    out = r.json()
    assert (out["exitCode"], out["stdout"], out["stderr"]) == (3, "out\n", "err\n")
    r = env.pincer("sandbox", "exec", "--timeout", "1", "--json", "--", "sleep", "30")
    assert r.json()["timedOut"] is True
    r = env.exec("head", "-c", "3000000", "/dev/zero")
    out = r.json()
    assert out["stdoutTruncated"] is True and len(out["stdout"]) <= 1024 * 1024
    # without --json the command's own status is pincer's
    r = env.exec("sh", "-c", "exit 7", json_out=False)
    assert r.code == 7


def test_setup_command_runs_as_root_and_is_cached(env):
    setup = 'setupCommand: "mkdir -p /opt/tool && id -u > /opt/tool/provisioned-by && echo ready > /opt/tool/marker",'
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', "") + setup)
    r = env.exec("sh", "-c", "id -u; cat /opt/tool/provisioned-by /opt/tool/marker")
    out = r.json()
    assert out["stdout"] == "1000\n0\nready\n", out  # runs as 1000, provisioned as root
    name = out["sandbox"]
    image1 = json.loads(docker("inspect", name).stdout)[0]["Config"]["Image"]
    assert image1.startswith("pincer-provisioned:")

    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', "")
              + setup.replace("ready", "ready2"))
    out = env.exec("cat", "/opt/tool/marker").json()
    assert out["stdout"] == "ready2\n" and out["action"] == "recreated"
    image2 = json.loads(docker("inspect", name).stdout)[0]["Config"]["Image"]
    assert image2 != image1


def test_failing_setup_command_reports_its_output(env):
    env.write('setupCommand: "echo something-went-wrong >&2; exit 3",')
    r = env.exec("true")
    assert r.code == 1, r
    assert "exit status 3" in r.err and "something-went-wrong" in r.err
    assert env.containers() == []  # nothing left behind, nothing cached
    r = env.exec("true")
    assert "something-went-wrong" in r.err  # retried, not cached


def test_changed_setting_is_noticed_and_recreated(env):
    env.write("pidsLimit: 64,")
    assert env.exec("true").json()["action"] == "created"
    assert env.exec("true").json()["action"] == "reused"
    env.write("pidsLimit: 65,")
    listed = env.pincer("sandbox", "list", "--json").json()
    assert listed[0]["hashCurrent"] is False and listed[0]["state"] == "running"
    assert "stale" in env.pincer("sandbox", "list").out
    assert env.exec("true").json()["action"] == "recreated"
    assert env.pincer("sandbox", "list", "--json").json()[0]["hashCurrent"] is True


def test_recreate_and_prune_touch_only_their_own(env):
    env.write("")
    name = env.exec("true").json()["sandbox"]
    other = f"{env.prefix}not-ours"
    docker("run", "-d", "--name", other, IMAGE, "sleep", "1000")
    try:
        r = env.pincer("sandbox", "prune", "--json")
        assert r.json() == []  # nothing idle yet
        # Make it look two days idle in the registry.
        db = sqlite3.connect(env.dir / "state" / "state.db")
        db.execute("UPDATE sandboxes SET last_used_at_ms = ?", (int(time.time() * 1000) - 2 * 86400_000,))
        db.commit()
        db.close()
        r = env.pincer("sandbox", "prune", "--dry-run", "--json")
        assert [x["result"] for x in r.json()] == ["would-remove"]
        assert name in env.containers()
        r = env.pincer("sandbox", "prune", "--json")
        assert [x["result"] for x in r.json()] == ["removed"], r
        assert env.containers() == [other]
        assert env.pincer("sandbox", "list", "--json").json() == []

        env.exec("true")
        r = env.pincer("sandbox", "recreate", "--agent", "main")
        assert r.code == 2 and "--force" in r.err  # no terminal to confirm on
        r = env.pincer("sandbox", "recreate", "--agent", "main", "--force")
        assert r.code == 0 and "removed" in r.out
        assert env.containers() == [other]
    finally:
        docker("rm", "-f", other, check=False)


@pytest.mark.parametrize("bind,fragment", [
    ("/var/run/docker.sock:/var/run/docker.sock", "docker.sock"),
    ("/etc:/host-etc:ro", "blocked path"),
    ("/proc:/host-proc", "blocked path"),
    ("LINK:/x", "blocked path"),
    ("WS/sub:/workspace/sub", "reserved"),
])
def test_refused_binds_create_nothing(env, bind, fragment):
    (env.ws / "sub").mkdir()
    os.symlink("/etc", env.ws / "etc-link")
    bind = bind.replace("LINK", str(env.ws / "etc-link")).replace("WS", str(env.ws))
    env.write(f'binds: ["{bind}"],')
    r = env.exec("true")
    assert r.code == 1, r
    assert "Sandbox security" in r.err and fragment in r.err, r.err
    assert env.containers() == []
    assert env.pincer("sandbox", "list", "--json").json() == []


def test_explain_shows_the_plan_before_anything_exists(env):
    env.write(FULL.replace("WS", str(env.ws)).replace('binds: ["WS/data:/data:ro"],', ""))
    r = env.pincer("sandbox", "explain", "--json")
    assert r.code == 0, r
    ex = r.json()
    assert ex["sandboxed"] is True
    assert ex["sandbox"]["name"].startswith(env.prefix)
    assert ex["dockerCreate"]["HostConfig"]["ReadonlyRootfs"] is True
    assert ex["problems"] == []
    assert "exec" in ex["toolsAllowed"]
    assert env.containers() == []
    text = env.pincer("sandbox", "explain").out
    assert "Mounts:" in text and "/workspace" in text


class EngineProxy:
    """A unix socket that forwards to the real engine and can be switched off and on, to play
    an engine that stops and comes back without touching the real one."""

    def __init__(self, path):
        self.path = str(path)
        self.listener = None
        self.conns = []

    def start(self):
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self):
        self.listener.close()
        for c in self.conns:
            try:  # wakes the pipe threads blocked in recv, so the peers see the end
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()
        self.conns = []
        os.unlink(self.path)

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect("/var/run/docker.sock")
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def test_engine_down_is_reported_and_recovers(env):
    env.write()
    proxy = EngineProxy(env.dir / "engine.sock")
    env.extra_env = {"DOCKER_HOST": f"unix://{proxy.path}"}
    proxy.start()
    assert env.exec("true").json()["exitCode"] == 0
    proxy.stop()
    r = env.exec("true")
    assert r.code == 1, r
    assert "Docker engine unavailable at unix://" in r.err, r.err
    assert "scripts/docker-env.sh" in r.err
    listed = env.pincer("sandbox", "list", "--json")
    assert listed.code == 0 and listed.json()[0]["state"] == "unknown"
    proxy.start()
    out = env.exec("echo", "back").json()
    assert out["stdout"] == "back\n" and out["action"] == "reused"
