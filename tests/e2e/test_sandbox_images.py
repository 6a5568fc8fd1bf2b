"""The sandbox image recipes (docs/install.md "Sandbox images"): scripts/sandbox-setup.sh builds
Dockerfile.sandbox, scripts/sandbox-common-setup.sh builds Dockerfile.sandbox-common and
scripts/sandbox-browser-setup.sh builds Dockerfile.sandbox-browser, each
with TARGET_IMAGE (and the base) from the environment; the probe then runs in a sandbox made
from the image, and the tools each image promises are there. The common image is heavy: it is
built FROM openclaw-sandbox:bookworm-slim with the default packages, so the engine's layer cache
(the same layers scripts/sandbox-image.sh --common builds) makes the re-run cheap. Needs the
engine and that base image; fails and says so without them."""
import secrets
import subprocess

import pytest

from conftest import SOURCE_DIR
from test_sandbox_docker import Env, docker


def _build(script, target, extra=None):
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        pytest.fail("no Docker engine answers `docker info`: run scripts/docker-env.sh",
                    pytrace=False)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TARGET_IMAGE": target, **(extra or {})}
    proc = subprocess.run([str(SOURCE_DIR / "scripts" / script)], cwd=SOURCE_DIR, env=env,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def _check(env, image, tools):
    env.write(f'image: "{image}", user: "1000:1000", network: "none", capDrop: ["ALL"],')
    p, out = env.probe()
    assert (p["uid"], p["gid"]) == (1000, 1000)
    r = env.exec("sh", "-c", "for t in " + " ".join(tools) +
                 "; do command -v $t >/dev/null || echo missing $t; done")
    assert r.code == 0, r
    assert "missing" not in r.json()["stdout"], r.json()["stdout"]


@pytest.fixture
def target():
    names = []

    def _name(kind):
        names.append(f"pincer-test-{kind}:{secrets.token_hex(4)}")
        return names[-1]

    yield _name
    for n in names:
        docker("rmi", n, check=False)


def test_minimal_image_builds_and_the_probe_runs(tmp_path, run, target):
    image = target("sandbox")
    out = _build("sandbox-setup.sh", image)
    assert f"built {image}" in out
    env = Env(tmp_path, run)
    try:
        _check(env, image, ["bash", "curl", "git", "jq", "python3", "rg"])
    finally:
        env.cleanup()


def test_common_image_builds_and_has_the_promised_tools(tmp_path, run, target):
    image = target("common")
    out = _build("sandbox-common-setup.sh", image)
    assert f"agents.defaults.sandbox.docker.image: \"{image}\"" in out
    env = Env(tmp_path, run)
    try:
        _check(env, image, ["git", "curl", "jq", "python3", "node", "npm", "gcc", "make", "go",
                            "cargo", "pnpm", "file", "unzip"])
    finally:
        env.cleanup()


def test_browser_image_builds_and_has_chromium(tmp_path, run, target):
    image = target("browser")
    _build("sandbox-browser-setup.sh", image)
    env = Env(tmp_path, run)
    try:
        _check(env, image, ["chromium", "python3"])
        r = env.exec("chromium", "--version")
        assert r.code == 0 and "Chromium" in r.json()["stdout"], r
    finally:
        env.cleanup()
