"""The CLI skeleton: version, help, exit codes."""


def test_version(run):
    r = run("--version")
    assert r.code == 0, r
    assert r.out.startswith("pincer ")
    assert run("version").out == r.out


def test_help_lists_commands_and_exit_codes(run):
    r = run("help")
    assert r.code == 0, r
    for word in ("config", "version", "Exit status", "usage error"):
        assert word in r.out


def test_help_for_one_verb(run):
    r = run("help", "config")
    assert r.code == 0, r
    assert "pincer config validate" in r.out
    assert "--effective" in r.out


def test_usage_errors_exit_2(run):
    for args in (["frobnicate"], ["config"], ["config", "explode"],
                 ["config", "validate", "--bogus"], ["config", "validate", "--config"],
                 ["config", "validate", "extra"], ["help", "nope"], []):
        r = run(*args)
        assert r.code == 2, (args, r)
        assert r.err, args
