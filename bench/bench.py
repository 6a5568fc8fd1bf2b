#!/usr/bin/python3
"""Pincer's benchmark: the figures of "Performance targets" in the design (pincer.md), each
beside its target, measured in one run on this machine. Standard library only.

Run through scripts/bench.sh (which builds the release preset first), or directly:

    /usr/bin/python3 bench/bench.py [--calls N] [--only ROWS] [--json PATH]

See bench/README.md for what each row means.
"""
import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINCER = os.environ.get("PINCER_BENCH_BINARY", str(ROOT / "build" / "release" / "pincer"))
NATIVE_STORE = Path(os.environ.get("PINCER_NATIVE_IMAGE_STORE", "/var/cache/pincer/native-store"))
IMAGE = "openclaw-sandbox:bookworm-slim"
IMAGE_DIR = "openclaw-sandbox%3Abookworm-slim"
TOKEN = "bench-token-0123456789abcdef0123456789abcdef"
MIB = 1024 * 1024

ROWS = []      # one dict per measured figure
SKIPPED = []   # (row, reason)


# ---------------------------------------------------------------------------------------------
# statistics and output

def pct(values, p):
    """Nearest-rank percentile (p in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def summary(values, percentiles=True):
    d = {"runs": len(values), "median": statistics.median(values),
         "min": min(values), "max": max(values)}
    if percentiles:
        d["p90"] = pct(values, 90)
        d["p99"] = pct(values, 99)
    return d


def row(key, measure, unit, values=None, target="", verdict=None, note="", percentiles=True,
        **single):
    r = {"id": key, "measure": measure, "unit": unit, "target": target, "meets": verdict,
         "note": note}
    if values is not None:
        r.update(summary(values, percentiles))
    r.update(single)
    ROWS.append(r)
    print_row(r)
    return r


def skip(key, reason):
    SKIPPED.append({"id": key, "reason": reason})
    print(f"  SKIPPED {key}: {reason}", flush=True)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if abs(v) >= 100:
            return f"{v:.0f}"
        if abs(v) >= 10:
            return f"{v:.1f}"
        return f"{v:.2f}"
    return str(v)


HEAD = ("measure", "unit", "runs", "median", "p90", "p99", "min", "max", "target", "meets")


def cells(r):
    verdict = {True: "yes", False: "NO", None: "-"}[r["meets"]]
    med = f"{r['median']:.3f}" if r["unit"] == "x" else fmt(r.get("median"))
    return (r["measure"], r["unit"], fmt(r.get("runs")), med, fmt(r.get("p90")),
            fmt(r.get("p99")), fmt(r.get("min")), fmt(r.get("max")), r["target"], verdict)


def print_row(r):
    c = cells(r)
    print(f"  {c[0]:<52} {c[3]:>8} {c[1]:<7} (n={c[2]}, p90 {c[4]}, p99 {c[5]}, "
          f"min {c[6]}, max {c[7]}) target {c[8]} -> {c[9]}"
          + (f"  [{r['note']}]" if r["note"] else ""), flush=True)


def markdown_table():
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in ROWS:
        lines.append("| " + " | ".join(cells(r)) + " |")
    return "\n".join(lines)


def text_table():
    rows = [HEAD] + [cells(r) for r in ROWS]
    widths = [max(len(x[i]) for x in rows) for i in range(len(HEAD))]
    out = []
    for i, x in enumerate(rows):
        out.append("  ".join(s.ljust(widths[j]) if j in (0, 1, 8) else s.rjust(widths[j])
                             for j, s in enumerate(x)))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# machine

def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def machine():
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": cpu,
            "mem_total_mib": int(mem) // 1024, "python": platform.python_version()}


# ---------------------------------------------------------------------------------------------
# the gateway

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(state):
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e["PINCER_STATE_DIR"] = str(state)
    e["PINCER_GATEWAY_TOKEN"] = TOKEN
    return e


HEALTH_REQ = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def health_once(port):
    """One GET /health on a fresh raw socket: True on 200, False otherwise (refused included)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect(("127.0.0.1", port))
        s.sendall(HEALTH_REQ)
        buf = b""
        while b"\r\n" not in buf:
            chunk = s.recv(256)
            if not chunk:
                return False
            buf += chunk
        return buf.startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()


