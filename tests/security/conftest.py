"""The escape matrix's harness: every attempt is recorded as one row (category, attempt,
backend, expected, observed, result), printed as a table at the end of the run (even when
everything passes) and written to <PINCER_SECURITY_REPORT>.json and .md, which
docs/security.md quotes.

The suite reuses the end-to-end helpers of tests/e2e (the real `pincer gateway`, the image
store of the native backend, Docker's availability check): that directory is put on sys.path
and its conftest is loaded under the name e2e_conftest; its fixtures (`state_dir`, `run`) and
names (`PINCER`, `SOURCE_DIR`) are re-exported here, because the e2e modules import them from
`conftest`.
"""
import importlib.util
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
sys.path.insert(0, str(E2E))
_spec = importlib.util.spec_from_file_location("e2e_conftest", E2E / "conftest.py")
_e2e = importlib.util.module_from_spec(_spec)
sys.modules["e2e_conftest"] = _e2e
_spec.loader.exec_module(_e2e)

PINCER, SOURCE_DIR, Result = _e2e.PINCER, _e2e.SOURCE_DIR, _e2e.Result
state_dir, run = _e2e.state_dir, _e2e.run  # fixtures, shared with the e2e tests

from test_gateway import Gateway  # noqa: E402
from test_sandbox_docker import docker, engine_problem  # noqa: E402
from test_sandbox_native import IMAGE, PROBE, build_image  # noqa: E402

REPORT = Path(os.environ.get("PINCER_SECURITY_REPORT",
                             SOURCE_DIR / "build" / "security-matrix"))
# native+userns: the native backend with sandbox.native.userns (uid 0 inside is an
# unprivileged id on the host).
BACKENDS = ("native", "native+userns", "docker")
ROWS = []
TMP_RE = re.compile(r"/tmp/pytest-of-[^/\s]+/pytest-\d+/[^/\s]+")  # run-specific paths


class Matrix:
    """Records attempts of one test; finish() fails on any attempt that was not blocked,
    or marks the test xfail when every such attempt is a known, explained limit."""

    def __init__(self, backend):
        self.backend = backend
        self.failed = []
        self.known = []

    def check(self, category, attempt, expected, observed, blocked, known=None):
        result = "blocked" if blocked else ("KNOWN LIMIT" if known else "NOT BLOCKED")
        ROWS.append({"category": category, "attempt": attempt, "backend": self.backend,
                     "expected": expected, "observed": TMP_RE.sub("<tmp>", " ".join(
                         str(observed).split()))[:150],
                     "result": result,
                     "note": "" if blocked else (known or "")})
        if not blocked:
            (self.known if known else self.failed).append(f"{attempt}: {observed}")
        return blocked

    def finish(self):
        assert not self.failed, "escape attempts NOT blocked on %s:\n  %s" % (
            self.backend, "\n  ".join(self.failed))
        if self.known:
            pytest.xfail("known limits: " + "; ".join(self.known))


def _cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(rows):
    """Sandbox rows as one line per attempt with a column per backend; the gateway's own rows
    (backend "gateway") as a second table."""
    backends = [b for b in BACKENDS if any(r["backend"] == b for r in rows)]
    lines, seen = {}, []
    for r in rows:
        if r["backend"] in backends:
            key = (r["category"], r["attempt"], r["expected"])
            if key not in lines:
                lines[key] = {}
                seen.append(key)
            lines[key][r["backend"]] = r

    def cell(r):
        if r is None:
            return "-"
        obs = r["observed"] if len(r["observed"]) <= 90 else r["observed"][:87] + "..."
        if r["result"] == "blocked":
            return _cell(f"blocked: {obs}")
        return _cell(f"**{r['result']}**: {obs}" + (f" ({r['note']})" if r["note"] else ""))
    out = ["| Category | Attempt | Expected | " + " | ".join(backends) + " |",
           "|---|---|---|" + "---|" * len(backends)]
    for key in seen:
        out.append("| " + " | ".join(_cell(x) for x in key) + " | " +
                   " | ".join(cell(lines[key].get(b)) for b in backends) + " |")
    rest = [r for r in rows if r["backend"] not in backends]
    if rest:
        out += ["", "The gateway itself (no backend involved):", "",
                "| Category | Attempt | Expected | Observed | Result |", "|---|---|---|---|---|"]
        for r in rest:
            out.append("| " + " | ".join(_cell(x) for x in (
                r["category"], r["attempt"], r["expected"], r["observed"],
                r["result"] + (f" ({r['note']})" if r["note"] else ""))) + " |")
    return "\n".join(out) + "\n"


