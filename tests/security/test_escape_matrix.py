"""The escape matrix, run against every backend through the public API only: POST
/tools/invoke of the real `pincer gateway` (exec, read, write, edit, apply_patch, process, the
session tools) and the CLI (`pincer tools invoke`, `pincer sandbox exec`), with the probe
(tests/helpers/probe.c) copied into the workspace to try the syscalls from inside.

Each test records every attempt in the matrix (conftest.py) and fails at the end if any was
not blocked; docs/security.md explains the expectations and quotes the last table.
"""
import errno
import json
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

from conftest import ENV_SECRET, HOST_MARK, PINCER, TOKEN, Matrix, docker


def ename(n):
    return "ok (0)" if n == 0 else errno.errorcode.get(n, str(n))


def short(doc):
    """The error message or the result's first text, for the matrix."""
    err = doc.get("error")
    if isinstance(err, dict):
        return err.get("message", "")
    try:
        return doc["result"]["content"][0]["text"]
    except (KeyError, IndexError, TypeError):
        return json.dumps(doc)


def tool(sb, name, args, agent=None):
    """(status, whole response text) of one file tool call."""
    status, doc = sb.g.invoke(name, args, agent=agent)
    return status, json.dumps(doc)


def said(status, text):
    """"<status> <message>" of a response tool() returned, shortened for the table."""
    msg = short(json.loads(text))
    return f"{status} {msg.splitlines()[0] if msg else ''}"


# The file tools answer a refusal as a result text (OpenClaw's shape), not as an error.
REFUSALS = ("Sandbox path escapes", "Path escapes", "Refusing to", "Cannot ", "File too large",
            "Sandbox path is read-only", "File not found")


def refused(status, text):
    if status != 200 or '"ok": false' in text:
        return True
    return short(json.loads(text)).startswith(REFUSALS)


# ---- filesystem -------------------------------------------------------------------------------