class Gateway:
    def __init__(self, work, config, extra_env=None):
        self.work = work
        self.state = work / "state"
        self.state.mkdir(exist_ok=True)
        self.config = config
        self.env = base_env(self.state)
        self.env.update(extra_env or {})
        self.port = None
        self.proc = None
        self.log = None

    def start(self, timeout=30):
        """Starts the gateway; returns seconds from just before spawn to the first 200."""
        self.port = free_port()
        self.log = open(self.work / "gateway.log", "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [PINCER, "gateway", "run", "--port", str(self.port), "--config", str(self.config)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=self.env)
        deadline = t0 + timeout
        while not health_once(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited {self.proc.returncode}: {self.tail()}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"gateway did not answer /health: {self.tail()}")
        return time.perf_counter() - t0

    def tail(self):
        try:
            return (self.work / "gateway.log").read_text(errors="replace")[-1500:]
        except OSError:
            return ""

    def rss(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def stop(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None

    def pincer(self, *args, timeout=300):
        return subprocess.run([PINCER, *args], capture_output=True, text=True, env=self.env,
                              timeout=timeout)

    def client(self):
        return Client(self.port)


class Client:
    """One keep-alive HTTP/1.1 connection issuing POST /tools/invoke."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def invoke(self, tool="exec", args=None):
        body = json.dumps({"tool": tool, "args": args or {"command": "echo hi"}})
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            try:
                self.conn.request("POST", "/tools/invoke", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                # keep-alive closed by the server (5 s idle): reconnect once
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.status != 200:
            raise RuntimeError(f"/tools/invoke {resp.status}: {data[:500]!r}")
        doc = json.loads(data)
        text = doc["result"]["content"][0]["text"]
        if not text.startswith("hi"):
            raise RuntimeError(f"unexpected exec output: {text[:300]!r}")
        return doc

    def timed(self):
        t0 = time.perf_counter()
        self.invoke()
        return time.perf_counter() - t0

    def close(self):
        if self.conn:
            self.conn.close()


def sandbox_config(work, backend, prefix):
    ws = work / "ws"
    ws.mkdir(exist_ok=True)
    os.chown(ws, 1000, 1000) if os.geteuid() == 0 else None
    cfg = work / "pincer.json5"
    cfg.write_text(f"""{{
  gateway: {{ tools: {{ allow: ["exec"] }} }},
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "{backend}", scope: "agent", workspaceAccess: "rw",
        docker: {{ image: "{IMAGE}", containerPrefix: "{prefix}" }},
      }},
    }},
    list: [{{ id: "main", workspace: "{ws}" }}],
  }},
}}
""")
    return cfg


def link_native_images(work):
    state = work / "state"
    state.mkdir(exist_ok=True)
    (state / "images").symlink_to(NATIVE_STORE / "images")


def native_problem():
    if os.geteuid() != 0:
        return "the native backend needs root (namespaces, mounts, cgroups); run as root"
    if not (NATIVE_STORE / "images" / IMAGE_DIR / "rootfs" / "bin").exists():
        return (f"no native image {IMAGE} in {NATIVE_STORE}/images (build it with "
                f"PINCER_STATE_DIR={NATIVE_STORE} pincer image build {IMAGE}, or set "
                f"PINCER_NATIVE_IMAGE_STORE)")
    return None


def ms(values):
    return [v * 1000.0 for v in values]


def under(value, limit):
    return value < limit


# ---------------------------------------------------------------------------------------------
# rows

def bench_start(tmp, runs):
    """1. gateway start to first /health 200."""
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="start-"))
    cfg = sandbox_config(work, "native", "pincer-bs-")
    times = []
    for _ in range(runs):
        shutil.rmtree(work / "state", ignore_errors=True)
        g = Gateway(work, cfg)
        try:
            times.append(g.start())
        finally:
            g.stop()
    t = ms(times)
    row("start", "gateway start to first /health 200", "ms", t, "< 50 ms",
        under(statistics.median(t), 50))


def floor_spawn(runs):
    """A bare fork+exec of /bin/echo hi: posix_spawn + waitpid, stdout to a pipe read to EOF."""
    out = []
    for _ in range(runs + 10):
        r, w = os.pipe()
        t0 = time.perf_counter()
        pid = os.posix_spawn("/bin/echo", ["/bin/echo", "hi"], os.environ,
                             file_actions=[(os.POSIX_SPAWN_DUP2, w, 1),
                                           (os.POSIX_SPAWN_CLOSE, r)])
        os.close(w)
        while os.read(r, 4096):
            pass
        os.waitpid(pid, 0)
        out.append(time.perf_counter() - t0)
        os.close(r)
    return out[10:]


CONTROL_MAGIC = 0x31584350  # "PCX1", src/sandbox/native/control.c


def control_exec(run_dir, argv, env=("LANG=C.UTF-8",), flags=0):
    """One exec straight on a native sandbox's control socket (the gateway's wire protocol,
    control.c): no HTTP, dispatch, policy, registry or audit. flags 1: pid 1 may reuse the
    login environment (PC_NATIVE_REQUEST_LOGIN_CACHE). Returns (seconds, stdout)."""
    import array
    import struct
    body = struct.pack("=QIIII", 60000, len(argv), len(env), flags, 0) + b"\0"  # workdir "" = default
    body += b"".join(a.encode() + b"\0" for a in argv)
    body += b"".join(e.encode() + b"\0" for e in env)
    dfd = os.open(run_dir, os.O_PATH | os.O_DIRECTORY)
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    nul = os.open("/dev/null", os.O_RDONLY)
    try:
        s.connect(f"/proc/self/fd/{dfd}/control.sock")
        s.sendmsg([struct.pack("=II", CONTROL_MAGIC, len(body))],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [nul, w_out, w_err]))])
        s.sendall(body)
        os.close(w_out)
        os.close(w_err)
        w_out = w_err = -1
        out = b""
        while True:
            chunk = os.read(r_out, 4096)
            if not chunk:
                break
            out += chunk
        while os.read(r_err, 4096):
            pass
        reply = b""
        while len(reply) < 16:
            chunk = s.recv(16 - len(reply))
            if not chunk:
                raise RuntimeError("the sandbox's pid 1 closed the control connection")
            reply += chunk
        elapsed = time.perf_counter() - t0
        code, sig, _timed_out, err = struct.unpack("=iiii", reply)
        if err or code != 0:
            raise RuntimeError(f"control exec {argv}: exit {code} signal {sig} error {err}")
        return elapsed, out.decode(errors="replace")
    finally:
        for fd in (w_out, w_err, r_out, r_err, nul, dfd):
            if fd >= 0:
                os.close(fd)
        s.close()


def bench_control(g, runs):
    """The exec tool's command without the gateway: where the time of a warm exec goes."""
    run_dirs = list((g.state / "run" / "native").glob("*/control.sock"))
    if len(run_dirs) != 1:
        skip("native_control", f"expected one native sandbox, found {len(run_dirs)}")
        return
    d = str(run_dirs[0].parent)
    for key, argv, flags, what in (
            ("native_control_echo", ["/bin/echo", "hi"], 0, "/bin/echo hi"),
            ("native_control_login", ["/bin/sh", "-lc", "echo hi"], 0,
             "/bin/sh -lc 'echo hi' (login files run)"),
            ("native_control_login_cached", ["/bin/sh", "-lc", "echo hi"], 1,
             "/bin/sh -lc 'echo hi' (login environment reused)")):
        # the environment the exec tool sends (HOME is the working directory, docs/tools.md)
        env = ("LANG=C.UTF-8", "HOME=/workspace", "OPENCLAW_SHELL=exec")
        for _ in range(10):
            control_exec(d, argv, env=env, flags=flags)
        vals = []
        for _ in range(runs):
            t, out = control_exec(d, argv, env=env, flags=flags)
            if out != "hi\n":
                raise RuntimeError(f"control exec {argv}: unexpected output {out!r}")
            vals.append(t)
        row(key, f"pid 1 exec of {what}, no gateway (control socket)", "ms", ms(vals), "-",
            note="the exec tool's command" if key == "native_control_login_cached" else "")


