/* SPDX-License-Identifier: MIT */
/* Effective config → create spec (spec 1.5-1.11, 2.3), the config hash (2.8), environment
 * sanitisation, value parsers, and the fake backend. */
#include "test-util.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "config/schema.h"
#include "sandbox/fake/fake-backend.h"
#include "sandbox/sandbox.h"

/* ---- fixtures -------------------------------------------------------------------------- */

static char *tmp_root; /* per test: the fake HOME; the state dir is <root>/.pincer */

static const char *fake_env(const char *name, void *userdata)
{
        return strcmp(name, "HOME") == 0 ? tmp_root : NULL;
}

static int setup(void **state)
{
        char tmpl[] = "/tmp/pc-spec-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        char real[4096];
        assert_non_null(realpath(tmpl, real));
        tmp_root = xstrdup(real);
        return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(p);
}

static int teardown(void **state)
{
        nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(tmp_root);
        tmp_root = NULL;
        return 0;
}

static char *tpath(const char *rel)
{
        return xasprintf("%s/%s", tmp_root, rel);
}

static PcConfig *load_opts(const char *text, const char *file)
{
        _cleanup_free_ char *state_dir = tpath(".pincer");
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = state_dir};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        int r;
        if (file) {
                _cleanup_free_ char *p = xasprintf("%s/examples/%s", test_source_dir(), file);
                opts.path = p;
                r = pc_config_load(&opts, &diags, &cfg, &err);
        } else
                r = pc_config_load_buffer(text, strlen(text), "/etc/test.json5", &opts, &diags,
                                          &cfg, &err);
        if (r < 0) {
                _cleanup_buf_ PcBuf t = PC_BUF_INIT;
                pc_diags_format_text(&diags, &t);
                fail_msg("config did not load: %s\n%s", err.msg, t.buf);
        }
        return cfg;
}

static PcConfig *load(const char *text)
{
        return load_opts(text, NULL);
}

static PcConfig *load_example(const char *file)
{
        return load_opts(NULL, file);
}

static json_t *effective(PcConfig *cfg, const char *agent)
{
        const PcAgent *a = pc_config_find_agent(cfg, agent);
        if (!a)
                fail_msg("no agent '%s'", agent);
        return pc_config_agent_effective(cfg, a, false);
}

/* Resolves a session; returns its spec (NULL when not sandboxed). */
static PcSandboxSpec *resolve(PcConfig *cfg, const char *key, const PcSandboxSpecOptions *o)
{
        PcSandboxSession s = {0};
        PcSandboxSpec *spec = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_sandbox_resolve(cfg, key, o, &s, &spec, &err) < 0)
                fail_msg("resolve '%s': %s", key, err.msg);
        assert_int_equal(s.sandboxed, spec != NULL);
        pc_sandbox_session_release(&s);
        return spec;
}

static PcSandboxSpec *build(const json_t *eff, const char *key, int want_r, const char *needle)
{
        static const char *const homes[] = {"/home/tester", NULL};
        PcSandboxSpecOptions o = {.home_dirs = homes, .no_mkdir = true};
        PcSandboxSpec *spec = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_sandbox_spec_build(eff, key, &o, &spec, &err);
        if (r != want_r)
                fail_msg("build: expected %d, got %d (%s)", want_r, r, err.msg);
        if (needle && !strstr(err.msg, needle))
                fail_msg("'%s' not in: %s", needle, err.msg);
        return spec;
}

static const char *label(const PcSandboxSpec *s, const char *key)
{
        for (size_t i = 0; i < s->n_labels; i++)
                if (strcmp(s->labels[i].key, key) == 0)
                        return s->labels[i].value;
        return NULL;
}

static const char *env_get(const PcKeyValue *kv, size_t n, const char *key)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(kv[i].key, key) == 0)
                        return kv[i].value;
        return NULL;
}

