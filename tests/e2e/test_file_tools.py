"""The tools through the one choke point on both real backends (native and Docker), driven
through `pincer tools invoke` and POST /tools/invoke of a real gateway: results, errors and
limits of gateway spec §3.1, §3.3, §3.4 and sandbox spec §2.11, file semantics (atomic writes,
mode and owner), escapes that must fail, an interrupted write, and the audit log.

Needs Docker (as test_sandbox_docker.py) and root with a native image store (as
test_sandbox_native.py); without them the tests skip and say why, unless PINCER_REQUIRE_DOCKER=1
or PINCER_REQUIRE_NATIVE=1, in which case they fail.
"""
import json
import os
import random
import re
import signal
import stat
import subprocess
import threading
import time

import pytest

from conftest import PINCER
from test_gateway import Gateway
from test_sandbox_docker import Env as DockerEnv, engine_problem
from test_sandbox_native import Env as NativeEnv, IMAGE, image_store  # noqa: F401 (fixture)

SECRET = "e2e-secret-ghp-0123456789abcdef"
UID, GID = 1000, 1000


# ---- environment --------------------------------------------------------------------------------


@pytest.fixture(params=["native", "docker"])
def sb(request, tmp_path, run, state_dir):
    """A throwaway workspace and config for one backend; a host dir `outside` (beside the
    workspace, on the same filesystem) holds a canary file no tool may read or change."""
    if request.param == "docker":
        problem = engine_problem()
        if problem:
            if os.environ.get("PINCER_REQUIRE_DOCKER") == "1" or os.environ.get("CI"):
                pytest.fail(f"Docker is required here but {problem}")
            pytest.skip(f"Docker tests skipped: {problem}")
        e = DockerEnv(tmp_path, run)
    else:
        e = NativeEnv(tmp_path, run, state_dir, request.getfixturevalue("image_store"))
    e.backend = request.param
    e.outside = tmp_path / "outside"
    e.outside.mkdir()
    e.canary = e.outside / "canary.txt"
    e.canary.write_text("CANARY\n")
    (e.ws / "data").mkdir()
    (e.ws / "data" / "ro.txt").write_text("read only\n")
    write_config(e)
    yield e
    e.cleanup()


def write_config(e, sandbox_extra="", gateway_extra="", access="rw", user=f"{UID}:{GID}",
                 binds=None, docker_extra=""):
    binds = binds or [f"{e.ws}/data:/data:ro"]
    e.config.write_text(f"""{{
  gateway: {{ {gateway_extra} }},
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "{e.backend}", scope: "agent", workspaceAccess: "{access}",
        docker: {{ image: "{IMAGE}", containerPrefix: "{e.prefix}", user: "{user}",
                   binds: {json.dumps(binds)}, {docker_extra} }},
        {sandbox_extra}
      }},
    }},
    list: [
      {{ id: "main", workspace: "{e.ws}" }},
      {{ id: "family", workspace: "{e.dir}/ws-family",
         tools: {{ allow: ["read"], deny: ["exec", "write", "edit", "apply_patch"] }} }},
    ],
  }},
}}""")


class Caller:
    """call(tool, args) -> (status, doc): the CLI (`pincer tools invoke --json`, status 200 for
    exit 0 or an is_error result) or the gateway (POST /tools/invoke)."""

    def __init__(self, e, via, env=None):
        self.e, self.via, self.gateway = e, via, None
        if via == "http":
            # exec and apply_patch are on the HTTP deny list unless gateway.tools allows them
            write_config(e, gateway_extra='tools: { allow: ["exec", "apply_patch"] }')
            self.gateway = Gateway(e.dir, e.config, env)

    def __call__(self, tool, args=None, agent=None):
        if self.gateway:
            return self.gateway.invoke(tool, args or {}, agent=agent)
        cmd = ["tools", "invoke", "--json"] + (["--agent", agent] if agent else []) + [tool]
        cmd.append(json.dumps(args or {}))
        r = self.e.pincer(*cmd)
        assert r.code in (0, 1), r
        doc = r.json()
        ok = doc.get("ok") is True
        assert r.code == 1 or ok, r
        return (200 if ok else {"tool_call_blocked": 403, "not_found": 404}.get(
            doc.get("error", {}).get("type"), 400)), doc

    def stop(self):
        if self.gateway:
            self.gateway.stop()


@pytest.fixture(params=["cli", "http"])
def call(request, sb):
    c = Caller(sb, request.param)
    yield c
    if c.gateway:
        print(f"--- gateway stderr\n{c.gateway.stderr()}")
    c.stop()


def text(doc):
    assert doc.get("ok") is True, doc
    return doc["result"]["content"][0]["text"]