def _sorted_rows():
    order = {c: i for i, c in enumerate(
        ("filesystem", "syscalls", "privilege", "resources", "network", "isolation",
         "gateway API", "secrets"))}
    return sorted(ROWS, key=lambda r: (order.get(r["category"], 99), r["attempt"], r["backend"]))


def _machine():
    u = os.uname()
    d = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                       capture_output=True, text=True).stdout.strip() if shutil.which("docker") \
        else ""
    return f"Linux {u.release} {u.machine}, {os.cpu_count()} CPUs, Docker engine {d or 'none'}"


def pytest_sessionfinish(session, exitstatus):
    if not ROWS:
        return
    rows = _sorted_rows()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.with_suffix(".json").write_text(json.dumps(rows, indent=1) + "\n")
    n_bad = sum(r["result"] != "blocked" for r in rows)
    text = (f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {_machine()}: "
            f"{len(rows)} attempts, {len(rows) - n_bad} blocked, "
            f"{sum(r['result'] == 'KNOWN LIMIT' for r in rows)} known limits, "
            f"{sum(r['result'] == 'NOT BLOCKED' for r in rows)} not blocked.\n\n" + markdown(rows))
    REPORT.with_suffix(".md").write_text(text)
    # PINCER_SECURITY_UPDATE_DOCS=1: the table of docs/security.md becomes this run's.
    if os.environ.get("PINCER_SECURITY_UPDATE_DOCS") == "1":
        doc = SOURCE_DIR / "docs" / "security.md"
        old = doc.read_text()
        begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
        i, j = old.index(begin) + len(begin), old.index(end)
        doc.write_text(old[:i] + text + old[j:])


def pytest_terminal_summary(terminalreporter):
    if not ROWS:
        return
    rows = _sorted_rows()
    w = terminalreporter
    w.section("escape matrix")
    widths = [min(48, max(len(str(r[k])) for r in rows + [dict(
        category="category", attempt="attempt", backend="backend", expected="expected",
        observed="observed", result="result")])) for k in
        ("category", "attempt", "backend", "expected", "observed", "result")]
    head = ("category", "attempt", "backend", "expected", "observed", "result")

    def line(vals):
        return "  ".join(str(v)[:wd].ljust(wd) for v, wd in zip(vals, widths))
    w.write_line(line(head))
    for r in rows:
        w.write_line(line([r[k] for k in head]))
    bad = [r for r in rows if r["result"] != "blocked"]
    w.write_line(f"{len(rows)} attempts, {len(rows) - len(bad)} blocked, "
                 f"{sum(r['result'] == 'KNOWN LIMIT' for r in rows)} known limits, "
                 f"{sum(r['result'] == 'NOT BLOCKED' for r in rows)} NOT blocked; "
                 f"written to {REPORT}.json and .md")


def need(backend, problem):
    """Fails (when the backend is required) or skips, saying why."""
    if not problem:
        return
    var = "PINCER_REQUIRE_DOCKER" if backend == "docker" else "PINCER_REQUIRE_NATIVE"
    if os.environ.get(var) == "1" or (backend == "docker" and os.environ.get("CI")):
        pytest.fail(f"the {backend} backend is required here ({var}=1) but {problem}")
    pytest.skip(f"{backend} escape tests skipped: {problem}")


def backend_store(backend, tmp_path_factory):
    """None (docker) or the native image store; fails or skips when the backend is missing."""
    if backend == "docker":
        need(backend, engine_problem())
        return None
    backend = "native"
    if os.geteuid() != 0:
        need(backend, "it needs root (namespaces, mounts, cgroups)")
    if not Path(PROBE).exists():
        need(backend, f"the probe {PROBE} is not built")
    store = Path(os.environ.get("PINCER_NATIVE_IMAGE_STORE") or
                 tmp_path_factory.mktemp("native-store"))
    store.mkdir(parents=True, exist_ok=True)
    need(backend, build_image(store))
    return store


HOST_MARK = "host-secret-" + secrets.token_hex(8)
ENV_SECRET = "ghp_envsecret" + secrets.token_hex(12)
TOKEN = "tok-" + secrets.token_hex(24)