def bench_native(tmp, args):
    """2 (RSS), 3 (warm exec vs floor), 5 (fresh sandbox), 6 (throughput) on one gateway."""
    why = native_problem()
    if why:
        for k in ("rss_idle", "rss_calls", "rss_growth", "native_exec", "native_floor",
                  "native_ratio", "native_control", "fresh", "throughput"):
            skip(k, why)
        return None
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="native-"))
    prefix = f"pincer-bn{os.getpid() % 100000}-"
    cfg = sandbox_config(work, "native", prefix)
    link_native_images(work)
    g = Gateway(work, cfg)
    g.start()
    try:
        time.sleep(0.3)
        idle = g.rss()
        row("rss_idle", "idle RSS of the gateway", "MiB", None, "< 12 MiB", idle / MIB < 12,
            percentiles=False, runs=1, median=idle / MIB, min=idle / MIB, max=idle / MIB)
        c = g.client()
        # warm: create the sandbox, then settle allocator caches
        t_first = c.timed()
        for _ in range(50):
            c.invoke()
        warm_rss = g.rss()

        # 3. warm exec, then the floor right after
        lat = ms([c.timed() for _ in range(args.exec_runs)])
        floor = ms(floor_spawn(args.exec_runs))
        p50 = statistics.median(lat)
        fl50 = statistics.median(floor)
        row("native_exec", "warm exec echo hi via /tools/invoke, native", "ms", lat,
            "p50 < 3 ms", p50 < 3)
        row("native_floor", "floor: posix_spawn+waitpid /bin/echo (Python)", "ms", floor, "-")
        row("native_ratio", "native exec p50 / floor p50", "x", None, "<= 3x", p50 / fl50 <= 3,
            percentiles=False, runs=args.exec_runs, median=p50 / fl50)
        bench_control(g, args.exec_runs)

        # 2. RSS growth after N calls (counted from after the warm-up)
        n = args.calls
        t0 = time.perf_counter()
        for _ in range(n):
            c.invoke()
        spent = time.perf_counter() - t0
        after = g.rss()
        growth = (after - warm_rss) / MIB
        row("rss_calls", f"RSS after {n} more exec calls", "MiB", None, "-", None,
            percentiles=False, runs=1, median=after / MIB, min=after / MIB, max=after / MIB,
            note=f"after warm-up {warm_rss / MIB:.2f} MiB; {n / spent:.0f} calls/s serial")
        row("rss_growth", f"RSS growth over {n} calls", "MiB", None,
            "< 2 MiB per 10,000", growth < 2 * n / 10000.0, percentiles=False, runs=1,
            median=growth, min=growth, max=growth,
            note="" if n >= 10000 else "target is for 10,000 calls (--calls 10000); "
                                       "verdict scaled linearly")
        c.close()

        # 6. throughput, 1/2/8 clients
        rates = {}
        for k in (1, 2, 8):
            rates[k] = throughput(g, k, args.tp_seconds)
        for k in (1, 2, 8):
            extra = "" if k == 1 else f"{rates[k] / rates[1]:.2f}x of 1 client"
            row(f"throughput_{k}", f"throughput, {k} concurrent client(s), native", "calls/s",
                None, ">= 1.6x of 1 client" if k == 8 else "-",
                rates[8] / rates[1] >= 1.6 if k == 8 else None, percentiles=False,
                runs=1, median=rates[k], min=rates[k], max=rates[k], note=extra)

        # 5. fresh sandbox to first exec result
        fresh = []
        c = g.client()
        recreate_ms = []
        for _ in range(args.fresh_runs):
            t0 = time.perf_counter()
            r = g.pincer("sandbox", "recreate", "--all", "--force", "--config", str(cfg))
            recreate_ms.append((time.perf_counter() - t0) * 1000)
            if r.returncode != 0:
                raise RuntimeError(f"sandbox recreate failed: {r.stderr.strip()}")
            fresh.append(c.timed())
        c.close()
        f = ms(fresh)
        row("fresh", "fresh native sandbox to first exec result", "ms", f, "p50 < 15 ms",
            statistics.median(f) < 15,
            note=f"after `sandbox recreate --all --force` "
                 f"(itself p50 {statistics.median(recreate_ms):.0f} ms, not counted); "
                 f"first call of the run {t_first * 1000:.0f} ms")
    finally:
        g.pincer("sandbox", "recreate", "--all", "--force", "--config", str(cfg))
        g.stop(signal.SIGTERM)
    return True