def ok_text(call, tool, args):
    status, doc = call(tool, args)
    assert status == 200, doc
    return text(doc)


def sh(call, command):
    """Runs command in the sandbox (exec), asserts exit 0, returns the output."""
    status, doc = call("exec", {"command": command})
    assert status == 200 and doc["result"]["details"]["exitCode"] == 0, doc
    return doc["result"]["details"]["aggregated"]


def sh_fail(call, command):
    """Runs command in the sandbox, asserts it fails, returns the output."""
    status, doc = call("exec", {"command": command})
    assert status == 200 and doc["result"]["details"]["exitCode"] != 0, doc
    return doc["result"]["details"]["aggregated"]


def assert_canary(e):
    assert e.canary.read_text() == "CANARY\n"
    assert sorted(p.name for p in e.outside.iterdir()) == ["canary.txt"]


# ---- every tool, end to end --------------------------------------------------------------------


def test_exec(call):
    assert ok_text(call, "exec", {"command": "echo out; echo err >&2; exit 3"}) == \
        "out\nerr\n\n\n(Command exited with code 3)"
    status, doc = call("exec", {"command": "true"})
    assert text(doc) == "(no output)" and doc["result"]["details"]["status"] == "completed"
    d = call("exec", {"command": "pwd; id -u", "workdir": "/workspace/data"})[1]["result"]["details"]
    assert d["aggregated"] == f"/workspace/data\n{UID}\n" and d["cwd"] == "/workspace/data"
    status, doc = call("exec", {"command": "sleep 20", "timeoutSeconds": 1})
    assert "Command timed out after 1 seconds" in text(doc)


def test_read_offset_limit_and_truncation(call, sb):
    (sb.ws / "five.txt").write_text("".join(f"line {i}\n" for i in range(1, 6)))
    assert ok_text(call, "read", {"path": "five.txt"}) == \
        "line 1\nline 2\nline 3\nline 4\nline 5\n"
    assert ok_text(call, "read", {"path": "/workspace/five.txt", "offset": 2, "limit": 2}) == \
        "line 2\nline 3\n\n[3 more lines in file. Use offset=4 to continue.]"
    assert ok_text(call, "read", {"file_path": "five.txt", "offset": 5}) == "line 5\n"
    assert ok_text(call, "read", {"path": "five.txt", "offset": 9}) == \
        "Offset 9 is beyond end of file (6 lines total)"
    assert ok_text(call, "read", {"path": "missing.txt"}) == "File not found: missing.txt"

    # 2000 lines, then the notice (spec: 2000 lines or 50 KB, whichever comes first)
    (sb.ws / "long.txt").write_text("".join(f"{i}\n" for i in range(1, 2501)))
    status, doc = call("read", {"path": "long.txt"})
    t = text(doc)
    assert t.endswith("2000\n\n[Showing lines 1-2000 of 2501. Use offset=2001 to continue.]"), t[-200:]
    assert doc["result"]["details"]["truncation"]["truncatedBy"] == "lines"
    assert ok_text(call, "read", {"path": "long.txt", "offset": 2001}).startswith("2001\n")

    # 100 lines of 1000 bytes: cut at 50 KB (51 whole lines = 51000 bytes)
    (sb.ws / "wide.txt").write_text("".join("x" * 999 + "\n" for _ in range(100)))
    status, doc = call("read", {"path": "wide.txt"})
    t = text(doc)
    assert t.endswith("\n\n[Showing lines 1-51 of 101 (50.0KB limit). Use offset=52 to continue.]")
    assert len(t.split("\n\n[")[0].encode()) <= 50 * 1024
    assert doc["result"]["details"]["truncation"]["truncatedBy"] == "bytes"

    # a first line above 50 KB: the notice says how to read it with exec
    (sb.ws / "one.txt").write_text("y" * 60000 + "\nshort\n")
    assert ok_text(call, "read", {"path": "one.txt"}) == \
        "[Line 1 is 58.6KB, exceeds 50.0KB limit. Use bash: sed -n '1p' one.txt | head -c 51200]"
    assert ok_text(call, "read", {"path": "one.txt", "offset": 2}) == "short\n"

    # a file above the 16 MiB read cap is refused, not loaded
    with open(sb.ws / "huge.bin", "wb") as f:
        f.truncate(16 * 1024 * 1024 + 1)
    assert ok_text(call, "read", {"path": "huge.bin"}).startswith(
        "File too large: huge.bin is 16777217 bytes; the limit is 16777216 bytes")