class Sandboxed:
    """One `pincer gateway` (token TOKEN, exec and apply_patch allowed over HTTP) whose agents
    run in sandboxes of one backend, with the restrictive settings of docs/security.md:
    main and other (user 1000:1000), root (user 0:0, to show that root inside gains nothing),
    ro (workspaceAccess "ro": its agent workspace is read-only at /agent).
    Host files beside the workspaces carry HOST_MARK: no attempt may ever see it."""

    def __init__(self, backend, tmp, store):
        self.backend = backend
        userns = "native: { userns: true }," if backend == "native+userns" else ""
        backend = backend.split("+")[0]
        self.dir = tmp
        self.state = tmp / "state"
        self.state.mkdir()
        if store:
            (self.state / "images").symlink_to(store / "images")
        self.prefix = f"pincer-x{secrets.token_hex(3)}-"
        self.secret = tmp / "host-secret.txt"
        self.secret.write_text(HOST_MARK + "\n")
        self.ws = {}
        for agent in ("main", "other", "root", "ro"):
            ws = tmp / f"ws-{agent}"
            ws.mkdir()
            shutil.copy(PROBE, ws / "probe")
            os.chmod(ws / "probe", 0o755)
            (ws / f"{agent}-private.txt").write_text(f"{agent}-private-{secrets.token_hex(6)}\n")
            for p in (ws, ws / "probe", ws / f"{agent}-private.txt"):
                os.chown(p, 1000, 1000)
            self.ws[agent] = ws
        # A setuid-root copy of the probe: with no_new_privs (and nosuid) it stays uid 1000.
        shutil.copy(PROBE, self.ws["main"] / "probe-suid")
        os.chown(self.ws["main"] / "probe-suid", 0, 0)
        os.chmod(self.ws["main"] / "probe-suid", 0o4755)
        cfg = tmp / "pincer.json5"
        cfg.write_text(f"""{{
  gateway: {{ tools: {{ allow: ["exec", "apply_patch"] }} }},
  agents: {{
    defaults: {{
      sandbox: {{
        mode: "all", backend: "{backend}", scope: "agent", workspaceAccess: "rw", {userns}
        docker: {{
          image: "{IMAGE}", containerPrefix: "{self.prefix}", readOnlyRoot: true,
          network: "none", user: "1000:1000", capDrop: ["ALL"],
          tmpfs: ["/tmp:size=16m", "/var/tmp", "/run"],
          pidsLimit: 64, memory: "128m", memorySwap: "128m",
          env: {{ LANG: "C.UTF-8", GITHUB_TOKEN: "${{SEC_ENV_SECRET}}" }},
        }},
      }},
    }},
    list: [
      {{ id: "main", workspace: "{self.ws['main']}" }},
      {{ id: "other", workspace: "{self.ws['other']}" }},
      {{ id: "root", workspace: "{self.ws['root']}", sandbox: {{ docker: {{ user: "0:0" }} }} }},
      {{ id: "ro", workspace: "{self.ws['ro']}", sandbox: {{ workspaceAccess: "ro" }} }},
    ],
  }},
}}
""")
        self.config = cfg
        self.g = Gateway(tmp, cfg, env={"PINCER_GATEWAY_TOKEN": TOKEN,
                                        "SEC_ENV_SECRET": ENV_SECRET})

    def exec(self, command, agent=None, timeout=None, env=None):
        """(text, details) of one exec call over POST /tools/invoke."""
        args = {"command": command}
        if timeout:
            args["timeoutSeconds"] = timeout
        if env:
            args["env"] = env
        status, doc = self.g.invoke("exec", args, agent=agent)
        assert status == 200 and doc.get("ok"), (status, doc)
        return doc["result"]["content"][0]["text"], doc["result"].get("details") or {}

    def probe(self, *args, agent=None, binary="probe"):
        text, d = self.exec(" ".join([f"/workspace/{binary}", *map(str, args)]), agent=agent)
        try:
            return json.loads(text.splitlines()[0])
        except (ValueError, IndexError):
            raise AssertionError(f"the probe printed no JSON: {text!r} {d}")

    def cleanup(self):
        try:
            if self.g.proc.poll() is None:
                self.g.stop()
        finally:
            self.remove_sandboxes()

    def remove_sandboxes(self):
        if self.backend == "docker":
            r = docker("ps", "-a", "--filter", f"name=^{self.prefix}", "--format",
                       "{{.Names}}", check=False)
            for name in r.stdout.split():
                docker("rm", "-f", name, check=False)
        else:
            e = {k: v for k, v in os.environ.items() if not k.startswith("PINCER_")}
            e.update(PINCER_STATE_DIR=str(self.state), SEC_ENV_SECRET=ENV_SECRET)
            p = subprocess.run([PINCER, "sandbox", "recreate", "--config", str(self.config),
                                "--all", "--force"], env=e, capture_output=True, text=True,
                               timeout=120)
            assert p.returncode == 0, f"removing the sandboxes failed: {p.stderr}"


@pytest.fixture(scope="session", params=BACKENDS)
def sb(request, tmp_path_factory):
    """A gateway whose agents run in sandboxes of each backend in turn."""
    store = backend_store(request.param, tmp_path_factory)
    s = Sandboxed(request.param, tmp_path_factory.mktemp(f"sec-{request.param.replace('+', '-')}"),
                  store)
    yield s
    print(f"--- gateway stderr ({request.param})\n{s.g.stderr()[-4000:]}")
    s.cleanup()
