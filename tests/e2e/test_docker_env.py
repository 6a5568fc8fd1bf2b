"""The Docker engine and the base sandbox image that scripts/docker-env.sh and
scripts/sandbox-image.sh provide (docs/install-docker-env.md).

Without an engine or the image these tests skip and say why, unless Docker is required: in CI
(env CI set) or with PINCER_REQUIRE_DOCKER=1 they fail instead. PINCER_SANDBOX_IMAGE names
another image to check (default openclaw-sandbox:bookworm-slim).
"""
import json
import os
import shutil
import subprocess

import pytest

IMAGE = os.environ.get("PINCER_SANDBOX_IMAGE", "openclaw-sandbox:bookworm-slim")
SETUP = "run: scripts/docker-env.sh && scripts/sandbox-image.sh"


def _required():
    """The reason Docker must be present here, or None when a skip is acceptable."""
    if os.environ.get("PINCER_REQUIRE_DOCKER") == "1":
        return "PINCER_REQUIRE_DOCKER=1"
    ci = os.environ.get("CI", "")
    if ci and ci.lower() not in ("0", "false", "no"):
        return f"CI={ci}"
    return None


def _unavailable(request, problem):
    """Fails when Docker is required, otherwise skips, printing the reason either way."""
    why = _required()
    if why:
        pytest.fail(f"{problem}; Docker is required ({why}): {SETUP}", pytrace=False)
    # Said on the terminal as it happens, not only in the -rs summary.
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            if getattr(reporter._tw, "width_of_current_line", 0):
                reporter.write("\n")  # after -q progress dots
            reporter.write_line(f"test_docker_env: skipping: {problem} ({SETUP})", yellow=True)
    pytest.skip(f"{problem} ({SETUP})")


def docker(*args, timeout=120):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def engine(request):
    if shutil.which("docker") is None:
        _unavailable(request, "the docker CLI is not installed")
    try:
        info = docker("info", "--format", "{{json .}}", timeout=30)
    except subprocess.TimeoutExpired:
        _unavailable(request, "`docker info` did not answer within 30 s")
    if info.returncode != 0:
        last = (info.stderr.strip().splitlines() or ["no output"])[-1]
        _unavailable(request, f"no Docker engine answers `docker info`: {last}")
    return json.loads(info.stdout)


@pytest.fixture(scope="module")
def image(request, engine):
    inspect = docker("image", "inspect", IMAGE)
    if inspect.returncode != 0:
        _unavailable(request, f"the image {IMAGE} does not exist")
    return json.loads(inspect.stdout)[0]


def run_in(*args, opts=()):
    """docker run --rm [opts] IMAGE args... -> CompletedProcess (asserted successful)."""
    proc = docker("run", "--rm", *opts, IMAGE, *args)
    assert proc.returncode == 0, f"docker run {' '.join(args)}: exit {proc.returncode}\n{proc.stderr}"
    return proc


def test_docker_info(engine):
    assert engine.get("ServerVersion"), engine
    # Pincer pins API v1.41 (Debian's docker.io 20.10); any newer engine serves it too.
    version = docker("version", "--format", "{{.Server.APIVersion}}")
    assert version.returncode == 0, version.stderr
    major, minor = (int(x) for x in version.stdout.strip().split("."))
    assert (major, minor) >= (1, 41), version.stdout


def test_image_exists_with_openclaw_defaults(image):
    config = image["Config"]
    assert config["User"] == "sandbox"
    assert config["WorkingDir"] == "/home/sandbox"
    assert config["Cmd"] == ["sleep", "infinity"]
    env = dict(e.split("=", 1) for e in config["Env"])
    assert "/usr/bin" in env["PATH"].split(":")
    assert env["LANG"] == "C.UTF-8"


def test_sandbox_user_is_1000(image):
    assert run_in("id", "-u", "sandbox").stdout.strip() == "1000"
    assert run_in("id", "-g", "sandbox").stdout.strip() == "1000"
    entry = run_in("getent", "passwd", "sandbox").stdout.strip().split(":")
    assert entry[5:] == ["/home/sandbox", "/bin/bash"], entry
    # The image's default user and directory, as in OpenClaw's Dockerfile.sandbox.
    assert run_in("sh", "-c", "id -un; pwd").stdout.split() == ["sandbox", "/home/sandbox"]


@pytest.mark.parametrize("tool,expect", [
    ("python3", "Python 3."),
    ("git", "git version"),
    ("jq", "jq-"),
    ("curl", "curl "),
    ("rg", "ripgrep "),
    ("bash", "GNU bash"),
])
def test_openclaw_tools(image, tool, expect):
    out = run_in(tool, "--version")
    assert expect in out.stdout + out.stderr


def test_ca_certificates(image):
    run_in("test", "-s", "/etc/ssl/certs/ca-certificates.crt")


def test_os_release_is_bookworm(image):
    release = run_in("cat", "/etc/os-release").stdout
    assert "VERSION_CODENAME=bookworm" in release, release


def test_locked_down_run(image):
    """The shape of a Pincer sandbox: a fixed uid, read-only root, no network, no capabilities,
    writable tmpfs (docs/config.md: sandbox.docker defaults)."""
    script = (
        "id -u; id -g; "
        "if touch /probe 2>/dev/null; then echo root-writable; else echo root-read-only; fi; "
        "echo hi >/tmp/probe && cat /tmp/probe; "
        "ls /sys/class/net; "
        "python3 -c 'print(6 * 7)'"
    )
    opts = ("--user", "1000:1000", "--read-only", "--network", "none", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--tmpfs", "/tmp")
    out = run_in("sh", "-c", script, opts=opts).stdout
    assert out.split() == ["1000", "1000", "root-read-only", "hi", "lo", "42"], out