def throughput(g, clients, seconds):
    counts = [0] * clients
    errors = []
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def worker(i):
        c = g.client()
        try:
            c.invoke()  # connect outside the window
            start.wait()
            while time.perf_counter() < stop_at[0]:
                c.invoke()
                counts[i] += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    stop_at[0] = time.perf_counter() + 1e9
    start.wait()
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"throughput with {clients} clients: {errors[0]}")
    return sum(counts) / elapsed


# --- Docker ----------------------------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.path)
        self.sock = s


def docker_socket():
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return None, f"DOCKER_HOST={host} is not a unix socket"
    path = host[len("unix://"):]
    try:
        c = UnixHTTPConnection(path, timeout=5)
        c.request("GET", "/_ping")
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200:
            return None, f"the Docker engine at {host} answered /_ping {r.status}"
    except OSError as e:
        return None, f"no Docker engine answers at {host} ({e})"
    c = UnixHTTPConnection(path, timeout=5)
    c.request("GET", f"/images/{IMAGE}/json")
    r = c.getresponse()
    r.read()
    c.close()
    if r.status != 200:
        return None, f"the Docker engine has no image {IMAGE} (scripts/sandbox-image.sh builds it)"
    return path, None


def docker_api(path, method, url, body=None):
    c = UnixHTTPConnection(path)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, url, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        raise RuntimeError(f"Docker {method} {url}: {r.status} {data[:300]!r}")
    return data