def test_write_edit_owner_and_mode(call, sb):
    assert ok_text(call, "write", {"path": "new/dir/a.txt", "content": "héllo\nworld\n"}) == \
        "Successfully wrote 12 bytes to new/dir/a.txt"
    a = sb.ws / "new" / "dir" / "a.txt"
    assert a.read_text() == "héllo\nworld\n"
    # new files and directories belong to the sandbox's user, who can read and change them
    for p in (sb.ws / "new", sb.ws / "new" / "dir", a):
        st = p.stat()
        assert (st.st_uid, st.st_gid) == (UID, GID), p
    assert sh(call, "cat new/dir/a.txt && echo more >> new/dir/a.txt && cat new/dir/a.txt") == \
        "héllo\nworld\nhéllo\nworld\nmore\n"
    assert sh(call, "touch new/dir/b && rm new/dir/b && echo ok") == "ok\n"

    # an existing file keeps its mode and owner (less set-user-ID and set-group-ID)
    sh(call, "chmod 0751 new/dir/a.txt")
    os.chown(a, UID, 1234)
    os.chmod(a, 0o6751)
    ok_text(call, "write", {"file_path": "new/dir/a.txt", "content": "one\ntwo\nthree four\n"})
    st = a.stat()
    assert stat.S_IMODE(st.st_mode) == 0o751 and (st.st_uid, st.st_gid) == (UID, 1234)
    os.chown(a, UID, GID)

    status, doc = call("edit", {"path": "new/dir/a.txt", "oldText": "two\n", "newText": "2\n"})
    assert text(doc) == "Successfully replaced text in new/dir/a.txt."
    assert doc["result"]["details"]["firstChangedLine"] == 2
    assert "-2 two" in doc["result"]["details"]["diff"] and "+2 2" in doc["result"]["details"]["diff"]
    assert a.read_text() == "one\n2\nthree four\n"
    assert stat.S_IMODE(a.stat().st_mode) == 0o751
    assert ok_text(call, "edit", {"file_path": "/workspace/new/dir/a.txt",
                                  "old_string": "three four", "new_string": "three"}) == \
        "Successfully replaced text in /workspace/new/dir/a.txt."
    assert a.read_text() == "one\n2\nthree\n"
    assert ok_text(call, "edit", {"path": "new/dir/a.txt", "oldText": "four", "newText": "x"}) == \
        "Could not find the exact text in new/dir/a.txt. The old text must match exactly " \
        "including all whitespace and newlines."
    (sb.ws / "dup.txt").write_text("same\nsame\n")
    assert ok_text(call, "edit", {"path": "dup.txt", "oldText": "same", "newText": "x"}) == \
        "Found 2 occurrences of the text in dup.txt. The text must be unique. Please provide " \
        "more context to make it unique."
    assert ok_text(call, "edit", {"path": "nope.txt", "oldText": "a", "newText": "b"}) == \
        "File not found: nope.txt"
    assert (sb.ws / "dup.txt").read_text() == "same\nsame\n"
    status, doc = call("edit", {"path": "dup.txt"})
    assert status == 400 and doc["error"]["type"] == "tool_error", doc

    # writes to a read-only bind, and paths outside every mount, are refused with the spec's
    # message (and a hint to use exec for paths that only exist inside the sandbox)
    assert ok_text(call, "write", {"path": "/data/ro.txt", "content": "x"}) == \
        "Sandbox path is read-only; cannot write: /data/ro.txt"
    assert ok_text(call, "edit", {"path": "/data/ro.txt", "oldText": "read", "newText": "x"}) == \
        "Sandbox path is read-only; cannot edit: /data/ro.txt"
    assert ok_text(call, "read", {"path": "/data/ro.txt"}) == "read only\n"
    assert (sb.ws / "data" / "ro.txt").read_text() == "read only\n"
    t = ok_text(call, "read", {"path": "/etc/hostname"})
    assert t.startswith("Sandbox path escapes allowed mounts; cannot read: /etc/hostname"), t
    assert "exec" in t, t
    leftovers = [p for p in sb.ws.rglob("*") if ".pincer-tmp" in p.name]
    assert leftovers == []


@pytest.mark.parametrize("user", ["sandbox", "sandbox:sandbox", f"{UID}"])
def test_named_user_owns_new_files(sb, user):
    """docker.user may name a user of the image: its ids come from the image, not the host."""
    write_config(sb, user=user)
    call = Caller(sb, "cli")
    ok_text(call, "write", {"path": "n/new.txt", "content": "x\n"})
    for p in (sb.ws / "n", sb.ws / "n" / "new.txt"):
        assert (p.stat().st_uid, p.stat().st_gid) == (UID, GID), p
    assert sh(call, "echo y >> n/new.txt && cat n/new.txt") == "x\ny\n"


