"""End-to-end harness: runs the real pincer binary with a throwaway state dir."""
import json
import os
import subprocess
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("PINCER_SOURCE_DIR", Path(__file__).resolve().parents[2]))
PINCER = os.environ.get("PINCER_BIN", str(SOURCE_DIR / "build" / "debug" / "pincer"))


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


@pytest.fixture
def state_dir(tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    return d


@pytest.fixture
def run(state_dir):
    """run(*args, env=None, cwd=None) -> Result; PINCER_STATE_DIR is a fresh directory."""

    def _run(*args, env=None, cwd=None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
        e["PINCER_STATE_DIR"] = str(state_dir)
        e.update(env or {})
        proc = subprocess.run([PINCER, *args], capture_output=True, text=True, env=e,
                              cwd=cwd, timeout=60)
        # A crash or a sanitizer report is never an acceptable outcome.
        assert proc.returncode >= 0, f"pincer died with signal {-proc.returncode}: {proc.stderr}"
        assert "Sanitizer" not in proc.stderr, proc.stderr
        return Result(proc)

    return _run
