"""The exec tool's login shell (`/bin/sh -lc`, gateway spec §3.1; docs/sandbox.md "The login
shell"), over HTTP with the real gateway, on both backends.

The native backend learns what the login files produce once and reuses it while they are
unchanged; every test here checks that a command sees the same thing on both backends, call
after call, whatever changes in between. Needs what test_process.py needs.
"""
import pytest

from test_process import Setup, backend  # noqa: F401  (fixture)
from test_sandbox_native import image_store  # noqa: F401  (module fixture)

USER_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"  # Debian's /etc/profile


@pytest.fixture
def setup(tmp_path, run, backend):
    """Like test_process.py's, but the gateway starts only when the test says so, after it
    has changed the config (as_root); every gateway and sandbox made is removed after."""
    made = []

    def _make(extra=""):
        s = Setup(tmp_path, run, backend, extra)
        made.append(s)
        return s

    yield _make
    for s in made:
        s.cleanup()


def as_root(s):
    """The agent's sandbox runs as root with a writable root, so /etc/profile.d can change."""
    text = s.config.read_text()
    s.config.write_text(text.replace("docker: {", 'docker: { readOnlyRoot: false, user: "0:0",', 1))
    return s


def lines(s, command, **kw):
    text, d = s.call("exec", {"command": command, **kw})
    assert d["exitCode"] == 0, text
    return text.strip().splitlines()


def test_login_environment_call_after_call(setup):
    s = setup().start()
    want = None
    for _ in range(6):
        got = lines(s, 'echo "$PATH"; umask; echo "$HOME"; echo "$OPENCLAW_SHELL"; pwd')
        assert got[0].endswith(USER_PATH), got
        assert got[1:] == ["0022", "/workspace", "exec", "/workspace"], got
        want = want or got
        assert got == want


def test_env_of_the_call_and_path_prefix(setup):
    s = setup('pathPrepend: ["/opt/tools/bin"]').start()
    for value in ("one", "two", "one"):
        got = lines(s, 'echo "$PINCER_T"; echo "$PATH"', env={"PINCER_T": value})
        assert got[0] == value
        assert got[1].startswith("/opt/tools/bin:") and got[1].endswith(USER_PATH), got


def test_workspace_profile_is_read_every_time(setup):
    s = setup().start()
    assert lines(s, 'echo "[$FROM_PROFILE]"') == ["[]"]
    profile = s.ws / ".profile"
    for value in ("first", "second"):
        profile.write_text(f"export FROM_PROFILE={value}\n")
        for _ in range(3):
            assert lines(s, 'echo "[$FROM_PROFILE]"') == [f"[{value}]"]
    profile.unlink()
    for _ in range(3):
        assert lines(s, 'echo "[$FROM_PROFILE]"') == ["[]"]


def test_profile_d_changes_are_seen(setup):
    s = as_root(setup()).start()
    for _ in range(3):
        assert lines(s, 'echo "[$FROM_D]"') == ["[]"]
    lines(s, "echo 'export FROM_D=added' > /etc/profile.d/pincer-test.sh")
    for _ in range(3):
        assert lines(s, 'echo "[$FROM_D]"') == ["[added]"]
    lines(s, "echo 'export FROM_D=edited' > /etc/profile.d/pincer-test.sh")
    for _ in range(3):
        assert lines(s, 'echo "[$FROM_D]"') == ["[edited]"]
    lines(s, "rm /etc/profile.d/pincer-test.sh")
    for _ in range(3):
        assert lines(s, 'echo "[$FROM_D]"') == ["[]"]


def test_a_login_file_that_prints_prints_every_time(setup):
    s = as_root(setup()).start()
    lines(s, "echo 'echo hello from profile.d' > /etc/profile.d/pincer-hello.sh")
    for _ in range(4):
        assert lines(s, "echo cmd") == ["hello from profile.d", "cmd"]
    lines(s, "echo 'umask 077' > /etc/profile.d/pincer-hello.sh")
    for _ in range(4):
        assert lines(s, "umask") == ["0077"]


def test_native_runs_the_login_files_once(setup, backend):
    """The point of the cache, seen from inside: a login file that counts its runs (without
    printing) runs on every docker exec, and about once on native."""
    s = as_root(setup()).start()
    lines(s, "echo 'echo x >> /tmp/profile-runs' > /etc/profile.d/pincer-count.sh; "
             ": > /tmp/profile-runs")
    calls = 10
    for _ in range(calls):
        lines(s, "true")
    runs = len(lines(s, "cat /tmp/profile-runs")) - 1  # the cat call's own run, if any
    if backend[0] == "docker":
        assert runs == calls, runs
    else:
        # the first call runs the login shell and a probe learns it; later calls reuse it
        assert runs <= 3, runs