def test_apply_patch(call, sb):
    (sb.ws / "src").mkdir()
    os.chown(sb.ws / "src", UID, GID)
    (sb.ws / "src" / "m.py").write_text("a = 1\nb = 2\nc = 3\n\ndef f():\n    return a\n")
    os.chmod(sb.ws / "src" / "m.py", 0o640)
    os.chown(sb.ws / "src" / "m.py", UID, GID)
    (sb.ws / "old.txt").write_text("bye\n")
    (sb.ws / "mv.txt").write_text("x\ny\n")
    patch = """*** Begin Patch
*** Add File: src/new.txt
+hello
+world
*** Update File: src/m.py
@@
 a = 1
-b = 2
+b = 20
 c = 3
@@ def f():
-    return a
+    return a + b
*** Delete File: old.txt
*** Update File: mv.txt
*** Move to: moved/there.txt
@@
 x
-y
+z
*** End Patch"""
    status, doc = call("apply_patch", {"input": patch})
    assert text(doc) == "Success. Updated the following files:\nA src/new.txt\nM src/m.py\n" \
        "D old.txt\nM moved/there.txt", doc
    assert doc["result"]["details"]["summary"] == {
        "added": ["src/new.txt"], "modified": ["src/m.py", "moved/there.txt"],
        "deleted": ["old.txt"]}
    assert (sb.ws / "src" / "new.txt").read_text() == "hello\nworld\n"
    assert (sb.ws / "src" / "m.py").read_text() == \
        "a = 1\nb = 20\nc = 3\n\ndef f():\n    return a + b\n"
    assert stat.S_IMODE((sb.ws / "src" / "m.py").stat().st_mode) == 0o640
    assert not (sb.ws / "old.txt").exists() and not (sb.ws / "mv.txt").exists()
    assert (sb.ws / "moved" / "there.txt").read_text() == "x\nz\n"
    st = (sb.ws / "src" / "new.txt").stat()
    assert (st.st_uid, st.st_gid) == (UID, GID)

    assert ok_text(call, "apply_patch", {"input": "hello"}) == \
        "The first line of the patch must be '*** Begin Patch'"
    assert ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** End Patch"}) == \
        "No files were modified."
    t = ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** Frobnicate: x\n*** End Patch"})
    assert t.startswith("Invalid patch hunk at line 2:"), t
    t = ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** Update File: src/new.txt\n"
                                               "@@\n-absent\n+x\n*** End Patch"})
    assert t.startswith("Failed to find expected lines in src/new.txt"), t
    # a read-only target refuses the whole patch
    t = ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** Add File: ok.txt\n+x\n"
                                               "*** Add File: /data/n.txt\n+x\n*** End Patch"})
    assert t == "Sandbox path is read-only; cannot apply patch: /data/n.txt"
    assert not (sb.ws / "ok.txt").exists()
    # so does a file to update that does not exist (checked before the first write)
    t = ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** Add File: ok.txt\n+x\n"
                                               "*** Update File: missing.txt\n@@\n-a\n+b\n"
                                               "*** End Patch"})
    assert t == "File not found: missing.txt"
    assert not (sb.ws / "ok.txt").exists()
    # a file added earlier in the same patch may be updated by a later hunk
    t = ok_text(call, "apply_patch", {"input": "*** Begin Patch\n*** Add File: two.txt\n+a\n"
                                               "*** Update File: two.txt\n@@\n-a\n+b\n"
                                               "*** End Patch"})
    assert t == "Success. Updated the following files:\nA two.txt\nM two.txt", t
    assert (sb.ws / "two.txt").read_text() == "b\n"


def test_workspace_access_ro(sb):
    """workspaceAccess "ro": write, edit and apply_patch do not exist (spec §1.5: "not
    created"); read still works and nothing changes."""
    write_config(sb, access="ro")
    (sb.ws / "f.txt").write_text("keep\n")
    call = Caller(sb, "cli")
    for tool, args in [("write", {"path": "f.txt", "content": "x"}),
                       ("edit", {"path": "f.txt", "oldText": "keep", "newText": "x"}),
                       ("apply_patch", {"input": "*** Begin Patch\n*** Delete File: f.txt\n"
                                                 "*** End Patch"})]:
        status, doc = call(tool, args)
        assert status == 404 and doc["error"]["message"] == f"Tool not available: {tool}", doc
    # the agent workspace is mounted read-only at /agent (/workspace is the sandbox's own)
    assert text(call("read", {"path": "/agent/f.txt"})[1]) == "keep\n"
    status, doc = call("exec", {"command": "echo x > /agent/f.txt"})
    assert doc["result"]["details"]["exitCode"] != 0, doc
    assert (sb.ws / "f.txt").read_text() == "keep\n"