def raw_engine_exec(sock, container):
    """exec create + start (attached, read to EOF) + inspect: what a client needs for a result."""
    t0 = time.perf_counter()
    d = json.loads(docker_api(sock, "POST", f"/containers/{container}/exec",
                              {"Cmd": ["echo", "hi"], "AttachStdout": True,
                               "AttachStderr": True, "Tty": False}))
    out = docker_api(sock, "POST", f"/exec/{d['Id']}/start", {"Detach": False, "Tty": False})
    info = json.loads(docker_api(sock, "GET", f"/exec/{d['Id']}/json"))
    t = time.perf_counter() - t0
    if info.get("ExitCode") != 0 or b"hi" not in out:
        raise RuntimeError(f"raw exec: exit {info.get('ExitCode')} output {out!r}")
    return t


def bench_docker(tmp, args):
    """4. warm exec on the Docker backend vs a raw Engine-API exec into the same container."""
    sock, why = docker_socket()
    if why:
        for k in ("docker_exec", "docker_floor", "docker_ratio"):
            skip(k, why)
        return
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="docker-"))
    prefix = f"pincer-bd{os.getpid() % 100000}-"
    cfg = sandbox_config(work, "docker", prefix)
    g = Gateway(work, cfg)
    g.start()
    try:
        c = g.client()
        for _ in range(10):
            c.invoke()
        r = g.pincer("sandbox", "list", "--json", "--config", str(cfg))
        if r.returncode != 0:
            raise RuntimeError(f"sandbox list: {r.stderr}")
        doc = json.loads(r.stdout)
        items = doc if isinstance(doc, list) else doc.get("sandboxes", [])
        names = [s.get("name") or s.get("containerName") for s in items
                 if s.get("backend", "docker") == "docker"]
        names = [n for n in names if n and n.startswith(prefix)]
        if not names:
            raise RuntimeError(f"no docker sandbox with prefix {prefix} in {r.stdout[:500]}")
        container = names[0]
        for _ in range(10):
            raw_engine_exec(sock, container)
        # interleave in blocks so both see the same load
        lat, floor = [], []
        block = 25
        while len(lat) < args.exec_runs:
            lat += [c.timed() for _ in range(block)]
            floor += [raw_engine_exec(sock, container) for _ in range(block)]
        c.close()
        lat, floor = ms(lat[:args.exec_runs]), ms(floor[:args.exec_runs])
        p50, f50 = statistics.median(lat), statistics.median(floor)
        row("docker_exec", "warm exec echo hi via /tools/invoke, docker", "ms", lat, "-")
        row("docker_floor", "floor: raw Engine API exec (create+start+inspect)", "ms", floor, "-",
            note=f"container {container}; interleaved in blocks of {block}")
        row("docker_ratio", "docker exec p50 / raw Engine API p50", "x", None, "<= 1.15x",
            p50 / f50 <= 1.15, percentiles=False, runs=args.exec_runs, median=p50 / f50)
    finally:
        g.pincer("sandbox", "recreate", "--all", "--force", "--config", str(cfg))
        g.stop(signal.SIGTERM)