def test_filesystem(sb):
    m = Matrix(sb.backend)
    ws, secret, tmp = sb.ws["main"], sb.secret, sb.dir
    original = secret.read_text()

    def read(attempt, path, expected="refused"):
        st, text = tool(sb, "read", {"path": path})
        m.check("filesystem", attempt, expected, said(st, text),
                HOST_MARK not in text and refused(st, text))

    def write(attempt, path, target, tool_name="write", args=None):
        args = args or {"path": path, "content": "pwned\n"}
        st, text = tool(sb, tool_name, args)
        changed = target.exists() and "pwned" in target.read_text()
        m.check("filesystem", attempt, "refused, host file untouched",
                said(st, text), refused(st, text) and not changed)

    read("read ../ traversal", "../host-secret.txt")
    read("read deep ../ traversal", "../" * 12 + str(secret).lstrip("/"))
    read("read absolute host path", str(secret))
    read("read absolute /etc/shadow", "/etc/shadow")
    read("read /proc/self/root (the gateway's root)", "/proc/self/root" + str(secret))
    read("read /proc/<gateway pid>/cwd", f"/proc/{sb.g.proc.pid}/cwd/CMakeLists.txt")
    read("read ~ (the gateway's HOME)", "~/.bashrc")
    write("write ../ traversal", "../host-pwned.txt", tmp / "host-pwned.txt")
    write("write absolute host path", str(secret), secret)
    write("edit absolute host path", None, secret, "edit",
          {"path": str(secret), "oldText": HOST_MARK, "newText": "pwned"})
    write("apply_patch Add File ../", None, tmp / "patch-pwned.txt", "apply_patch",
          {"input": "*** Begin Patch\n*** Add File: ../patch-pwned.txt\n+pwned\n*** End Patch\n"})
    write("apply_patch Update File absolute", None, secret, "apply_patch",
          {"input": f"*** Begin Patch\n*** Update File: {secret}\n@@\n-{HOST_MARK}\n+pwned\n"
                    "*** End Patch\n"})
    (ws / "mv.txt").write_text("x\n")
    write("apply_patch Move to ../", None, tmp / "moved-pwned.txt", "apply_patch",
          {"input": "*** Begin Patch\n*** Update File: mv.txt\n*** Move to: ../moved-pwned.txt\n"
                    "@@\n-x\n+pwned\n*** End Patch\n"})

    # A root-owned setuid file in the workspace: rewriting it must not give the model a
    # setuid-root program of its own on the host.
    target = ws / "suid-target"
    target.write_bytes(Path(sb.ws["main"] / "probe").read_bytes())
    os.chown(target, 0, 0)
    os.chmod(target, 0o6755)
    st, text = tool(sb, "write", {"path": "suid-target", "content": "#!/bin/sh\nid\n"})
    t = target.stat()
    rewritten = target.read_bytes().startswith(b"#!/bin/sh")
    m.check("filesystem", "write over a root-owned setuid+setgid file in the workspace",
            "refused, or no longer setuid root",
            f"{said(st, text)}; now uid {t.st_uid} mode {oct(t.st_mode & 0o7777)}",
            not (rewritten and t.st_uid == 0 and t.st_mode & 0o6000))
    st, text = tool(sb, "write", {"path": "new-file.txt", "content": "x\n"})
    t = (ws / "new-file.txt").stat()
    m.check("filesystem", "owner of a file the write tool creates", "the sandbox user (1000)",
            f"uid {t.st_uid} gid {t.st_gid} mode {oct(t.st_mode & 0o7777)}",
            t.st_uid == 1000 and not t.st_mode & 0o6000)

    # Symlinks planted in the workspace (by the sandbox, which shares it, or before).
    (ws / "link-abs").symlink_to(secret)
    (ws / "link-rel").symlink_to("../host-secret.txt")
    (ws / "parent").symlink_to(tmp)
    read("read absolute symlink", "link-abs")
    read("read relative symlink climbing out", "link-rel")
    read("read through symlinked parent", "parent/host-secret.txt")
    write("write through symlink", "link-rel", secret)
    write("write through symlinked parent", "parent/new-pwned.txt", tmp / "new-pwned.txt")
    write("edit through symlink", None, secret, "edit",
          {"path": "link-abs", "oldText": HOST_MARK, "newText": "pwned"})
    for attempt, path in (("apply_patch Delete File ../", "../host-secret.txt"),
                          ("apply_patch Delete File through symlinked parent",
                           "parent/host-secret.txt")):
        st, text = tool(sb, "apply_patch", {"input": f"*** Begin Patch\n*** Delete File: {path}\n"
                                                     "*** End Patch\n"})
        m.check("filesystem", attempt, "refused, host file still there", said(st, text),
                refused(st, text) and secret.exists())
    read("read file:// URL of a host path", "file://" + str(secret))
    read("read @-prefixed host path", "@" + str(secret))
    read("read a path with a NUL byte", "note.txt\u0000/../../host-secret.txt")
    # A symlink made inside the sandbox, to a path that only means something on the host.
    sb.exec(f"ln -sf {secret} /workspace/link-inside")
    read("read symlink made in the sandbox", "link-inside")

    # Hard links: one to a host file, planted in the workspace.
    os.link(secret, ws / "hard.txt")
    read("read hardlink to host file", "hard.txt")
    write("write hardlink to host file", "hard.txt", secret)
    # ... and from inside: the host file is not even visible.
    text, d = sb.exec(f"ln /etc/passwd /workspace/hard2 2>&1; ln {secret} /workspace/hard3 2>&1;"
                      " ls /workspace/hard2 /workspace/hard3 2>&1; true")
    m.check("filesystem", "hardlink from inside (ln /etc/passwd, host file)", "refused",
            text.strip(),
            not (ws / "hard3").exists() and
            (not (ws / "hard2").exists() or (ws / "hard2").stat().st_nlink == 1))

    # A symlink race: a file swapped for a link to the host secret while reads and writes run.
    race = ws / "race"
    race.write_text("inside\n")
    stop = threading.Event()

    def swap():
        tmp_link = ws / ".race-link"
        tmp_file = ws / ".race-file"
        while not stop.is_set():
            try:
                tmp_link.unlink(missing_ok=True)
                tmp_link.symlink_to("../host-secret.txt")
                os.rename(tmp_link, race)
                tmp_file.write_text("inside\n")
                os.rename(tmp_file, race)
            except OSError:
                pass
    t = threading.Thread(target=swap)
    t.start()
    leaked, outcomes = 0, {"inside": 0, "refused": 0}
    try:
        for i in range(150):
            st, text = tool(sb, "read" if i % 2 else "write",
                            {"path": "race"} if i % 2 else {"path": "race", "content": "pwned\n"})
            leaked += HOST_MARK in text
            outcomes["refused" if refused(st, text) else "inside"] += 1
    finally:
        stop.set()
        t.join()
    m.check("filesystem", "symlink race (150 reads/writes during swaps)", "never the host file",
            f"{outcomes}, host content leaked {leaked}x, host file "
            f"{'changed' if secret.read_text() != original else 'intact'}",
            leaked == 0 and secret.read_text() == original)

    # Files that would wedge or bloat the gateway, which reads them: a FIFO, a huge sparse file.
    sb.exec("mkfifo /workspace/fifo; truncate -s 64G /workspace/huge")
    for attempt, path in (("read a FIFO made in the sandbox", "fifo"),
                          ("read a 64 GiB sparse file", "huge")):
        t0 = time.monotonic()
        st, text = tool(sb, "read", {"path": path})
        took = time.monotonic() - t0
        m.check("filesystem", attempt, "refused at once", f"{said(st, text)} ({took:.1f} s)",
                refused(st, text) and took < 5)

    # The same race driven from inside the sandbox (a background exec swapping the name).
    st, doc = sb.g.invoke("exec", {"background": True, "command":
                                   "cd /workspace; while :; do ln -sfn ../host-secret.txt r.l; "
                                   "mv -fT r.l race2; echo inside > r.f; mv -fT r.f race2; done"})
    sid = ((doc.get("result") or {}).get("details") or {}).get("sessionId")
    leaked, outcomes = 0, {"inside": 0, "refused": 0}
    try:
        for i in range(100):
            st, text = tool(sb, "read" if i % 2 else "write",
                            {"path": "race2"} if i % 2 else {"path": "race2", "content": "pwned\n"})
            leaked += HOST_MARK in text
            outcomes["refused" if refused(st, text) else "inside"] += 1
    finally:
        if sid:
            sb.g.invoke("process", {"action": "remove", "sessionId": sid})
    m.check("filesystem", "symlink race from inside (a background exec swapping, 100 calls)",
            "never the host file", f"swapper {'running' if sid else 'NOT started'}; {outcomes}, "
            f"host content leaked {leaked}x, host file "
            f"{'changed' if secret.read_text() != original else 'intact'}",
            sid and leaked == 0 and secret.read_text() == original)

    # From inside, with exec: the host is not in the sandbox's view.
    text, _ = sb.exec(f"cat {secret} /proc/1/root{secret} /proc/self/root{secret} 2>&1; "
                      f"ls /proc/{sb.g.proc.pid}/cwd/ /proc/1/cwd/ 2>&1; true")
    m.check("filesystem", "exec: cat host path, /proc/1/root, /proc/<gateway pid>/cwd, /proc/1/cwd",
            "not visible", text.strip(), HOST_MARK not in text
            and "CMakeLists" not in text)
    text, _ = sb.exec("ls -l /var/run/docker.sock /run/docker.sock /run/containerd 2>&1; true")
    m.check("filesystem", "exec: the Docker socket", "absent", text.strip(),
            "No such file" in text and "srw" not in text)
    # workspaceAccess "ro": neither the file tools nor commands may change the agent workspace.
    ro = sb.ws["ro"]
    before = sorted(p.name for p in ro.iterdir())
    for path in ("/agent/ro-private.txt", "/agent/new.txt", "/workspace/new.txt"):
        st, text = tool(sb, "write", {"path": path, "content": "pwned\n"}, agent="ro")
        m.check("filesystem", f"write {path} with workspaceAccess ro", "refused (no write tool, or read-only)",
                said(st, text), refused(st, text))
    text, _ = sb.exec("touch /agent/x /workspace/x 2>&1; echo pwned >> /agent/ro-private.txt 2>&1;"
                      " true", agent="ro")
    m.check("filesystem", "exec: write /agent and /workspace with workspaceAccess ro", "EROFS",
            text.strip(), sorted(p.name for p in ro.iterdir()) == before
            and "pwned" not in (ro / "ro-private.txt").read_text())
    m.check("filesystem", "host secret after every attempt", "unchanged",
            "unchanged" if secret.read_text() == original else "CHANGED",
            secret.read_text() == original)
    leftovers = [p.name for p in tmp.iterdir() if "pwned" in p.name]
    m.check("filesystem", "files created outside the workspace", "none", leftovers or "none",
            not leftovers)
    m.finish()


