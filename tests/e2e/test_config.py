"""pincer config validate / show, driven from outside on real files."""
import json
import re
from pathlib import Path

import pytest

from conftest import SOURCE_DIR

EXAMPLES = sorted((SOURCE_DIR / "examples").glob("*.json5"))
POS = re.compile(r"^(?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): error: (?P<path>[^:]+): ", re.M)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate(run, example):
    r = run("config", "validate", "--config", str(example))
    assert r.code == 0, r
    assert "valid" in r.out


def test_missing_default_config_means_defaults(run, state_dir):
    r = run("config", "validate")
    assert r.code == 0, r
    assert "defaults apply" in r.out
    assert str(state_dir) in r.out


def test_explicit_missing_config_is_an_error(run, tmp_path):
    r = run("config", "validate", "--config", str(tmp_path / "nope.json5"))
    assert r.code == 1, r
    assert "does not exist" in r.err


def test_env_var_names_the_config(run, tmp_path):
    p = write(tmp_path, "x.json5", "{ agents: { defaults: { sandbox: { mdoe: 'all' } } } }")
    r = run("config", "validate", env={"PINCER_CONFIG": str(p)})
    assert r.code == 1, r
    assert str(p) in r.err


# Each kind of mistake: exit 1, the JSON path, file:line:col, and a hint.
CASES = {
    "misspelt key": (
        "{\n  agents: {\n    defaults: {\n      sandbox: { mdoe: 'all' },\n    },\n  },\n}\n",
        "agents.defaults.sandbox.mdoe", (4, 18), "did you mean 'mode'?"),
    "wrong enum": (
        "{\n  agents: { defaults: { sandbox: { mode: 'al' } } },\n}\n",
        "agents.defaults.sandbox.mode", (2, 42), "did you mean 'all'?"),
    "wrong type": (
        "{\n  agents: { defaults: { sandbox: { prune: { idleHours: '24' } } } },\n}\n",
        "agents.defaults.sandbox.prune.idleHours", (2, 56), "expected an integer"),
    "unset variable": (
        "{\n  gateway: { auth: { token: '${PINCER_E2E_UNSET}' } },\n}\n",
        "gateway.auth.token", (2, 29), "'PINCER_E2E_UNSET' is not set"),
    "syntax error": (
        "{\n  tools: {\n    profile: 'coding'\n    deny: ['exec'],\n  },\n}\n",
        "tools", (4, 5), "expected"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_config_is_explained(run, tmp_path, case):
    text, path, (line, col), fragment = CASES[case]
    p = write(tmp_path, "bad.json5", text)
    r = run("config", "validate", "--config", str(p))
    assert r.code == 1, r
    m = POS.search(r.err)
    assert m, r.err
    assert m["file"] == str(p)
    assert (int(m["line"]), int(m["col"])) == (line, col), r.err
    assert m["path"] == path, r.err
    assert fragment in r.err
    assert "\n  hint: " in r.err


def test_include_cycle(run, tmp_path):
    write(tmp_path, "a.json5", "{ $include: 'b.json5' }")
    write(tmp_path, "b.json5", "{ tools: { $include: 'a.json5' } }")
    main = write(tmp_path, "main.json5", "{\n  $include: 'a.json5',\n}\n")
    r = run("config", "validate", "--config", str(main))
    assert r.code == 1, r
    assert "circular include detected" in r.err
    assert "a.json5 -> " in r.err and "b.json5" in r.err
    assert re.search(r"b\.json5:1:\d+: error: tools\.\$include: ", r.err), r.err
    assert "hint:" in r.err


def test_all_errors_reported_at_once(run, tmp_path):
    p = write(tmp_path, "bad.json5",
              "{ agents: { defaults: { sandbox: { mdoe: 'all', scope: 'everything' } } },"
              "  tools: { profile: 'coder' } }")
    r = run("config", "validate", "--config", str(p))
    assert r.code == 1, r
    assert r.err.count(": error: ") == 3, r.err


def test_json_output(run, tmp_path):
    p = write(tmp_path, "bad.json5", "{\n  gateway: { port: 70000 },\n  channels: {},\n}\n")
    r = run("config", "validate", "--config", str(p), "--json")
    assert r.code == 1, r
    doc = r.json()
    assert doc["ok"] is False
    err = doc["errors"][0]
    assert err["path"] == "gateway.port"
    assert (err["line"], err["column"]) == (2, 20)
    assert err["hint"]
    assert doc["warnings"][0]["path"] == "channels"

    ok = run("config", "validate", "--config", str(SOURCE_DIR / "examples/multi-agent-family.json5"),
             "--json").json()
    assert ok["ok"] is True
    assert ok["agents"] == ["main", "family"]
    assert ok["defaultAgent"] == "main"


def test_unimplemented_keys_warn_once_each(run, tmp_path):
    p = write(tmp_path, "c.json5", "{ channels: { whatsapp: {} }, plugins: {}, cron: {} }")
    r = run("config", "validate", "--config", str(p))
    assert r.code == 0, r
    assert r.err.count("warning:") == 3, r.err
    assert "valid (3 warnings)" in r.out


def test_show_effective_family(run):
    cfg = str(SOURCE_DIR / "examples/multi-agent-family.json5")
    r = run("config", "show", "--config", cfg, "--agent", "family", "--effective", "--json")
    assert r.code == 0, r
    fam = r.json()
    assert fam["id"] == "family"
    assert fam["sandbox"]["mode"] == "all"
    assert fam["sandbox"]["scope"] == "agent"
    assert fam["sandbox"]["workspaceAccess"] == "none"
    assert fam["sandbox"]["docker"]["containerPrefix"] == "pincer-sbx-"
    assert fam["workspace"].endswith("/.pincer/workspace-family")
    assert fam["tools"]["layers"] == [{"source": "agents.list[1].tools", "allow": ["read"],
                                       "deny": ["exec", "write", "edit", "apply_patch",
                                                "process", "browser"]}]
    main = run("config", "show", "--config", cfg, "--agent", "main", "--effective", "--json").json()
    assert main["sandbox"]["mode"] == "off"
    assert main["default"] is True
    # The text form is the same document, preceded by a comment line (valid JSON5).
    t = run("config", "show", "--config", cfg, "--agent", "family", "--effective")
    assert t.out.startswith("// effective configuration of agent 'family'")
    assert json.loads(t.out.split("\n", 1)[1]) == fam


def test_show_unknown_agent(run):
    cfg = str(SOURCE_DIR / "examples/multi-agent-family.json5")
    r = run("config", "show", "--config", cfg, "--agent", "famly")
    assert r.code == 1, r
    assert "did you mean 'family'?" in r.err


def test_secrets_are_never_printed(run, tmp_path):
    secret = "e2e-very-secret-token-4242"
    p = write(tmp_path, "s.json5",
              "{ gateway: { auth: { mode: 'token', token: '${PINCER_E2E_TOKEN}' } },"
              "  models: { providers: { local: { baseUrl: 'http://127.0.0.1:4000/v1',"
              "    apiKey: '${PINCER_E2E_TOKEN}' } } },"
              "  agents: { defaults: { sandbox: { docker: { env: { GITHUB_TOKEN: '${PINCER_E2E_TOKEN}' } } } } } }")
    env = {"PINCER_E2E_TOKEN": secret}
    outputs = [run("config", "validate", "--config", str(p), env=env),
               run("config", "show", "--config", str(p), env=env),
               run("config", "show", "--config", str(p), "--json", env=env),
               run("config", "show", "--config", str(p), "--effective", env=env)]
    for r in outputs:
        assert r.code == 0, r
        assert secret not in r.out + r.err
    assert "<redacted>" in outputs[1].out
    # And a broken config does not echo it either.
    bad = write(tmp_path, "b.json5", f"{{ gateway: {{ auth: {{ tokn: '{secret}' }} }} }}")
    r = run("config", "validate", "--config", str(bad))
    assert r.code == 1 and secret not in r.err


def test_schema_markdown(run):
    r = run("config", "schema", "--markdown")
    assert r.code == 0, r
    assert "| `agents.defaults.sandbox.mode` |" in r.out
    assert "| `agents.defaults.sandbox.docker.image` |" in r.out