static size_t strv_n(char **v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

/* ---- the examples ---------------------------------------------------------------------- */

static void test_full_example(void **state)
{
        PcConfig *cfg = load_example("sandbox-full.json5");
        /* mode non-main: the main session is not sandboxed, a group session is */
        assert_null(resolve(cfg, "agent:main:main", NULL));
        assert_null(resolve(cfg, "main", NULL));
        PcSandboxSpec *s = resolve(cfg, "agent:main:whatsapp:group:120363424282127706@g.us", NULL);
        assert_non_null(s);

        assert_string_equal(s->name, "pincer-sbx-agent-main-f331f052");
        assert_string_equal(s->scope_key, "agent:main");
        assert_int_equal(s->scope, PC_SANDBOX_SCOPE_AGENT);
        assert_string_equal(s->agent_id, "main");
        assert_string_equal(s->backend, "docker");
        assert_string_equal(s->image, "openclaw-sandbox:bookworm-slim");
        assert_string_equal(s->workdir, "/workspace");
        assert_string_equal(s->user, "1000:1000"); /* docker.user wins over the owner */
        assert_true(s->read_only_root);
        assert_int_equal(s->n_tmpfs, 3);
        assert_string_equal(s->tmpfs[0].path, "/tmp");
        assert_string_equal(s->tmpfs[1].path, "/var/tmp");
        assert_string_equal(s->tmpfs[2].path, "/run");
        assert_null(s->tmpfs[0].options);
        assert_string_equal(s->network, "none");
        assert_int_equal(strv_n(s->cap_drop), 1);
        assert_string_equal(s->cap_drop[0], "ALL");
        assert_null(s->cap_add);
        assert_int_equal(s->n_env, 1);
        assert_string_equal(env_get(s->env, s->n_env, "LANG"), "C.UTF-8");
        assert_null(s->env_blocked);
        assert_int_equal(s->pids_limit, 256);
        assert_int_equal(s->memory_bytes, 1073741824);
        assert_int_equal(s->memory_swap_bytes, 2147483648);
        assert_true(s->cpus == 1.0);
        assert_int_equal(s->n_ulimits, 2);
        assert_string_equal(s->ulimits[0].name, "nofile"); /* sorted */
        assert_int_equal(s->ulimits[0].soft, 1024);
        assert_int_equal(s->ulimits[0].hard, 2048);
        assert_string_equal(s->ulimits[1].name, "nproc");
        assert_int_equal(s->ulimits[1].soft, 256);
        assert_int_equal(s->ulimits[1].hard, 256);
        assert_string_equal(s->seccomp_profile, "/etc/pincer/seccomp/sandbox.json");
        assert_string_equal(s->apparmor_profile, "pincer-sandbox");
        assert_int_equal(strv_n(s->dns), 2);
        assert_string_equal(s->dns[1], "8.8.8.8");
        assert_int_equal(strv_n(s->extra_hosts), 1);
        assert_string_equal(s->extra_hosts[0], "internal.service:10.0.0.5");
        assert_string_equal(s->setup_command, "apt-get update && apt-get install -y git curl jq");
        assert_null(s->packages);
        assert_string_equal(s->setup_network, "bridge");
        assert_false(s->allow_reserved_targets);
        assert_false(s->allow_external_bind_sources);
        assert_false(s->allow_container_namespace_join);
        assert_false(s->userns);
        assert_null(s->hostname);

        /* workspaceAccess none: the private per-scope workspace, writable (Pincer) */
        _cleanup_free_ char *sbx = tpath(".pincer/sandboxes/agent-main-f331f052");
        _cleanup_free_ char *agent_ws = tpath(".pincer/workspace");
        assert_int_equal(s->workspace_access, PC_WORKSPACE_ACCESS_NONE);
        assert_string_equal(s->workspace_dir, sbx);
        assert_string_equal(s->sandbox_workspace_dir, sbx);
        assert_string_equal(s->agent_workspace_dir, agent_ws);
        assert_int_equal(s->n_mounts, 1);
        assert_int_equal(s->mounts[0].kind, PC_MOUNT_WORKSPACE);
        assert_string_equal(s->mounts[0].source, sbx);
        assert_string_equal(s->mounts[0].target, "/workspace");
        assert_false(s->mounts[0].read_only);
        /* ... and it was created, private to the gateway user */
        struct stat st;
        assert_int_equal(stat(sbx, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0700);

        assert_string_equal(label(s, "pincer.sandbox"), "1");
        assert_string_equal(label(s, "pincer.scopeKey"), "agent:main");
        assert_string_equal(label(s, "pincer.configHash"), s->config_hash);
        assert_int_equal(strlen(s->config_hash), 64);
        char h[PC_SHA256_HEX_SIZE];
        assert_int_equal(pc_sandbox_spec_hash(s, h), 0);
        assert_string_equal(h, s->config_hash);

        /* another non-main session of the same agent gets the same sandbox */
        PcSandboxSpec *s2 = resolve(cfg, "agent:main:subagent:42", NULL);
        assert_string_equal(s2->name, s->name);
        assert_string_equal(s2->config_hash, s->config_hash);
        pc_sandbox_spec_free(s2);
        pc_sandbox_spec_free(s);
        pc_config_unref(cfg);
}

static void test_multi_agent_family(void **state)
{
        PcConfig *cfg = load_example("multi-agent-family.json5");
        assert_null(resolve(cfg, "agent:main:whatsapp:group:1", NULL)); /* mode off */
        PcSandboxSpec *s = resolve(cfg, "agent:family:main", NULL);     /* mode all */
        assert_non_null(s);
        assert_string_equal(s->name, "pincer-sbx-agent-family-99f487df");
        assert_string_equal(s->scope_key, "agent:family");
        assert_string_equal(s->backend, "native"); /* Pincer's default backend */
        _cleanup_free_ char *sbx = tpath(".pincer/sandboxes/agent-family-99f487df");
        assert_string_equal(s->workspace_dir, sbx);
        _cleanup_free_ char *ws = tpath(".pincer/workspace-family");
        assert_string_equal(s->agent_workspace_dir, ws);
        /* no docker.user: the owner of the (freshly created) workspace dir */
        char user[64];
        snprintf(user, sizeof(user), "%u:%u", (unsigned) getuid(), (unsigned) getgid());
        assert_string_equal(s->user, user);
        assert_int_equal(s->n_mounts, 1);
        assert_false(s->mounts[0].read_only);

        /* every session of the agent shares the agent-scope sandbox */
        PcSandboxSpec *s2 =
                resolve(cfg, "agent:family:whatsapp:group:120363424282127706@g.us", NULL);
        assert_string_equal(s2->name, s->name);
        assert_string_equal(s2->config_hash, s->config_hash);
        pc_sandbox_spec_free(s2);
        pc_sandbox_spec_free(s);
        pc_config_unref(cfg);
}

static void test_multi_agent_modes(void **state)
{
        PcConfig *cfg = load_example("multi-agent-modes.json5");
        assert_null(resolve(cfg, "agent:main:telegram:group:1", NULL));
        assert_null(resolve(cfg, "telegram:group:1", NULL)); /* default agent: main, off */
        PcSandboxSpec *s = resolve(cfg, "agent:public:main", NULL);
        assert_non_null(s);
        char *want = pc_sandbox_name(NULL, PC_SANDBOX_SCOPE_AGENT, "agent:public");
        assert_string_equal(s->name, want);
        free(want);
        assert_int_equal(s->scope, PC_SANDBOX_SCOPE_AGENT);
        pc_sandbox_spec_free(s);
        pc_config_unref(cfg);
}

static void test_multi_agent_shared(void **state)
{
        PcConfig *cfg = load_example("multi-agent-work-shared.json5");
        PcSandboxSpecOptions o = {.no_mkdir = true}; /* do not create /tmp/work-sandboxes */
        assert_null(resolve(cfg, "agent:personal:x:y", &o));
        PcSandboxSpec *s = resolve(cfg, "agent:work:main", &o);
        assert_non_null(s);
        assert_string_equal(s->name, "pincer-sbx-shared");
        assert_string_equal(s->scope_key, "shared");
        assert_string_equal(label(s, "pincer.scopeKey"), "shared");
        /* the shared workspace is workspaceRoot itself */
        assert_string_equal(s->workspace_dir, "/tmp/work-sandboxes");
        assert_string_equal(s->sandbox_workspace_dir, "/tmp/work-sandboxes");
        pc_sandbox_spec_free(s);
        pc_config_unref(cfg);
}

static void test_session_scope_aliases(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'all',scope:'session'}},list:[{"
                             "id:'main'}]}}");
        PcSandboxSpec *a = resolve(cfg, "main", NULL);
        PcSandboxSpec *b = resolve(cfg, " agent:main:main ", NULL);
        PcSandboxSpec *c = resolve(cfg, "agent:main:telegram:group:1", NULL);
        assert_string_equal(a->scope_key, "agent:main:main");
        assert_string_equal(a->name, "pincer-sbx-agent-main-main-6d9217fe");
        assert_string_equal(b->name, a->name);
        assert_string_equal(c->scope_key, "agent:main:telegram:group:1");
        assert_string_not_equal(c->name, a->name);
        pc_sandbox_spec_free(a);
        pc_sandbox_spec_free(b);
        pc_sandbox_spec_free(c);
        pc_config_unref(cfg);
}

static void test_multi_agent_profiles(void **state)
{
        PcConfig *cfg = load_example("multi-agent-profiles.json5");
        assert_null(resolve(cfg, "agent:main:x:y", NULL));
        assert_null(resolve(cfg, "agent:support:x:y", NULL));
        pc_config_unref(cfg);
}

/* ---- workspace access, user ------------------------------------------------------------ */

static void test_workspace_access(void **state)
{
        static const char *const modes[] = {"none", "ro", "rw"};
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                char text[256];
                snprintf(text, sizeof(text),
                         "{agents:{defaults:{sandbox:{mode:'all',workspaceAccess:'%s'}},list:"
                         "[{id:'main'}]}}",
                         modes[i]);
                PcConfig *cfg = load(text);
                PcSandboxSpec *s = resolve(cfg, "agent:main:main", NULL);
                _cleanup_free_ char *sbx = tpath(".pincer/sandboxes/agent-main-f331f052");
                _cleanup_free_ char *ws = tpath(".pincer/workspace");
                switch (i) {
                case 0: /* none: private and writable (Pincer; OpenClaw mounts it ro) */
                        assert_int_equal(s->n_mounts, 1);
                        assert_string_equal(s->mounts[0].source, sbx);
                        assert_false(s->mounts[0].read_only);
                        break;
                case 1: /* ro: private ro at the workdir, the agent workspace ro at /agent */
                        assert_int_equal(s->n_mounts, 2);
                        assert_string_equal(s->mounts[0].source, sbx);
                        assert_string_equal(s->mounts[0].target, "/workspace");
                        assert_true(s->mounts[0].read_only);
                        assert_int_equal(s->mounts[1].kind, PC_MOUNT_AGENT);
                        assert_string_equal(s->mounts[1].source, ws);
                        assert_string_equal(s->mounts[1].target, "/agent");
                        assert_true(s->mounts[1].read_only);
                        break;
                case 2: /* rw: the agent workspace itself, writable, no /agent */
                        assert_int_equal(s->n_mounts, 1);
                        assert_string_equal(s->mounts[0].source, ws);
                        assert_string_equal(s->workspace_dir, ws);
                        assert_false(s->mounts[0].read_only);
                        break;
                }
                struct stat st;
                assert_int_equal(stat(s->workspace_dir, &st), 0);
                pc_sandbox_spec_free(s);
                pc_config_unref(cfg);
        }
}