@pytest.mark.parametrize("user", [f"{UID}:{GID}", "sandbox"])
def test_workspace_access_none_is_the_sandboxs_own(sb, user):
    """workspaceAccess "none": /workspace is the scope's private workspace, read-write for the
    sandbox's user and the file tools alike (docs/sandbox.md); the agent workspace is unseen.
    The user may be a name of the image: exec alone (before any file tool) can write too."""
    write_config(sb, access="none", user=user)
    call = Caller(sb, "cli")
    assert sh(call, "touch first && echo ok") == "ok\n"
    assert ok_text(call, "write", {"path": "n/new.txt", "content": "x\n"}) == \
        "Successfully wrote 2 bytes to n/new.txt"
    assert sh(call, "echo y >> n/new.txt && touch top && cat n/new.txt") == "x\ny\n"
    private = list((sb.dir / "state" / "sandboxes").iterdir())
    assert len(private) == 1, private
    for p in (private[0], private[0] / "first", private[0] / "n" / "new.txt", private[0] / "top"):
        assert p.stat().st_uid == UID, p
    assert not (sb.ws / "n").exists()


# ---- escapes ------------------------------------------------------------------------------------


def test_escapes_fail(call, sb):
    out = sb.outside
    sh(call, f"ln -s /etc etc-link && ln -s {sb.canary} abs-link && "
             f"ln -s ../outside/canary.txt rel-link && ln -s {out} dir-link && "
             f"ln -s ../outside rel-dir-link && ln -s /etc/passwd passwd-link && mkdir -p sub")
    escaping = ["../outside/canary.txt", str(sb.canary), "/workspace/../outside/canary.txt",
                "sub/../../outside/canary.txt", "abs-link", "rel-link", "dir-link/canary.txt",
                "rel-dir-link/canary.txt", "etc-link/passwd", "passwd-link", "/etc/passwd",
                "~/.bashrc", "file:///etc/passwd", "@../outside/canary.txt"]
    for path in escaping:
        t = ok_text(call, "read", {"path": path})
        assert "CANARY" not in t and "root:" not in t, (path, t)
        assert t.startswith(("Sandbox path escapes allowed mounts; cannot read: ",
                             "Path escapes the allowed mounts through a symlink or '..'; "
                             "cannot read: ")), (path, t)
        t = ok_text(call, "write", {"path": path, "content": "PWNED"})
        assert t.startswith(("Sandbox path escapes allowed mounts; cannot write: ",
                             "Path escapes the allowed mounts through a symlink or '..'; "
                             "cannot write: ")), (path, t)
        t = ok_text(call, "edit", {"path": path, "oldText": "CANARY", "newText": "PWNED"})
        assert "escapes" in t, (path, t)
    for path in ["dir-link/new.txt", "rel-dir-link/sub/new.txt", "../outside/new.txt",
                 f"{out}/new.txt", "etc-link/pincer-new"]:
        t = ok_text(call, "write", {"path": path, "content": "PWNED"})
        assert "escapes" in t, (path, t)
    assert_canary(sb)
    assert not os.path.exists("/etc/pincer-new")
    assert os.readlink(sb.ws / "abs-link") == str(sb.canary)  # links are left alone

    # a hard link to a file outside (made on the host: the sandbox cannot see one) is refused
    os.link(sb.canary, sb.ws / "hard.txt")
    for tool, args in [("read", {"path": "hard.txt"}),
                       ("write", {"path": "hard.txt", "content": "PWNED"}),
                       ("edit", {"path": "hard.txt", "oldText": "CANARY", "newText": "PWNED"})]:
        t = ok_text(call, tool, args)
        assert "has 2 hard links" in t and "CANARY" not in t, (tool, t)
    # inside the sandbox only files of the sandbox's own mounts can be linked; a link across
    # mounts (the image's /etc/passwd) fails in the kernel
    r = sh(call, "ln /etc/passwd hl 2>/dev/null && echo linked || echo refused")
    if r == "linked\n":
        assert "hard links" in ok_text(call, "read", {"path": "hl"})
    assert_canary(sb)

    # the tools have the sandbox user's rights, not the gateway's: a root-only file and a
    # root-owned directory are as closed to them as to the sandbox's processes
    (sb.ws / "rootonly.txt").write_text("ROOT ONLY\n")
    os.chmod(sb.ws / "rootonly.txt", 0o600)
    (sb.ws / "rootdir").mkdir()
    assert "Permission denied" in sh_fail(call, "cat rootonly.txt")
    assert ok_text(call, "read", {"path": "rootonly.txt"}) == \
        "Permission denied; cannot read: rootonly.txt"
    assert ok_text(call, "edit", {"path": "rootonly.txt", "oldText": "ROOT", "newText": "x"}) == \
        "Permission denied; cannot edit: rootonly.txt"
    assert "Permission denied" in sh_fail(call, "touch rootdir/x")
    assert ok_text(call, "write", {"path": "rootdir/x", "content": "x"}) == \
        "Permission denied; cannot write: rootdir/x"
    assert (sb.ws / "rootonly.txt").read_text() == "ROOT ONLY\n"
    assert list((sb.ws / "rootdir").iterdir()) == []

    # apply_patch: every target that leaves the workspace is refused and nothing is written
    for patch in [
        "*** Add File: ../outside/p.txt\n+PWNED",
        f"*** Add File: {out}/p.txt\n+PWNED",
        "*** Add File: dir-link/p.txt\n+PWNED",
        "*** Update File: ../outside/canary.txt\n@@\n-CANARY\n+PWNED",
        "*** Update File: abs-link\n@@\n-CANARY\n+PWNED",
        "*** Delete File: ../outside/canary.txt",
        "*** Add File: inside.txt\n+x\n*** Update File: inside.txt\n*** Move to: ../outside/m.txt\n@@\n-x\n+y",
        "*** Add File: inside2.txt\n+x\n*** Update File: inside2.txt\n*** Move to: dir-link/m.txt\n@@\n-x\n+y",
        "*** Add File: first.txt\n+x\n*** Add File: etc-link/p.txt\n+PWNED",
        "*** Add File: first.txt\n+x\n*** Update File: passwd-link\n@@\n-root\n+PWNED",
        "*** Add File: first.txt\n+x\n*** Delete File: dir-link/canary.txt",
    ]:
        t = ok_text(call, "apply_patch", {"input": f"*** Begin Patch\n{patch}\n*** End Patch"})
        assert "escapes" in t, (patch, t)
    # checked before the first write: nothing of an escaping patch is applied
    for name in ("inside.txt", "inside2.txt", "first.txt"):
        assert not (sb.ws / name).exists(), name
    assert_canary(sb)

    # exec's workdir never leaves the workspace: the warning and /workspace instead
    for wd in ["/etc", "..", "/workspace/../etc", "etc-link", "dir-link", str(out)]:
        status, doc = call("exec", {"command": "pwd", "workdir": wd})
        t = text(doc)
        assert t == f'Warning: workdir "{wd}" is unavailable; using "/workspace".\n/workspace\n', \
            (wd, t)
    assert_canary(sb)