# ---- syscalls and privilege ---------------------------------------------------------------------

SYSCALLS = {
    "mount": "mount(tmpfs)", "umount": "umount2(/proc)", "unshareUser": "unshare(NEWUSER)",
    "unshareMount": "unshare(NEWNS)", "unshareNet": "unshare(NEWNET)",
    "unsharePid": "unshare(NEWPID)", "cloneNewns": "clone(NEWNS|NEWUSER)",
    "setns": "setns(mnt)", "pivotRoot": "pivot_root", "chroot": "chroot",
    "ptracePid1": "ptrace(ATTACH, pid 1)", "kexec": "kexec_load", "initModule": "init_module",
    "finitModule": "finit_module", "bpf": "bpf", "keyctl": "keyctl",
    "perfEventOpen": "perf_event_open", "userfaultfd": "userfaultfd",
    "ioUringSetup": "io_uring_setup", "openByHandleAt": "open_by_handle_at",
}
# Syscalls a Docker sandbox may reach although the native one may not: none since Docker
# sandboxes get Pincer's built-in seccomp profile too (ptrace and io_uring are denied on both).
DOCKER_LIMITS: dict[str, str] = {}
NO_USERNS = {
    "native": "without native.userns a sandbox's root is host root in new namespaces, with no "
              "capabilities, no_new_privs and seccomp; set native.userns",
    "docker": "without the engine's userns-remap a container's root is host root, with no "
              "capabilities (capDrop ALL), no_new_privs and seccomp",
}
PRIVILEGE = {
    "mknod": "mknod char device", "mknodBlock": "mknod block device",
    "raiseRlimit": "raise RLIMIT_NOFILE hard limit", "procSysWrite": "write /proc/sys",
    "sysWrite": "write /sys", "sysrqTrigger": "open /proc/sysrq-trigger for writing",
    "sethostname": "sethostname", "readShadow": "read /etc/shadow", "kmsg": "read /dev/kmsg",
    "pid1Root": "read /proc/1/root", "setuidRoot": "setuid(0)",
}