static void test_user_and_paths(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'all',docker:{user:' 0:0 ',"
                             "workdir:'/work/',tmpfs:['/tmp:size=64m,mode=1777','/scratch/']}}},"
                             "list:[{id:'main'}]}}");
        json_t *e = effective(cfg, "main");
        PcSandboxSpec *s = build(e, "agent:main:main", 0, NULL);
        assert_string_equal(s->user, "0:0");
        assert_string_equal(s->workdir, "/work");
        assert_string_equal(s->mounts[0].target, "/work");
        assert_string_equal(s->tmpfs[0].path, "/tmp");
        assert_string_equal(s->tmpfs[0].options, "size=64m,mode=1777");
        assert_string_equal(s->tmpfs[1].path, "/scratch");
        pc_sandbox_spec_free(s);

        /* no user and a workspace that does not exist (no_mkdir): the image's default */
        json_object_del(json_object_get(json_object_get(e, "sandbox"), "docker"), "user");
        s = build(e, "agent:main:main", 0, NULL);
        assert_null(s->user);
        pc_sandbox_spec_free(s);

        /* a relative agent workspace is refused */
        json_object_set_new(e, "workspace", json_string("relative/ws"));
        build(e, "agent:main:main", -EINVAL, "agent workspace 'relative/ws' is not an absolute");
        json_decref(e);
        pc_config_unref(cfg);
}

/* ---- runtime checks -------------------------------------------------------------------- */

static json_t *docker_of(json_t *eff)
{
        return json_object_get(json_object_get(eff, "sandbox"), "docker");
}