def test_nested_read_only_mount_is_not_reached_through_a_symlink(sb):
    """A read-only bind inside the workspace (allowed only with the dangerous override) cannot
    be written through a symlink beside it: the sandbox cannot, so the file tools do not."""
    write_config(sb, binds=[f"{sb.ws}/data:/workspace/data:ro"],
                 docker_extra="dangerouslyAllowReservedContainerTargets: true")
    call = Caller(sb, "cli")
    out = sh(call, "ln -s data dl && ln -s data/ro.txt fl && "
                   "(echo x > data/ro.txt) 2>/dev/null || echo refused")
    assert out == "refused\n"
    for path in ("dl/ro.txt", "fl", "dl/new/x.txt"):
        t = ok_text(call, "write", {"path": path, "content": "PWNED"})
        assert t.startswith("Path leads into the mount at /workspace/data through a symlink; "
                            f"cannot write: {path}."), t
    assert ok_text(call, "write", {"path": "data/ro.txt", "content": "x"}) == \
        "Sandbox path is read-only; cannot write: data/ro.txt"
    assert ok_text(call, "read", {"path": "data/ro.txt"}) == "read only\n"
    assert sorted(p.name for p in (sb.ws / "data").iterdir()) == ["ro.txt"]
    assert (sb.ws / "data" / "ro.txt").read_text() == "read only\n"