def test_syscalls_and_privilege(sb):
    m = Matrix(sb.backend)
    for agent, who in (("main", "uid 1000"), ("root", "uid 0")):
        e = sb.probe("escapes", agent=agent)
        for key, what in SYSCALLS.items():
            m.check("syscalls", f"{what} as {who}", "fails", ename(e[key]), e[key] != 0,
                    known=DOCKER_LIMITS.get(key) if sb.backend == "docker" else None)
        for key, what in PRIVILEGE.items():
            if key == "setuidRoot" and agent == "root":
                continue  # already uid 0, without capabilities (checked below)
            if key == "readShadow" and agent == "root":
                continue  # the image's own /etc/shadow: root inside may read it
            if key == "pid1Root" and e[key] == 0 and e["pid1RootIsOwnRoot"]:
                m.check("privilege", f"{what} as {who}", "fails, or is the sandbox's own root",
                        "the sandbox's own root (pid 1 is inside the sandbox)", True)
                continue
            m.check("privilege", f"{what} as {who}", "fails", ename(e[key]), e[key] != 0)
        p = sb.probe(agent=agent)
        caps = {c: p[c] for c in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        m.check("privilege", f"capabilities as {who}", "none",
                " ".join(f"{k}={v}" for k, v in caps.items()),
                all(int(v, 16) == 0 for v in caps.values()))
        m.check("privilege", f"no_new_privs and seccomp as {who}",
                "NoNewPrivs 1, Seccomp 2 (filter)",
                f"NoNewPrivs {p['NoNewPrivs']}, Seccomp {p['Seccomp']}",
                p["NoNewPrivs"] == "1" and p["Seccomp"] == "2")
        m.check("privilege", f"write the root filesystem as {who}", "EROFS",
                ename(p["rootWriteErrno"]), p["rootWriteErrno"] != 0)
    text, _ = sb.exec("cat /proc/self/uid_map", agent="root")
    first = text.split()[:2]
    m.check("privilege", "uid 0 inside is host uid 0", "an unprivileged host uid (user namespace)",
            f"uid_map {' '.join(text.split()[:3])}", first[:2] != ["0", "0"],
            known=NO_USERNS.get(sb.backend))
    ids = sb.probe("ids", binary="probe-suid")
    m.check("privilege", "run a setuid-root binary", "euid stays 1000",
            f"uid {ids['uid']} euid {ids['euid']}", ids["euid"] != 0 and ids["uid"] != 0)
    m.finish()


# ---- resources ----------------------------------------------------------------------------------


def host_processes(pattern):
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if re.search(pattern, cmd):
                found.append(f"{d.name}: {cmd.strip()}")
    return found


def test_resources(sb):
    m = Matrix(sb.backend)
    g = sb.g
    text, d = sb.exec("/workspace/probe fork-bomb 400")
    try:
        started = json.loads(text.splitlines()[0])["started"]
    except (ValueError, IndexError, KeyError):
        started = None
    m.check("resources", "fork bomb (400 processes, pidsLimit 64)", "< 64 started",
            f"{started} started", started is not None and started < 64)
    t0 = time.monotonic()
    text, d = sb.exec("/workspace/probe alloc 1024")
    m.check("resources", "memory bomb (1 GiB, memory 128m)", "killed or refused",
            f"exit {d.get('exitCode')} {text.strip()[:80]}",
            '"failed":false' not in text and d.get("exitCode") != 0)
    text, d = sb.exec("head -c 64M /dev/zero > /tmp/fill; echo rc=$?; "
                      "stat -c %s /tmp/fill; df -k /tmp | tail -1")
    size = int(re.search(r"^(\d+)$", text, re.M).group(1)) if re.search(r"^\d+$", text, re.M) \
        else -1
    m.check("resources", "disk fill of tmpfs /tmp (size=16m) with 64 MiB", "ENOSPC at 16 MiB",
            f"{size >> 20 if size >= 0 else '?'} MiB written, {text.splitlines()[0]}",
            0 <= size <= 16 << 20)
    sb.exec("rm -f /tmp/fill")
    text, d = sb.exec("yes 0123456789abcdef | head -c 50000000")
    m.check("resources", "output flood (50 MB)", "capped at 200,000 characters",
            f"{len(text)} characters, truncated={d.get('truncated')}",
            len(text) <= 200_500 and d.get("truncated") is True)
    t0 = time.monotonic()
    status, doc = g.invoke("exec", {"command": "sleep 100037", "timeoutSeconds": 2})
    took = time.monotonic() - t0
    body = json.dumps(doc)
    deadline = time.monotonic() + 5
    while (left := host_processes(r"sleep 100037")) and time.monotonic() < deadline:
        time.sleep(0.1)
    m.check("resources", "sleep forever past timeoutSeconds 2", "killed at the timeout",
            f"{status} after {took:.1f} s, 'timed out' {'in' if 'timed out' in body else 'NOT in'}"
            f" result, {len(left)} left on the host",
            took < 15 and "timed out" in body and not left)
    m.check("resources", "gateway after the resource attempts", "alive, /health 200",
            f"alive={g.proc.poll() is None}, /health {g.request('GET', '/health', auth=False)[0]}",
            g.proc.poll() is None)
    m.finish()


# ---- network ------------------------------------------------------------------------------------


def host_ip():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
        except OSError:
            return None


def test_network_none(sb):
    m = Matrix(sb.backend)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        e = sb.probe("escapes", sb.g.port)
        m.check("network", "connect to the gateway's port on 127.0.0.1", "refused",
                ename(e["connectLoopback"]), e["connectLoopback"] != 0)
        r = sb.probe("connect", "127.0.0.1", port)["errno"]
        m.check("network", "connect to a host loopback service", "refused", ename(r), r != 0)
        ip = host_ip()
        if ip:
            r = sb.probe("connect", ip, port)["errno"]
            m.check("network", f"connect to the host's address ({ip})", "unreachable",
                    ename(r), r != 0)
        r = sb.probe("connect", "172.17.0.1", port)["errno"]
        m.check("network", "connect to docker0 (172.17.0.1)", "unreachable", ename(r), r != 0)
        r = sb.probe("connect", "1.1.1.1", 443)["errno"]
        m.check("network", "connect to the internet (1.1.1.1:443)", "unreachable", ename(r), r != 0)
        p = sb.probe()
        ifaces = [ln.split(":")[0].strip() for ln in p["netdev"].splitlines()[2:]]
        m.check("network", "interfaces besides lo", "only lo", " ".join(ifaces), ifaces == ["lo"])
        text, d = sb.exec("getent hosts example.com; echo rc=$?")
        m.check("network", "DNS lookup (getent hosts example.com)", "fails",
                text.strip().replace("\n", " "), "rc=0" not in text)
    finally:
        listener.close()
    m.finish()


# ---- isolation between agents -------------------------------------------------------------------


def test_isolation_between_agents(sb):
    m = Matrix(sb.backend)
    main_private = (sb.ws["main"] / "main-private.txt").read_text().strip()
    st, text = tool(sb, "read", {"path": "../ws-main/main-private.txt"}, agent="other")
    m.check("isolation", "read another agent's file by ../", "refused", said(st, text),
            main_private not in text and refused(st, text))
    st, text = tool(sb, "read", {"path": str(sb.ws["main"] / "main-private.txt")}, agent="other")
    m.check("isolation", "read another agent's file by host path", "refused",
            said(st, text), main_private not in text and refused(st, text))
    st, text = tool(sb, "write", {"path": str(sb.ws["main"] / "x.txt"), "content": "x"},
                    agent="other")
    m.check("isolation", "write into another agent's workspace", "refused", said(st, text),
            refused(st, text) and not (sb.ws["main"] / "x.txt").exists())
    text, _ = sb.exec(f"cat {sb.ws['main']}/main-private.txt /workspace/../ws-main/main-private.txt"
                      " 2>&1; true", agent="other")
    m.check("isolation", "exec: cat another agent's workspace", "not visible",
            text.strip(), main_private not in text)

    # A process left running in main's sandbox is invisible (and unkillable) from other's.
    sb.exec("setsid sleep 100042 >/dev/null 2>&1 < /dev/null & true")
    listing = "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done"
    seen_main, _ = sb.exec(listing)
    seen_other, _ = sb.exec(listing + "; kill -9 -1 2>&1; true", agent="other")
    m.check("isolation", "see another agent's processes", "not visible",
            f"main sees its sleep: {'sleep 100042' in seen_main}; other sees it: "
            f"{'sleep 100042' in seen_other}", "sleep 100042" not in seen_other)
    still, _ = sb.exec(listing)
    m.check("isolation", "kill -9 -1 from another agent", "main's process survives",
            "survived" if "sleep 100042" in still else "gone",
            "sleep 100042" in still or "sleep 100042" not in seen_main)
    # (only that one: Docker's pid 1 waits on a `sleep infinity` that must live on)
    sb.exec("n=1000$((40 + 2)); for p in /proc/[0-9]*; do grep -qs $n $p/cmdline && "
            "kill ${p#/proc/}; done; true")

    # Background processes (the process tool): other can neither list nor kill main's.
    st, doc = sb.g.invoke("exec", {"command": "sleep 100045", "background": True})
    sid = ((doc.get("result") or {}).get("details") or {}).get("sessionId")
    st_l, doc_l = sb.g.invoke("process", {"action": "list"}, agent="other")
    st_k, doc_k = sb.g.invoke("process", {"action": "kill", "sessionId": sid or "x"},
                              agent="other")
    st_p, doc_p = sb.g.invoke("process", {"action": "poll", "sessionId": sid or "x"})
    m.check("isolation", "process list/kill of another agent's background exec",
            "not listed, not found",
            f"started {sid}; other's list shows it: {bool(sid) and sid in json.dumps(doc_l)}; "
            f"kill: {short(doc_k)[:60]}; main's poll: {short(doc_p)}",
            bool(sid) and sid not in json.dumps(doc_l) and "No session found" in short(doc_k)
            and "still running" in short(doc_p))
    if sid:
        sb.g.invoke("process", {"action": "remove", "sessionId": sid})

    # The session tools: other cannot list or read main's session.
    st, doc = sb.g.invoke("sessions_list", {}, agent="other")
    keys = re.findall(r"agent:main:[\w-]+", json.dumps(doc))
    m.check("isolation", "sessions_list from another agent", "main's sessions absent",
            f"{st}, main keys seen: {keys or 'none'}", not keys)
    st, doc = sb.g.invoke("sessions_history", {"sessionKey": "agent:main:main"}, agent="other")
    body = json.dumps(doc)
    d = (doc.get("result") or {}).get("details") or {}
    m.check("isolation", "sessions_history of another agent's session", "forbidden",
            f"{st} {d.get('status')}: {d.get('error') or short(doc)}", "forbidden" in body or st in (403, 404) or '"ok": false' in body)
    m.finish()


# ---- secrets ------------------------------------------------------------------------------------


def test_secrets(sb):
    m = Matrix(sb.backend)
    g = sb.g
    text, _ = sb.exec('echo "[$GITHUB_TOKEN]"')
    m.check("secrets", "configured env secret (docker.env GITHUB_TOKEN) in the sandbox",
            "dropped", text.strip(), ENV_SECRET not in text)
    text, _ = sb.exec('echo "[$API_TOKEN]"', env={"API_TOKEN": "call-" + ENV_SECRET})
    m.check("secrets", "exec env API_TOKEN passed by the call", "dropped", text.strip(),
            ENV_SECRET not in text)

    for agent in ("main", "root"):
        text, _ = sb.exec("tr '\\0' ' ' < /proc/1/environ 2>&1; echo", agent=agent)
        m.check("secrets", f"read pid 1's environment from inside ({agent})",
                "refused, or no secret in it", text.strip()[:80],
                TOKEN not in text and ENV_SECRET not in text)

    # ps while a command runs: no secret in any host process's arguments.
    result = {}
    t = threading.Thread(target=lambda: result.update(r=sb.exec("sleep 2; echo done")))
    t.start()
    time.sleep(1)
    hits = host_processes(re.escape(TOKEN)) + host_processes(re.escape(ENV_SECRET))
    t.join()
    m.check("secrets", "token or env secret in `ps` (host argv) during an exec", "absent",
            hits or "absent", not hits)
    if sb.backend == "docker":
        names = docker("ps", "--filter", f"name=^{sb.prefix}", "--format", "{{.Names}}").stdout
        inspect = docker("inspect", *names.split()).stdout if names.strip() else ""
        m.check("secrets", "env secret in the container's config (docker inspect)", "absent",
                "present" if ENV_SECRET in inspect else "absent", ENV_SECRET not in inspect)
    else:
        env_hits = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit() and d.name != str(g.proc.pid):
                try:
                    environ = (d / "environ").read_bytes()
                    if ENV_SECRET.encode() in environ or TOKEN.encode() in environ:
                        env_hits.append(f"{d.name} ({(d / 'comm').read_text().strip()})")
                except OSError:
                    pass
        m.check("secrets", "token or env secret in the environment of another host process "
                "(the sandboxes' pid 1 is forked from the gateway)", "absent",
                env_hits or "absent", not env_hits)

    # Errors: a wrong token is not echoed; a failed call does not quote the secrets.
    st, data, _ = g.request("POST", "/tools/invoke", {"tool": "exec", "args": {}},
                            token=TOKEN + "x")
    m.check("secrets", "401 body echoes the presented token", "no",
            f"{st} {data[:80]!r}", TOKEN.encode() not in data)
    st, doc = g.invoke("exec", {"command": "true", "env": "not-an-object"})
    st2, doc2 = g.invoke("nope", {})
    errs = json.dumps([doc, doc2])
    m.check("secrets", "token or env secret in error responses", "absent", "absent"
            if TOKEN not in errs and ENV_SECRET not in errs else "PRESENT",
            TOKEN not in errs and ENV_SECRET not in errs)
    log = g.stderr()
    audit = ""
    for f in (sb.state / "audit").glob("*"):
        audit += f.read_text(errors="replace")
    for name, text in (("gateway log", log), ("audit log", audit)):
        found = [s for s, v in (("token", TOKEN), ("env secret", ENV_SECRET)) if v in text]
        m.check("secrets", f"token or env secret in the {name}", "absent",
                found or f"absent ({len(text)} bytes checked)", not found)
    m.finish()


# ---- the CLI ------------------------------------------------------------------------------------


def test_cli(sb):
    """The same sandbox through `pincer tools invoke` and `pincer sandbox exec`."""
    m = Matrix(sb.backend)
    e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    e.update(PINCER_STATE_DIR=str(sb.state), SEC_ENV_SECRET=ENV_SECRET)

    def cli(*args):
        p = subprocess.run([PINCER, args[0], args[1], "--config", str(sb.config), *args[2:]],
                           capture_output=True, text=True, env=e, timeout=120)
        assert "Sanitizer" not in p.stderr, p.stderr
        return p
    p = cli("tools", "invoke", "--json", "exec",
            json.dumps({"command": "/workspace/probe escapes"}))
    doc = json.loads(p.stdout)
    esc = json.loads(doc["result"]["content"][0]["text"].splitlines()[0])
    p = cli("sandbox", "exec", "--json", "--", "/workspace/probe", "escapes")
    esc2 = json.loads(json.loads(p.stdout)["stdout"])
    for key in ("mount", "unshareUser", "setns", "bpf", "kexec", "initModule", "mknod",
                "procSysWrite", "raiseRlimit"):
        for how, r in (("tools invoke", esc), ("sandbox exec", esc2)):
            m.check("syscalls" if key in SYSCALLS else "privilege",
                    f"{SYSCALLS.get(key) or PRIVILEGE[key]} via `pincer {how}`", "fails",
                    ename(r[key]), r[key] != 0)
    p = cli("tools", "invoke", "--json", "read", json.dumps({"path": "../host-secret.txt"}))
    m.check("filesystem", "read ../ traversal via `pincer tools invoke`", "refused",
            f"exit {p.returncode} {short(json.loads(p.stdout))}",
            HOST_MARK not in p.stdout and p.returncode != 0)
    p = cli("sandbox", "exec", "--json", "--", "sh", "-c", 'echo "[$GITHUB_TOKEN]"')
    both = p.stdout + p.stderr
    m.check("secrets", "env secret via `pincer sandbox exec` (output and errors)", "absent",
            json.loads(p.stdout)["stdout"].strip(), ENV_SECRET not in both)
    m.finish()