static void test_runtime_checks(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'all'}},list:[{id:'main'}]}}");
        json_t *base = effective(cfg, "main");
        _cleanup_free_ char *ws = tpath(".pincer/workspace");
        char bind[512];

        json_t *e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "network", json_string("host"));
        build(e, "k", -EPERM, "network mode \"host\" is blocked");
        json_object_set_new(docker_of(e), "network", json_string("container:db"));
        build(e, "k", -EPERM, "is blocked by default");
        json_object_set_new(docker_of(e), "dangerouslyAllowContainerNamespaceJoin", json_true());
        pc_sandbox_spec_free(build(e, "k", 0, NULL));
        json_object_set_new(docker_of(e), "network", json_string(""));
        PcSandboxSpec *s = build(e, "k", 0, NULL);
        assert_string_equal(s->network, "none"); /* empty fails closed */
        pc_sandbox_spec_free(s);
        json_object_set_new(docker_of(e), "network", json_string("BRIDGE"));
        s = build(e, "k", 0, NULL);
        assert_string_equal(s->network, "bridge");
        pc_sandbox_spec_free(s);
        json_object_set_new(docker_of(e), "setupNetwork", json_string("host"));
        build(e, "k", -EPERM, "sandbox.docker.setupNetwork: Sandbox security");
        json_decref(e);

        e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "seccompProfile", json_string("unconfined"));
        build(e, "k", -EPERM, "seccomp profile \"unconfined\" is blocked");
        json_decref(e);
        e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "apparmorProfile", json_string("UNCONFINED"));
        build(e, "k", -EPERM, "apparmor profile");
        json_decref(e);

        /* binds: blocked, outside, ok, duplicates */
        e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "binds", json_pack("[s]", "/var/run/docker.sock:/s"));
        build(e, "k", -EPERM, "targets blocked path \"/var/run\"");
        json_object_set_new(docker_of(e), "binds", json_pack("[s]", "/srv/data:/data"));
        build(e, "k", -EPERM, "is outside allowed roots");
        json_object_set_new(docker_of(e), "dangerouslyAllowExternalBindSources", json_true());
        s = build(e, "k", 0, NULL);
        assert_int_equal(s->n_mounts, 2);
        assert_int_equal(s->mounts[1].kind, PC_MOUNT_BIND);
        assert_string_equal(s->mounts[1].source, "/srv/data");
        assert_true(s->allow_external_bind_sources);
        pc_sandbox_spec_free(s);

        snprintf(bind, sizeof(bind), "%s/a:/data:ro", ws);
        json_t *binds = json_pack("[s,s,s]", bind, "", bind);
        json_object_set_new(docker_of(e), "binds", binds);
        build(e, "k", -EEXIST, "reuses container path \"/data\", already used by a bind mount");

        snprintf(bind, sizeof(bind), "%s/a:/workspace", ws);
        json_object_set_new(docker_of(e), "binds", json_pack("[s]", bind));
        build(e, "k", -EPERM, "targets reserved container path \"/workspace\"");
        json_object_set_new(docker_of(e), "dangerouslyAllowReservedContainerTargets", json_true());
        build(e, "k", -EEXIST, "already used by the sandbox workspace");
        snprintf(bind, sizeof(bind), "%s/a:/workspace/sub:ro", ws);
        json_object_set_new(docker_of(e), "binds", json_pack("[s]", bind));
        s = build(e, "k", 0, NULL);
        assert_string_equal(s->mounts[1].target, "/workspace/sub");
        assert_true(s->mounts[1].read_only);
        assert_string_equal(s->mounts[1].options, "ro");
        pc_sandbox_spec_free(s);
        json_decref(e);

        /* ro with workdir /agent would mount two things there */
        e = json_deep_copy(base);
        json_object_set_new(json_object_get(e, "sandbox"), "workspaceAccess", json_string("ro"));
        json_object_set_new(docker_of(e), "workdir", json_string("/agent"));
        build(e, "k", -EEXIST, "collides with the agent workspace mount");
        json_decref(e);

        /* a malformed effective view */
        e = json_deep_copy(base);
        json_object_del(e, "sandbox");
        build(e, "k", -EINVAL, "no sandbox object");
        json_decref(e);
        e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "memory", json_string("lots"));
        build(e, "k", -EINVAL, "invalid sandbox.docker.memory");
        json_decref(e);
        e = json_deep_copy(base);
        json_object_set_new(docker_of(e), "ulimits", json_pack("{s:s}", "nofile", "9:1"));
        build(e, "k", -EINVAL, "invalid sandbox.docker.ulimits.nofile");
        json_decref(e);

        json_decref(base);
        pc_config_unref(cfg);
}

/* ---- the hash -------------------------------------------------------------------------- */

static const char *const fixed_config =
        "{agents:{defaults:{workspace:'/srv/ws',sandbox:{mode:'all',backend:'docker',"
        "workspaceRoot:'/srv/sandboxes',docker:{user:'1000:1000'}}},list:[{id:'main'}]}}";

static void test_hash_stable(void **state)
{
        PcConfig *cfg = load(fixed_config);
        json_t *e = effective(cfg, "main");
        PcSandboxSpec *a = build(e, "agent:main:main", 0, NULL);
        PcSandboxSpec *b = build(e, "agent:main:main", 0, NULL);
        assert_string_equal(a->config_hash, b->config_hash);

        /* The canonical form: epoch first (sorted keys), compact, no agentId. */
        _cleanup_free_ char *canon = pc_sandbox_spec_canonical_json(a);
        const char *head = "{\"epoch\":\"" PC_SANDBOX_SPEC_EPOCH "\",\"spec\":{";
        if (strncmp(canon, head, strlen(head)) != 0)
                fail_msg("canonical JSON starts: %.80s", canon);
        assert_null(strstr(canon, "agentId"));
        assert_null(strstr(canon, "configHash"));
        assert_null(strstr(canon, ": "));
        assert_non_null(strstr(canon, "\"apparmorProfile\":null,\"backend\":\"docker\","));
        /* The built-in seccomp profile is covered when seccompProfile is unset. */
        assert_non_null(strstr(canon, "\"seccompDefault\":\""));
        /* The same input gives the same hash in every run and on every machine (where TIOCSTI
         * is 0x5412, as the built-in seccomp profile holds it). If this changes, the canonical
         * form or the built-in profile changed: bump PC_SANDBOX_SPEC_EPOCH for the former, and
         * update it. */
        if (strcmp(a->config_hash,
                   "8d77bdf7b60802cd68586df7acb08583d26f393d3c9e03a51d3dcf4329cf3186") != 0)
                fail_msg("hash %s of %s", a->config_hash, canon);
        pc_sandbox_spec_free(a);
        pc_sandbox_spec_free(b);
        json_decref(e);
        pc_config_unref(cfg);
}