def test_swap_race_never_escapes(sb):
    """A sandbox process swaps a name between a file and symlinks to the outside (absolute and
    relative, also the parent directory) while read and write run against it many times."""
    call = Caller(sb, "http")
    try:
        (sb.ws / "d").mkdir()
        os.chown(sb.ws / "d", UID, GID)
        sh(call, "echo safe > race && echo safe > d/f")
        loop = (f"end=$(($(date +%s)+8)); while [ $(date +%s) -lt $end ]; do "
                f"for i in 1 2 3 4 5 6 7 8 9 10; do "
                f"echo safe > .t && mv -f .t race; ln -sfn {sb.canary} .l && mv -Tf .l race; "
                f"echo safe > .t && mv -f .t race; ln -sfn ../outside/canary.txt .l && mv -Tf .l race; "
                f"rm -rf .d d.old; mkdir .d; echo safe > .d/f; mv d d.old; mv .d d; rm -rf d.old; "
                f"ln -sfn ../outside .dl; mv d d.old; mv .dl d; rm -rf d.old; "
                f"done; done; echo loop-done")
        # the loop runs through the CLI: the gateway runs one tool call at a time
        done = {}
        t = threading.Thread(target=lambda: done.update(r=Caller(sb, "cli")(
            "exec", {"command": loop, "timeoutSeconds": 60})))
        t.start()
        seen = {"safe": 0, "refused": 0, "missing": 0}
        deadline = time.time() + 7
        n = 0
        while time.time() < deadline:
            n += 1
            for path in ("race", "d/f", "d/canary.txt"):
                status, doc = call("read", {"path": path})
                r = text(doc)
                assert "CANARY" not in r, r
                seen["safe" if r == "safe\n" else "refused" if "escapes" in r or "symlink" in r
                     else "missing"] += 1
                status, doc = call("write", {"path": path, "content": "written\n"})
                assert status == 200, doc
        t.join(timeout=60)
        assert "loop-done" in text(done["r"][1]), done
        assert n > 20, n
        print("race:", n, "rounds", seen)
        assert seen["safe"] > 0 and seen["refused"] > 0, seen  # the loop and the tools met
        assert_canary(sb)
    finally:
        call.stop()


# ---- an interrupted write -----------------------------------------------------------------------


def test_killed_write_leaves_old_or_new(sb):
    """SIGKILL the gateway while it writes a large file (the HTTP body limit is 2 MB), at a
    random point of a call whose duration was just measured: the target holds the old
    content or the new one, never a mix, and nothing is left at or beside the target's name.
    (A temp file is unnamed (O_TMPFILE) until it is complete; a kill in the short window
    between giving it its hidden .pincer-tmp-* name and the rename would leave that name,
    which the pattern below allows: docs/tools.md, "Atomic writes".)"""
    size = 1900 * 1024
    target = sb.ws / "big.txt"
    target.write_text("A" * size)
    outcomes = {"old": 0, "new": 0}
    for i in range(10):
        old = target.read_text()
        new = chr(ord("B") + i) * size
        g = Gateway(sb.dir, sb.config)
        try:
            t0 = time.time()  # the lease is hot, and this is how long a write takes
            assert g.invoke("write", {"path": "big.txt", "content": old})[0] == 200
            took = time.time() - t0
            body = {"tool": "write", "args": {"path": "big.txt", "content": new}}
            th = threading.Thread(target=lambda: _quiet(g.request, "POST", "/tools/invoke", body,
                                                        timeout=30))
            th.start()
            time.sleep(random.uniform(0.3, 1.1) * took)
            g.proc.send_signal(signal.SIGKILL)
            g.proc.wait(timeout=30)
            th.join(timeout=30)
        finally:
            g.errfile.close()
        data = target.read_text()
        assert data in (old, new), f"torn file: {len(data)} bytes"
        outcomes["new" if data == new else "old"] += 1
        for p in sb.ws.iterdir():
            assert p.name in ("big.txt", "probe", "data") or \
                re.fullmatch(r"\.pincer-tmp-\d+-[0-9a-f]+-\d+", p.name), p.name
    print("killed writes:", outcomes)


def test_killed_cli_write_leaves_old_or_new(sb):
    """The same for `pincer tools invoke` (content in argv: at most 128 KiB), killed at a
    random point of its run."""
    size = 120 * 1024
    target = sb.ws / "cli.txt"
    target.write_text("A" * size)
    os.chown(target, UID, GID)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    env["PINCER_STATE_DIR"] = str(sb.dir / "state")

    def start(content):
        return subprocess.Popen(
            [PINCER, "tools", "invoke", "--config", str(sb.config), "write",
             json.dumps({"path": "cli.txt", "content": content})],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)

    assert start("A" * size).wait(timeout=60) == 0  # the sandbox exists
    t0 = time.time()
    assert start("A" * size).wait(timeout=60) == 0
    took = time.time() - t0
    outcomes = {"old": 0, "new": 0}
    for i in range(10):
        old = target.read_text()
        new = chr(ord("B") + i) * size
        proc = start(new)
        time.sleep(random.uniform(0.3, 1.0) * took)
        proc.kill()
        proc.wait(timeout=30)
        data = target.read_text()
        assert data in (old, new), f"torn file: {len(data)} bytes"
        outcomes["new" if data == new else "old"] += 1
        for p in sb.ws.iterdir():
            assert p.name in ("cli.txt", "probe", "data") or \
                re.fullmatch(r"\.pincer-tmp-\d+-[0-9a-f]+-\d+", p.name), p.name
        assert (target.stat().st_uid, target.stat().st_gid) == (UID, GID)
    print("killed CLI writes:", outcomes)


