"""pincer tools list: every tool of an agent with allowed/denied and the rule behind it."""
import pytest

from conftest import SOURCE_DIR

FAMILY = str(SOURCE_DIR / "examples" / "multi-agent-family.json5")
PROFILES = str(SOURCE_DIR / "examples" / "multi-agent-profiles.json5")
CATALOG_SIZE = 32


def tools_json(run, *args):
    r = run("tools", "list", "--json", *args)
    assert r.code == 0, r
    return {t["tool"]: t for t in r.json()}


def test_family_reads_only(run):
    r = run("tools", "list", "--agent", "family", "--config", FAMILY)
    assert r.code == 0, r
    rows = {line.split()[0]: line for line in r.out.splitlines() if line[:1].islower()}
    assert rows["read"].split()[1] == "allowed", r.out
    assert rows["exec"].split()[1] == "denied", r.out
    assert "agents.list[1].tools.deny" in rows["exec"], r.out
    assert 'denied by agents.list[1].tools.deny "exec"' in rows["exec"]
    assert "Sandboxed: yes (sandbox.mode all)" in r.out
    assert "1 of 32 tools allowed." in r.out


def test_table_is_aligned(run):
    r = run("tools", "list", "--agent", "family", "--config", FAMILY)
    lines = r.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("TOOL"))
    table = lines[header:header + 1 + CATALOG_SIZE]
    rule_col = table[0].index("RULE")
    status_col = table[0].index("STATUS")
    for line in table[1:]:
        assert line[status_col:].split()[0] in ("allowed", "denied"), line
        assert line[rule_col - 2:rule_col] == "  " and line[rule_col] != " ", line


def test_main_differs_from_family(run):
    main = tools_json(run, "--agent", "main", "--config", FAMILY)
    family = tools_json(run, "--agent", "family", "--config", FAMILY)
    assert all(t["allowed"] for t in main.values())
    assert main["exec"]["rule"] == "allowed: no step restricts it"
    assert [name for name, t in family.items() if t["allowed"]] == ["read"]
    # Without --agent, the default agent (main) is listed.
    default = tools_json(run, "--config", FAMILY)
    assert default == main


def test_json_shape(run):
    r = run("tools", "list", "--agent", "family", "--json", "--config", FAMILY)
    assert r.code == 0, r
    items = r.json()
    assert isinstance(items, list) and len(items) == CATALOG_SIZE
    for t in items:
        assert set(t) == {"tool", "section", "allowed", "step", "key", "entry", "rule"}
        assert isinstance(t["allowed"], bool)
    by = {t["tool"]: t for t in items}
    assert by["exec"] == {
        "tool": "exec", "section": "runtime", "allowed": False, "step": "agent",
        "key": "agents.list[1].tools.deny", "entry": "exec",
        "rule": 'denied by agents.list[1].tools.deny "exec"',
    }
    assert by["image"]["entry"] is None
    assert by["image"]["rule"] == "not in allowlist of agents.list[1].tools.allow"
    assert by["read"]["allowed"] is True


def test_session_decides_sandboxing(run, tmp_path):
    cfg = tmp_path / "modes.json5"
    cfg.write_text("{ agents: { defaults: { sandbox: { mode: 'non-main' } },"
                   " list: [ { id: 'main', default: true } ] } }")
    main = run("tools", "list", "--config", str(cfg))
    assert "Sandboxed: no (sandbox.mode non-main, the main session)" in main.out, main
    # A bare name is a session of the agent; a key with ':' is taken as written (spec 5.3).
    group = run("tools", "list", "--config", str(cfg), "--session", "dm")
    assert "Session:   agent:main:dm\n" in group.out, group
    assert "Sandboxed: yes (sandbox.mode non-main, not the main session)" in group.out
    t = tools_json(run, "--config", str(cfg), "--session", "agent:main:whatsapp:group:42")
    assert t["browser"]["step"] == "sandbox" and not t["browser"]["allowed"]
    forced = tools_json(run, "--config", str(cfg), "--session", "agent:main:whatsapp:group:42",
                        "--no-sandboxed")
    assert forced["browser"]["allowed"]


def test_agent_from_session_key(run):
    t = tools_json(run, "--session", "agent:family:whatsapp:group:1", "--config", FAMILY)
    assert [name for name, v in t.items() if v["allowed"]] == ["read"]


def test_unknown_allowlist_entries_warn_on_stderr(run):
    r = run("tools", "list", "--agent", "support", "--config", PROFILES)
    assert r.code == 0, r
    assert r.err.count("warning:") == 1, r.err
    assert "allowlist contains unknown entries (slack)" in r.err


def test_unknown_agent(run):
    r = run("tools", "list", "--agent", "famly", "--config", FAMILY)
    assert r.code == 1, r
    assert "unknown agent 'famly'" in r.err
    assert "did you mean 'family'?" in r.err


@pytest.mark.parametrize("args", [
    [],
    ["lst"],
    ["list", "--bogus"],
    ["list", "--agent"],
    ["list", "extra"],
    ["list", "--sandboxed", "--no-sandboxed"],
    ["list", "--model", "gpt-5"],
], ids=lambda a: " ".join(a) or "(none)")
def test_usage_errors(run, args):
    r = run("tools", *args, "--config", FAMILY) if args else run("tools")
    assert r.code == 2, r
    assert "pincer help tools" in r.err


def test_session_of_another_agent_is_a_usage_error(run):
    r = run("tools", "list", "--agent", "main", "--session", "agent:family:x", "--config", FAMILY)
    assert r.code == 2, r
    assert "belongs to agent 'family'" in r.err


def test_invalid_config_fails(run, tmp_path):
    cfg = tmp_path / "bad.json5"
    cfg.write_text("{ tools: { profile: 'codin' } }")
    r = run("tools", "list", "--config", str(cfg))
    assert r.code == 1, r
    assert "tools.profile" in r.err


def test_help(run):
    r = run("help", "tools")
    assert r.code == 0, r
    assert "pincer tools list" in r.out


def test_sandbox_explain_includes_the_tool_list(run):
    """explain shows the same table as `tools list` (each tool, allowed or denied, and why)."""
    listed = run("tools", "list", "--agent", "family", "--config", FAMILY)
    r = run("sandbox", "explain", "--agent", "family", "--config", FAMILY)
    assert r.code == 0, r
    assert "Tools in this session (pincer tools list):" in r.out, r.out
    table = listed.out[listed.out.index("TOOL"):].splitlines()
    for line in table:
        assert ("  " + line).rstrip() in r.out, line
    doc = run("sandbox", "explain", "--agent", "family", "--json", "--config", FAMILY).json()
    by = {t["tool"]: t for t in doc["tools"]}
    assert by == tools_json(run, "--agent", "family", "--config", FAMILY)
    assert doc["toolsAllowed"] == ["read"]