static void test_hash_ignores_equivalent_forms(void **state)
{
        PcConfig *c1 = load("{agents:{defaults:{workspace:'/srv/ws',sandbox:{mode:'all',docker:{"
                            "user:'1:1',memory:'1g',memorySwap:2147483648,capDrop:['all'],env:{"
                            "A:'1',B:'2'},ulimits:{nproc:10,nofile:'5:6'}}}},list:[{id:'main'}]}}");
        PcConfig *c2 = load("{agents:{defaults:{workspace:'/srv/ws/',sandbox:{mode:'all',docker:{"
                            "user:'1:1',memory:1073741824,memorySwap:'2GiB',capDrop:['CAP_ALL'],"
                            "env:{B:'2',A:'1'},ulimits:{nofile:{soft:5,hard:6},nproc:'10:10'}}}},"
                            "list:[{id:'main'}]}}");
        json_t *e1 = effective(c1, "main"), *e2 = effective(c2, "main");
        PcSandboxSpec *a = build(e1, "agent:main:x", 0, NULL);
        PcSandboxSpec *b = build(e2, "agent:main:y", 0, NULL);
        assert_string_equal(a->config_hash, b->config_hash);
        pc_sandbox_spec_free(a);
        pc_sandbox_spec_free(b);
        json_decref(e1);
        json_decref(e2);
        pc_config_unref(c1);
        pc_config_unref(c2);

        /* Two agents sharing one sandbox with equal settings agree on its hash, even with
         * different agent workspaces (not mounted under "none"). */
        PcConfig *c = load("{agents:{defaults:{sandbox:{mode:'all',scope:'shared',workspaceRoot:"
                           "'/srv/shared',docker:{user:'1:1'}}},list:[{id:'a',workspace:'/srv/a'},"
                           "{id:'b',workspace:'/srv/b'}]}}");
        json_t *ea = effective(c, "a"), *eb = effective(c, "b");
        a = build(ea, "agent:a:x", 0, NULL);
        b = build(eb, "agent:b:y", 0, NULL);
        assert_string_equal(a->name, "pincer-sbx-shared");
        assert_string_equal(a->name, b->name);
        assert_string_equal(a->config_hash, b->config_hash);
        pc_sandbox_spec_free(a);
        pc_sandbox_spec_free(b);
        json_decref(ea);
        json_decref(eb);
        pc_config_unref(c);
}

/* A different value for every docker.* key (and the other sandbox keys the spec uses). The
 * test walks the schema, so a new docker key without an entry here fails the test. */
typedef struct Mutation {
        const char *key;
        const char *json; /* "%s" is replaced by the agent workspace */
} Mutation;

static const Mutation docker_mutations[] = {
        {"image", "\"debian:bookworm-slim\""},
        {"containerPrefix", "\"other-sbx-\""},
        {"workdir", "\"/work\""},
        {"readOnlyRoot", "false"},
        {"tmpfs", "[\"/tmp:size=64m\"]"},
        {"network", "\"bridge\""},
        {"user", "\"0:0\""},
        {"capDrop", "[\"NET_RAW\"]"},
        {"capAdd", "[\"CHOWN\"]"},
        {"env", "{\"LANG\":\"C.UTF-8\",\"FOO\":\"1\"}"},
        {"setupCommand", "\"apt-get install -y git\""},
        {"packages", "[\"git\"]"},
        {"setupNetwork", "\"provision-net\""},
        {"pidsLimit", "100"},
        {"memory", "\"512m\""},
        {"memorySwap", "-1"},
        {"cpus", "1.5"},
        {"ulimits", "{\"nofile\":1024}"},
        {"seccompProfile", "\"/etc/pincer/seccomp.json\""},
        {"apparmorProfile", "\"pincer\""},
        {"dns", "[\"1.1.1.1\"]"},
        {"extraHosts", "[\"db:10.0.0.5\"]"},
        {"binds", "[\"%s/data:/data:ro\"]"},
        {"dangerouslyAllowReservedContainerTargets", "true"},
        {"dangerouslyAllowExternalBindSources", "true"},
        {"dangerouslyAllowContainerNamespaceJoin", "true"},
};

static const struct {
        const char *path; /* below "sandbox" */
        const char *json;
} sandbox_mutations[] = {
        {"workspaceAccess", "\"ro\""},   {"workspaceAccess", "\"rw\""},
        {"workspaceRoot", "\"/srv/x\""}, {"scope", "\"session\""},
        {"scope", "\"shared\""},         {"backend", "\"native\""},
        {"native.userns", "true"},       {"native.hostname", "\"box\""},
};

static void test_hash_covers_every_docker_key(void **state)
{
        PcConfig *cfg = load(fixed_config);
        json_t *base = effective(cfg, "main");
        PcSandboxSpec *s0 = build(base, "agent:main:main", 0, NULL);
        char **seen = NULL;
        size_t n_seen = 0;

        const PcSchemaNode *docker = pc_schema_lookup("agents.defaults.sandbox.docker");
        assert_non_null(docker);
        size_t n_keys = 0;
        for (const PcSchemaNode *m = docker->members; m->key; m++) {
                if (m->flags & (PC_SF_UNIMPLEMENTED | PC_SF_IGNORED))
                        continue;
                n_keys++;
                const Mutation *mut = NULL;
                for (size_t i = 0; i < ELEMENTSOF(docker_mutations); i++)
                        if (strcmp(docker_mutations[i].key, m->key) == 0)
                                mut = &docker_mutations[i];
                if (!mut)
                        fail_msg("docker.%s has no mutation in this test: add one, and make sure "
                                 "the spec (and so the hash) reflects the key",
                                 m->key);
                /* "%s" stands for the agent workspace */
                char text[512];
                const char *ph = strstr(mut->json, "%s");
                if (ph)
                        snprintf(text, sizeof(text), "%.*s/srv/ws%s", (int) (ph - mut->json),
                                 mut->json, ph + 2);
                else
                        snprintf(text, sizeof(text), "%s", mut->json);
                json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
                assert_non_null(v);
                json_t *e = json_deep_copy(base);
                json_object_set_new(docker_of(e), m->key, v);
                PcSandboxSpec *s = build(e, "agent:main:main", 0, NULL);
                if (strcmp(s->config_hash, s0->config_hash) == 0)
                        fail_msg("changing docker.%s to %s does not change the hash", m->key, text);
                /* and every change gives a different hash from every other */
                for (size_t i = 0; i < n_seen; i++)
                        if (strcmp(seen[i], s->config_hash) == 0)
                                fail_msg("docker.%s collides with another mutation", m->key);
                seen = xrealloc(seen, (n_seen + 1) * sizeof(char *));
                seen[n_seen++] = xstrdup(s->config_hash);
                pc_sandbox_spec_free(s);
                json_decref(e);
        }
        assert_int_equal(n_keys, ELEMENTSOF(docker_mutations));

        for (size_t i = 0; i < ELEMENTSOF(sandbox_mutations); i++) {
                json_t *e = json_deep_copy(base);
                json_t *obj = json_object_get(e, "sandbox");
                const char *key = sandbox_mutations[i].path;
                const char *dot = strchr(key, '.');
                if (dot) {
                        _cleanup_free_ char *parent = xstrndup(key, (size_t) (dot - key));
                        json_t *p = json_object_get(obj, parent);
                        if (!p) {
                                p = json_object();
                                json_object_set_new(obj, parent, p);
                        }
                        obj = p;
                        key = dot + 1;
                }
                json_object_set_new(obj, key,
                                    json_loads(sandbox_mutations[i].json, JSON_DECODE_ANY, NULL));
                PcSandboxSpec *s = build(e, "agent:main:main", 0, NULL);
                if (strcmp(s->config_hash, s0->config_hash) == 0)
                        fail_msg("changing sandbox.%s does not change the hash",
                                 sandbox_mutations[i].path);
                pc_sandbox_spec_free(s);
                json_decref(e);
        }

        for (size_t i = 0; i < n_seen; i++)
                free(seen[i]);
        free(seen);
        pc_sandbox_spec_free(s0);
        json_decref(base);
        pc_config_unref(cfg);
}