def _quiet(fn, *args, **kw):
    try:
        fn(*args, **kw)
    except OSError:
        pass


# ---- the audit log ------------------------------------------------------------------------------


def test_one_audit_line_per_call_no_secrets(sb):
    write_config(sb, gateway_extra='tools: { allow: ["exec", "apply_patch"] }')
    token = "e2e-gateway-token-" + SECRET[-8:] + "x" * 16
    g = Gateway(sb.dir, sb.config, env={"PINCER_GATEWAY_TOKEN": token, "OPENAI_API_KEY": SECRET})
    assert g.token == token
    try:
        # the gateway's environment never reaches the sandbox
        status, doc = g.invoke("exec", {"command": "env; cat /proc/self/environ"})
        assert status == 200 and doc["result"]["details"]["exitCode"] == 0, doc
        assert SECRET not in text(doc) and token not in text(doc)
        # a wrong token is not echoed
        status, body, _ = g.request("POST", "/tools/invoke", {"tool": "read", "args": {}},
                                    token=SECRET)
        assert status == 401 and SECRET.encode() not in body
        calls = [
            ("exec", {"command": "echo \"[$MY_TOKEN]\"", "env": {"MY_TOKEN": SECRET}}, None, 200),
            ("read", {"path": "probe", "limit": 1}, None, 200),
            ("write", {"path": "w.txt", "content": SECRET}, None, 200),
            ("write", {"path": "/etc/x", "content": SECRET}, None, 200),
            ("exec", {"command": f"echo {SECRET}"}, "family", 403),  # policy
            ("no_such_tool", {"apiKey": SECRET}, None, 404),  # not found
            ("web_search", {"query": "x", "apiKey": SECRET}, None, 403),  # sandbox policy
            ("edit", {"path": "w.txt", "old_string": "no-" + SECRET, "new_string": "x"}, None, 200),
            ("write", {"path": "w.txt"}, None, 400),  # bad arguments
            ("t" * 5000, {}, None, 404),  # a huge name is cut in the record
        ]
        for tool, args, agent, want in calls:
            status, doc = g.invoke(tool, args, agent=agent)
            assert status == want, (tool, status, doc)
            assert SECRET not in json.dumps(doc), doc
    finally:
        g.stop()
    raw = (sb.dir / "state" / "audit" / "audit.jsonl").read_text()
    lines = [json.loads(line) for line in raw.splitlines()][1:]  # after the env check
    assert [l["tool"] for l in lines[:-1]] == [c[0] for c in calls[:-1]]
    assert lines[-1]["tool"] == "t" * 256 + "... (5000 bytes)"
    assert [l["status"] for l in lines] == [c[3] for c in calls]
    assert lines[4]["decision"] == "denied" and lines[4]["agent"] == "family"
    assert lines[5]["decision"] == "unavailable"
    assert lines[0]["backend"] == sb.backend and lines[0]["sandbox"].startswith(sb.prefix)
    for text_ in (raw, g.errpath.read_text()):
        assert SECRET not in text_
        assert token not in text_


def test_unsandboxed_session_acts_as_the_workspace_owner(run, tmp_path):
    """Without a sandbox the file tools work in the agent workspace, as its owner: new files
    are the owner's, and what the owner cannot read they cannot either; exec is refused."""
    ws = tmp_path / "hostws"
    ws.mkdir()
    os.chown(ws, UID, GID)
    (ws / "rootonly.txt").write_text("ROOT\n")
    os.chmod(ws / "rootonly.txt", 0o600)
    cfg = tmp_path / "host.json5"
    cfg.write_text(f'{{ agents: {{ list: [ {{ id: "main", workspace: "{ws}" }} ] }} }}')

    def invoke(tool, args):
        r = run("tools", "invoke", "--config", str(cfg), "--json", tool, json.dumps(args))
        return r.json()

    assert text(invoke("write", {"path": "h/x.txt", "content": "x"})) == \
        "Successfully wrote 1 bytes to h/x.txt"
    for p in (ws / "h", ws / "h" / "x.txt"):
        assert (p.stat().st_uid, p.stat().st_gid) == (UID, GID), p
    assert text(invoke("read", {"path": f"{ws}/h/x.txt"})) == "x"
    assert text(invoke("read", {"path": "rootonly.txt"})) == \
        "Permission denied; cannot read: rootonly.txt"
    t = text(invoke("read", {"path": "/etc/passwd"}))
    assert t == f"Path escapes sandbox root ({ws}): /etc/passwd. Use a path under {ws}/ instead."
    doc = invoke("exec", {"command": "id"})
    assert doc["error"]["type"] == "tool_call_blocked", doc
