"""The native image store through the real CLI: `pincer image build/import/list/rm`.

Building runs mmdebstrap from the Debian mirror (about 30 s) and needs root. Without root
(or without mmdebstrap) the build tests skip and say why, unless PINCER_REQUIRE_NATIVE=1, in
which case they fail. Import, list and rm run everywhere.
"""
import json
import os
import shutil
import subprocess
import tarfile
import time

import pytest

from conftest import PINCER

IMAGE = "openclaw-sandbox:bookworm-slim"


def pincer(state_dir, *args, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
    env["PINCER_STATE_DIR"] = str(state_dir)
    for k in ("PINCER_DEBIAN_MIRROR", "PINCER_DEBIAN_SECURITY_MIRROR"):
        if k in os.environ:
            env[k] = os.environ[k]
    proc = subprocess.run([PINCER, *args], capture_output=True, text=True, env=env,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode >= 0, f"pincer died with signal {-proc.returncode}: {proc.stderr}"
    assert "Sanitizer" not in proc.stderr, proc.stderr
    return proc


def build_problem():
    if os.geteuid() != 0:
        return "building a native image needs root (mmdebstrap and chroot)"
    if not shutil.which("mmdebstrap"):
        return "mmdebstrap is not installed (apt-get install mmdebstrap)"
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A state dir holding the default image, built once for the module."""
    problem = build_problem()
    if problem:
        if os.environ.get("PINCER_REQUIRE_NATIVE") == "1":
            pytest.fail(f"native images are required here but {problem}")
        print(f"native image build skipped: {problem}")
        pytest.skip(f"native image build skipped: {problem}")
    state = tmp_path_factory.mktemp("native-image-state")
    t0 = time.monotonic()
    r = pincer(state, "image", "build", IMAGE, timeout=900)
    assert r.returncode == 0, r.stderr
    print(f"pincer image build {IMAGE}: {time.monotonic() - t0:.1f}s")
    yield state
    shutil.rmtree(state, ignore_errors=True)


def test_build_default_image(built):
    r = pincer(built, "image", "list", "--json")
    assert r.returncode == 0, r.stderr
    images = json.loads(r.stdout)
    assert [i["name"] for i in images] == [IMAGE]
    img = images[0]
    assert img["source"] == "mmdebstrap"
    assert img["suite"] == "bookworm"
    assert img["packages"] == sorted("bash ca-certificates curl git jq python3 ripgrep".split())
    rootfs = img["path"]
    assert rootfs.endswith("/images/openclaw-sandbox%3Abookworm-slim/rootfs")
    passwd = open(os.path.join(rootfs, "etc/passwd")).read()
    assert "sandbox:x:1000:1000::/home/sandbox:/bin/bash" in passwd
    assert os.path.isdir(os.path.join(rootfs, "home/sandbox"))
    for tool in ("bash", "curl", "git", "jq", "python3", "rg"):
        assert os.path.exists(os.path.join(rootfs, "usr/bin", tool)), tool
    assert os.path.getsize(os.path.join(rootfs, "etc/resolv.conf")) == 0
    assert not os.listdir(os.path.join(rootfs, "usr/share/man")) if os.path.isdir(
        os.path.join(rootfs, "usr/share/man")) else True

    r = pincer(built, "image", "list")
    assert IMAGE in r.stdout and "mmdebstrap" in r.stdout

    r = pincer(built, "image", "build", IMAGE)
    assert r.returncode == 1
    assert f"native image '{IMAGE}' already exists (remove it with: pincer image rm {IMAGE})" \
        in r.stderr


def test_build_from(built):
    r = pincer(built, "image", "build", "derived:1", "--from", IMAGE, "--packages", "file",
               timeout=600)
    assert r.returncode == 0, r.stderr
    images = {i["name"]: i for i in json.loads(pincer(built, "image", "list", "--json").stdout)}
    d = images["derived:1"]
    assert d["from"] == IMAGE and d["packages"] == ["file"]
    assert os.path.exists(os.path.join(d["path"], "usr/bin/file"))
    assert not os.path.exists(os.path.join(images[IMAGE]["path"], "usr/bin/file"))
    assert os.path.getsize(os.path.join(d["path"], "etc/resolv.conf")) == 0
    assert pincer(built, "image", "rm", "derived:1").returncode == 0


def test_import_list_rm(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    src = tmp_path / "src"
    (src / "etc").mkdir(parents=True)
    (src / "etc" / "os-release").write_text("ID=test\n")
    tar = tmp_path / "rootfs.tar"
    with tarfile.open(tar, "w") as t:
        t.add(src, arcname=".")

    r = pincer(state, "image", "list")
    assert r.returncode == 0 and "no native images" in r.stdout
    r = pincer(state, "image", "import", "mine/test:1", str(tar))
    assert r.returncode == 0, r.stderr
    images = json.loads(pincer(state, "image", "list", "--json").stdout)
    assert [(i["name"], i["source"]) for i in images] == [("mine/test:1", "import")]
    assert open(os.path.join(images[0]["path"], "etc/os-release")).read() == "ID=test\n"

    r = pincer(state, "image", "rm", "mine/test:1")
    assert r.returncode == 0, r.stderr
    assert json.loads(pincer(state, "image", "list", "--json").stdout) == []
    r = pincer(state, "image", "rm", "mine/test:1")
    assert r.returncode == 1 and "native image 'mine/test:1' not found" in r.stderr

    r = pincer(state, "image", "import", "bad name", str(tar))
    assert r.returncode == 1 and "invalid image name 'bad name'" in r.stderr
    r = pincer(state, "image", "import", "x")
    assert r.returncode == 2