/* ---- environment ----------------------------------------------------------------------- */

static void test_env_names(void **state)
{
        static const char *const blocked[] = {
                "ANTHROPIC_API_KEY",
                "openai_api_key",
                "GEMINI_API_KEY",
                "OPENROUTER_API_KEY",
                "MINIMAX_API_KEY",
                "ELEVENLABS_API_KEY",
                "SYNTHETIC_API_KEY",
                "TELEGRAM_BOT_TOKEN",
                "DISCORD_BOT_TOKEN",
                "SLACK_BOT_TOKEN",
                "SLACK_APP_TOKEN",
                "LINE_CHANNEL_SECRET",
                "LINE_CHANNEL_ACCESS_TOKEN",
                "OPENCLAW_GATEWAY_TOKEN",
                "OPENCLAW_GATEWAY_PASSWORD",
                "AWS_SECRET_ACCESS_KEY",
                "aws_secret_key",
                "AWS_SESSION_TOKEN",
                "GH_TOKEN",
                "GITHUB_TOKEN",
                "AZURE_API_KEY",
                "AZURE_OPENAI_API_KEY",
                "COHERE_API_KEY",
                "AI_GATEWAY_API_KEY",
                "MY_SERVICE_API_KEY",
                "MYTOKEN",
                "db_password",
                "SSH_PRIVATE_KEY",
                "CLIENT_SECRET",
                " PINCER_GATEWAY_TOKEN ",
        };
        for (size_t i = 0; i < ELEMENTSOF(blocked); i++)
                if (!pc_sandbox_env_name_blocked(blocked[i]))
                        fail_msg("'%s' is not blocked", blocked[i]);
        static const char *const allowed[] = {
                "LANG",        "PATH",          "HOME",     "AWS_ACCESS_KEY_ID", "TOKENIZER",
                "SECRETS_DIR", "API_KEYS_FILE", "NODE_ENV", "PASSWORD_HINT_URL"};
        for (size_t i = 0; i < ELEMENTSOF(allowed); i++)
                if (pc_sandbox_env_name_blocked(allowed[i]))
                        fail_msg("'%s' is blocked", allowed[i]);

        assert_int_equal(pc_sandbox_env_check("A", "x\0y", 3), PC_ENV_BLOCKED_NUL);
        assert_int_equal(pc_sandbox_env_check("A_TOKEN", "x", 1), PC_ENV_BLOCKED_NAME);
        char *big = xmalloc(32770);
        memset(big, 'x', 32769);
        big[32769] = '\0';
        assert_int_equal(pc_sandbox_env_check("A", big, 32769), PC_ENV_WARN_LONG);
        assert_int_equal(pc_sandbox_env_check("A", big, 32768), PC_ENV_WARN_BASE64);
        assert_int_equal(pc_sandbox_env_check("A", big, 79), PC_ENV_OK);
        assert_int_equal(pc_sandbox_env_check("A", big, 80), PC_ENV_WARN_BASE64);
        big[10] = '-';
        assert_int_equal(pc_sandbox_env_check("A", big, 80), PC_ENV_OK);
        free(big);
}