# --- CLI wall time ----------------------------------------------------------------------------

def bench_cli(tmp, runs):
    """7. `pincer config validate` and `pincer sandbox explain` wall time."""
    work = Path(tempfile.mkdtemp(dir=tmp, prefix="cli-"))
    cfg = work / "sandbox-full.json5"
    shutil.copy(ROOT / "examples" / "sandbox-full.json5", cfg)
    env = base_env(work / "state")
    for name, argv in (("config validate", ["config", "validate", "--config", str(cfg)]),
                       ("sandbox explain", ["sandbox", "explain", "--config", str(cfg)])):
        times, codes = [], set()
        for i in range(runs + 3):
            t0 = time.perf_counter()
            r = subprocess.run([PINCER, *argv], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            t = time.perf_counter() - t0
            codes.add(r.returncode)
            if i >= 3:
                times.append(t)
        t = ms(times)
        row("cli_" + name.split()[1], f"pincer {name} (examples/sandbox-full.json5)", "ms", t,
            "< 20 ms", statistics.median(t) < 20,
            note=f"exit status {sorted(codes)}; wall time incl. Python's spawn")


# ---------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=2000,
                    help="tool calls for the RSS growth row (10000 for the target's figure)")
    ap.add_argument("--exec-runs", type=int, default=300)
    ap.add_argument("--start-runs", type=int, default=20)
    ap.add_argument("--fresh-runs", type=int, default=30)
    ap.add_argument("--cli-runs", type=int, default=50)
    ap.add_argument("--tp-seconds", type=float, default=5.0)
    ap.add_argument("--only", default="start,native,docker,cli",
                    help="comma-separated groups: start, native, docker, cli")
    ap.add_argument("--json", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = ap.parse_args()
    only = set(args.only.split(","))

    if not Path(PINCER).exists():
        sys.exit(f"bench: {PINCER} is not built (scripts/bench.sh builds the release preset)")
    info = machine()
    load0 = loadavg()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    ver = subprocess.run([PINCER, "version"], capture_output=True, text=True).stdout.strip()
    print(f"Pincer benchmark  {started}  {ver}")
    print(f"machine: nproc {info['nproc']}, kernel {info['kernel']}, {info['cpu']}, "
          f"{info['mem_total_mib']} MiB; load average at start {' '.join(load0)}")
    print(f"binary: {PINCER}; euid {os.geteuid()}", flush=True)

    tmp = tempfile.mkdtemp(prefix="pincer-bench-")
    failures = []
    groups = [("start", lambda: bench_start(tmp, args.start_runs)),
              ("native", lambda: bench_native(tmp, args)),
              ("docker", lambda: bench_docker(tmp, args)),
              ("cli", lambda: bench_cli(tmp, args.cli_runs))]
    try:
        for name, fn in groups:
            if name not in only:
                continue
            print(f"\n[{name}]", flush=True)
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - one group failing must not hide the rest
                failures.append(f"{name}: {e}")
                print(f"  FAILED {name}: {e}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    load1 = loadavg()
    print(f"\nload average at start {' '.join(load0)}, at end {' '.join(load1)}\n")
    print(text_table())
    for s in SKIPPED:
        print(f"skipped {s['id']}: {s['reason']}")
    for f in failures:
        print(f"FAILED {f}")

    out = {"date": started, "version": ver, "machine": info,
           "load_start": load0, "load_end": load1, "euid": os.geteuid(),
           "args": vars(args), "rows": ROWS, "skipped": SKIPPED, "failures": failures,
           "markdown": markdown_table()}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {args.json}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
