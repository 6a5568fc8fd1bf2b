"""The Docker engine restarted during calls (issue 10, point 4; docs/faults.md): the calls in
flight and those while it is down fail with 503 naming the engine and what to do, later calls
work once it is back, and the gateway lives on.

Restarting dockerd stops every container on the engine (no live-restore), and the engine may be
shared: this runs only with PINCER_FAULTS_RESTART_DOCKER=1 (scripts/test.sh sets it as root,
that is in CI), and ctest runs this file alone (RUN_SERIAL), so no other test's containers are
on the engine meanwhile. The same behaviour without touching the engine is
test_faults.py::test_engine_connection_cut_during_a_call.
"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SOURCE_DIR
from test_faults import faults, in_background, invoke, need_docker, report, text_of, wait_for  # noqa: F401,E501


def restart_engine(while_down):
    """Stops the local dockerd and starts it again the way scripts/docker-env.sh does (systemctl
    when systemd runs, else a detached dockerd with its log in /var/log/pincer-dockerd.log);
    while_down() runs in between. Returns a description of what was done."""
    script = SOURCE_DIR / "scripts" / "docker-env.sh"
    systemd = Path("/run/systemd/system").is_dir() and subprocess.run(
        ["systemctl", "is-system-running"], capture_output=True, text=True).stdout.strip() in (
        "running", "degraded", "starting")
    if systemd:
        subprocess.run(["systemctl", "stop", "docker.service", "docker.socket"], check=True)
        how = "systemctl stop docker.service"
    else:
        pid = None
        pidfile = Path("/run/pincer-dockerd.pid")
        if pidfile.exists():
            pid = int(pidfile.read_text().strip() or 0) or None
        if not pid or not Path(f"/proc/{pid}").exists():
            out = subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout
            pid = int(out.split()[0]) if out.split() else None
        assert pid, "no dockerd process to restart (is the engine remote? unset " \
                    "PINCER_FAULTS_RESTART_DOCKER)"
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not Path(f"/proc/{pid}").exists(), 60, 0.1), \
            f"dockerd (pid {pid}) did not stop within 60 s of SIGTERM"
        how = f"SIGTERM to dockerd pid {pid}"
    down = while_down()
    r = subprocess.run([str(script), "--timeout", "120"], capture_output=True, text=True)
    assert r.returncode == 0, f"scripts/docker-env.sh could not start the engine again:\n{r.stderr}"
    return f"{how}, then scripts/docker-env.sh: {r.stdout.strip()}", down


def test_docker_engine_restart_during_calls(request, faults):
    need_docker()
    if os.environ.get("PINCER_FAULTS_RESTART_DOCKER") != "1":
        pytest.skip("restarting the Docker engine stops every container on it, and it may be "
                    "shared: set PINCER_FAULTS_RESTART_DOCKER=1 to run this (scripts/test.sh "
                    "does as root, that is in CI)")
    g = faults.start()
    status, doc = invoke(g, "exec", {"command": "echo warm"}, agent="box")
    assert status == 200 and doc["ok"] is True, doc
    t, inflight = in_background(invoke, g, "exec", {"command": "sleep 30; echo slept"},
                                agent="box")
    time.sleep(1.0)

    def while_down():
        return invoke(g, "exec", {"command": "echo down"}, agent="box", timeout=60)

    start = time.monotonic()
    what, (down_status, down_doc) = restart_engine(while_down)
    report(request, f"restarted the Docker engine: {what} ({time.monotonic() - start:.1f}s)")
    t.join(timeout=60)
    assert not t.is_alive(), "the call in flight still hangs after the engine restarted"
    print(f"the call in flight got: {inflight}")
    print(f"a call while the engine was down got: {down_status} {down_doc}")
    # In flight and while down: 503, saying the engine is unavailable, where, and what to do;
    # not a hang, a crash or a 500.
    [(status, doc)] = inflight
    for st, d in ((status, doc), (down_status, down_doc)):
        assert st == 503 and d["ok"] is False and d["error"]["type"] == "unavailable", d
        msg = d["error"]["message"]
        assert "Docker engine" in msg and "unix://" in msg and "docker-env.sh" in msg, msg
    # The gateway lives on, and once the engine is back calls work again.
    assert g.proc.poll() is None, g.stderr()
    assert g.request("GET", "/health", auth=False)[0] == 200
    status, doc = invoke(g, "exec", {"command": "echo back"}, agent="box")
    assert status == 200 and doc["ok"] is True and text_of(doc).startswith("back"), doc
    g.stop()