static void test_env_in_spec_and_exec(void **state)
{
        PcConfig *cfg = load("{agents:{defaults:{sandbox:{mode:'all',docker:{user:'1:1'}}},list:[{"
                             "id:'main'}]}}");
        json_t *e = effective(cfg, "main");
        json_t *env = json_object();
        json_object_set_new(env, "LANG", json_string("C.UTF-8"));
        json_object_set_new(env, "OPENAI_API_KEY", json_string("sk-secret"));
        json_object_set_new(env, "db_password", json_string("hunter2"));
        json_object_set_new(env, "AWS_SECRET_ACCESS_KEY", json_string("x"));
        json_object_set_new(env, "NUL_VALUE", json_stringn("a\0b", 3));
        json_object_set_new(env, " SPACED ", json_string("kept"));
        json_object_set_new(env, "", json_string("skipped"));
        json_object_set_new(env, "BLOB",
                            json_string("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZna"
                                        "GlqYWJjZGVmZ2hpamFiY2RlZmdoaWphYmNkZWZnaGlq"));
        json_object_set_new(docker_of(e), "env", env);
        PcSandboxSpec *s = build(e, "k", 0, NULL);
        assert_int_equal(s->n_env, 3);
        assert_string_equal(s->env[0].key, "BLOB"); /* sorted */
        assert_string_equal(s->env[1].key, "LANG");
        assert_string_equal(s->env[2].key, "SPACED");
        assert_int_equal(strv_n(s->env_blocked), 4);
        assert_string_equal(s->env_blocked[0], "OPENAI_API_KEY");
        assert_string_equal(s->env_blocked[3], "NUL_VALUE");
        assert_int_equal(strv_n(s->env_warnings), 1);
        assert_string_equal(s->env_warnings[0],
                            "BLOB: value looks like base64-encoded credential data");
        /* the secret values appear nowhere in the spec's JSON */
        json_t *j = pc_sandbox_spec_to_json(s, false);
        char *dump = json_dumps(j, JSON_COMPACT);
        assert_null(strstr(dump, "sk-secret"));
        assert_null(strstr(dump, "hunter2"));
        free(dump);
        json_decref(j);

        /* exec: the spec's env, then the call's, sanitised with the same rules */
        json_t *call = json_object();
        json_object_set_new(call, "GITHUB_TOKEN", json_string("ghp_x"));
        json_object_set_new(call, "LANG", json_string("en_US.UTF-8"));
        json_object_set_new(call, "PATH", json_string("/opt/bin:/usr/bin"));
        json_object_set_new(call, "BAD", json_stringn("x\0", 2));
        PcSandboxEnv xe = {0};
        pc_sandbox_exec_env(s, call, &xe);
        assert_int_equal(xe.n_vars, 4);
        assert_string_equal(env_get(xe.vars, xe.n_vars, "LANG"), "en_US.UTF-8"); /* call wins */
        assert_string_equal(env_get(xe.vars, xe.n_vars, "PATH"), "/opt/bin:/usr/bin");
        assert_null(env_get(xe.vars, xe.n_vars, "GITHUB_TOKEN"));
        assert_null(env_get(xe.vars, xe.n_vars, "BAD"));
        assert_int_equal(strv_n(xe.blocked), 2);
        pc_sandbox_env_release(&xe);

        /* a blocked call variable also removes an earlier value of that name */
        PcSandboxEnv ye = {0};
        json_t *m1 = json_pack("{s:s}", "X_SECRET_SAUCE", "fine");
        json_t *m2 = json_pack("{s:s}", "x_secret_sauce", "fine");
        pc_sandbox_env_add_json(&ye, m1);
        pc_sandbox_env_add_json(&ye, m2);
        assert_int_equal(ye.n_vars, 2);
        pc_sandbox_env_release(&ye);
        json_decref(m1);
        json_decref(m2);

        json_decref(call);
        pc_sandbox_spec_free(s);
        json_decref(e);
        pc_config_unref(cfg);
}

/* ---- value parsers --------------------------------------------------------------------- */

static void test_memory(void **state)
{
        static const struct {
                const char *s;
                int64_t bytes;
        } ok[] = {
                {"512m", 536870912},
                {"1g", 1073741824},
                {"2GiB", 2147483648},
                {"1.5k", 1536},
                {"100 k", 102400},
                {"1024", 1024},
                {"1b", 1},
                {"64MB", 67108864},
                {" 3t ", 3298534883328},
                {"8p", 9007199254740992},
                {"0", 0},
                {"0.5g", 536870912},
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                int64_t b = -7;
                if (pc_sandbox_parse_memory(ok[i].s, &b) < 0 || b != ok[i].bytes)
                        fail_msg("'%s' = %lld", ok[i].s, (long long) b);
        }
        static const char *const bad[] = {"", "abc", "1.", ".5", "1x", "-1", "1kk", "1 2", "m"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int64_t b;
                if (pc_sandbox_parse_memory(bad[i], &b) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
        }
        int64_t b;
        assert_int_equal(pc_sandbox_parse_memory("99999999999999999999", &b), -ERANGE);
        assert_int_equal(pc_sandbox_parse_memory("9000000p", &b), -ERANGE);

        json_t *v = json_integer(1073741824);
        assert_int_equal(pc_sandbox_memory_from_json(v, false, &b), 0);
        assert_int_equal(b, 1073741824);
        json_decref(v);
        v = json_integer(-1);
        assert_int_equal(pc_sandbox_memory_from_json(v, false, &b), -EINVAL);
        assert_int_equal(pc_sandbox_memory_from_json(v, true, &b), 0);
        assert_int_equal(b, -1);
        json_decref(v);
        v = json_string("-1");
        assert_int_equal(pc_sandbox_memory_from_json(v, true, &b), 0);
        assert_int_equal(b, -1);
        json_decref(v);
        v = json_real(1.9);
        assert_int_equal(pc_sandbox_memory_from_json(v, false, &b), 0);
        assert_int_equal(b, 1);
        json_decref(v);
        v = json_true();
        assert_int_equal(pc_sandbox_memory_from_json(v, false, &b), -EINVAL);
}

static void test_ulimits(void **state)
{
        static const struct {
                const char *json;
                int64_t soft, hard;
        } ok[] = {
                {"\"1024:2048\"", 1024, 2048},
                {"\"512\"", 512, 512},
                {"256", 256, 256},
                {"{\"soft\":1,\"hard\":2}", 1, 2},
                {"{\"hard\":5}", 5, 5},
                {"{\"soft\":7}", 7, 7},
                {"\"-1\"", -1, -1},
                {"\"100:-1\"", 100, -1},
                {"-1", -1, -1},
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                json_t *v = json_loads(ok[i].json, JSON_DECODE_ANY, NULL);
                int64_t s = 0, h = 0;
                if (pc_sandbox_ulimit_from_json(v, &s, &h) < 0 || s != ok[i].soft ||
                    h != ok[i].hard)
                        fail_msg("%s → %lld:%lld", ok[i].json, (long long) s, (long long) h);
                json_decref(v);
        }
        static const char *const bad[] = {"\"2:1\"", "\"-1:5\"", "\"a\"", "\"1:\"",
                                          "{}",      "-2",       "true",  "{\"soft\":\"1\"}",
                                          "\":5\""};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
                int64_t s, h;
                if (pc_sandbox_ulimit_from_json(v, &s, &h) >= 0)
                        fail_msg("%s accepted", bad[i]);
                json_decref(v);
        }
}

/* ---- the fake backend and the handle --------------------------------------------------- */

static void test_fake_backend(void **state)
{
        PcConfig *cfg = load(fixed_config);
        json_t *e = effective(cfg, "main");
        PcSandboxSpec *spec = build(e, "agent:main:main", 0, NULL);
        PcFakeBackend *fb = pc_fake_backend_new();
        PcSandbox *sb = pc_sandbox_new(&pc_fake_sandbox_ops, fb, spec->name);
        PcError err = PC_ERROR_INIT;
        PcSandboxInfo info;

        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(info.state, PC_SANDBOX_STATE_MISSING);
        assert_int_equal(pc_sandbox_decide(&info, spec->config_hash, false),
                         PC_SANDBOX_ACTION_CREATE);

        /* injected failure, once */
        pc_fake_backend_fail(fb, PC_FAKE_CREATE, -EIO, false, "engine down");
        assert_int_equal(pc_sandbox_create(sb, spec, &err), -EIO);
        assert_string_equal(err.msg, "sandbox 'pincer-sbx-agent-main-f331f052': engine down");
        assert_int_equal(pc_sandbox_create(sb, spec, &err), 0);
        assert_int_equal(pc_sandbox_create(sb, spec, &err), -EEXIST);
        const PcFakeSandbox *fs = pc_fake_backend_find(fb, spec->name);
        assert_non_null(fs);
        assert_string_equal(fs->config_hash, spec->config_hash);
        assert_non_null(strstr(fs->spec_json, "\"name\":\"pincer-sbx-agent-main-f331f052\""));

        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(info.state, PC_SANDBOX_STATE_RUNNING);
        assert_int_equal(pc_sandbox_decide(&info, spec->config_hash, false),
                         PC_SANDBOX_ACTION_REUSE);
        assert_int_equal(pc_sandbox_decide(&info, "other", false), PC_SANDBOX_ACTION_RECREATE);
        assert_int_equal(pc_sandbox_decide(&info, "other", true),
                         PC_SANDBOX_ACTION_RECREATE_WHEN_IDLE);

        /* exec */
        pc_fake_backend_set_exec_result(fb, 3, "hi\n", "oops\n");
        const char *argv[] = {"/bin/sh", "-c", "echo hi", NULL};
        PcSandboxEnv env = {0};
        pc_sandbox_exec_env(spec, NULL, &env);
        PcExecRequest req = {.argv = argv, .env = env.vars, .n_env = env.n_vars};
        PcExecResult res;
        pc_exec_result_init(&res);
        assert_int_equal(pc_sandbox_exec(sb, &req, &res, &err), 0);
        assert_int_equal(res.exit_code, 3);
        assert_string_equal(res.out.buf, "hi\n");
        assert_string_equal(res.err.buf, "oops\n");
        pc_exec_result_release(&res);
        pc_sandbox_env_release(&env);
        const char *empty[] = {NULL};
        PcExecRequest bad = {.argv = empty};
        assert_int_equal(pc_sandbox_exec(sb, &bad, &res, &err), -EINVAL);

        PcSandboxStats st;
        assert_int_equal(pc_sandbox_stats(sb, &st, &err), 0);

        /* a spec for another name, or edited after hashing, is refused before the backend */
        PcSandbox *other = pc_sandbox_new(&pc_fake_sandbox_ops, fb, "pincer-sbx-other");
        assert_int_equal(pc_sandbox_create(other, spec, &err), -EINVAL);
        other = pc_sandbox_free(other);
        spec->pids_limit = 99;
        assert_int_equal(pc_sandbox_create(sb, spec, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "changed after its config hash"));

        assert_int_equal(pc_sandbox_destroy(sb, &err), 0);
        assert_null(pc_fake_backend_find(fb, spec->name));
        assert_int_equal(pc_sandbox_destroy(sb, &err), 0); /* missing is fine */
        assert_int_equal(pc_sandbox_exec(sb, &req, &res, &err), -ENOENT);
        pc_exec_result_release(&res);

        /* sticky failure */
        pc_fake_backend_fail(fb, PC_FAKE_INSPECT, -ECONNREFUSED, true, NULL);
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), -ECONNREFUSED);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), -ECONNREFUSED);

        /* recorded calls: inspect, create×3, inspect, exec, stats, destroy×2, exec, inspect×2
         * (the wrappers' own refusals never reach the backend) */
        assert_int_equal(pc_fake_backend_count(fb, PC_FAKE_CREATE), 3);
        assert_int_equal(pc_fake_backend_count(fb, PC_FAKE_EXEC), 2);
        assert_int_equal(pc_fake_backend_count(fb, PC_FAKE_INSPECT), 4);
        assert_int_equal(pc_fake_backend_count(fb, PC_FAKE_DESTROY), 2);
        assert_int_equal(pc_fake_backend_count(fb, PC_FAKE_STATS), 1);
        assert_string_equal(fb->calls[5].argv, "/bin/sh -c echo hi");
        assert_int_equal(fb->calls[5].n_env, spec->n_env);
        assert_int_equal(fb->calls[1].result, -EIO);

        /* an existing sandbox left by an earlier run, with an old hash and stopped */
        pc_fake_backend_add_existing(fb, spec->name, "old", PC_SANDBOX_STATE_STOPPED);
        pc_fake_backend_fail(fb, PC_FAKE_INSPECT, 0, false, NULL);
        assert_int_equal(pc_sandbox_inspect(sb, &info, &err), 0);
        assert_int_equal(pc_sandbox_decide(&info, spec->config_hash, false),
                         PC_SANDBOX_ACTION_RECREATE);
        assert_int_equal(pc_sandbox_decide(&info, "old", false), PC_SANDBOX_ACTION_START);

        pc_sandbox_free(sb);
        pc_fake_backend_free(fb);
        pc_sandbox_spec_free(spec);
        json_decref(e);
        pc_config_unref(cfg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_full_example),
                T(test_multi_agent_family),
                T(test_multi_agent_modes),
                T(test_multi_agent_shared),
                T(test_multi_agent_profiles),
                T(test_session_scope_aliases),
                T(test_workspace_access),
                T(test_user_and_paths),
                T(test_runtime_checks),
                T(test_hash_stable),
                T(test_hash_ignores_equivalent_forms),
                T(test_hash_covers_every_docker_key),
                T(test_env_names),
                T(test_env_in_spec_and_exec),
                T(test_memory),
                T(test_ulimits),
                T(test_fake_backend),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
