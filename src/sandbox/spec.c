/* SPDX-License-Identifier: MIT */
/*
 * Effective agent configuration → PcSandboxSpec (spec 1.4-1.11, 2.3, 2.8).
 *
 * Workspace access (spec 1.5, with Pincer's decision 10 for "none"):
 *
 *   access   mounted at workdir              mode    agent workspace at /agent
 *   none     the scope's private workspace   rw      no
 *   ro       the scope's private workspace   ro      yes, ro (when it is another dir)
 *   rw       the agent workspace itself      rw      no
 */
#include <ctype.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs-util.h"
#include "base/log.h"
#include "sandbox-internal.h"

#define WORKSPACE_DIR_MODE 0700
#define AGENT_MOUNT_TARGET "/agent"

/* The builder's state: the spec under construction and the inputs. */
typedef struct Builder {
        PcSandboxSpec *spec;
        const json_t *sandbox; /* effective "sandbox" */
        const json_t *docker;  /* effective "sandbox.docker" (may be NULL) */
        const PcSandboxSpecOptions *opts;
} Builder;

static char *opt_string(const json_t *obj, const char *key)
{
        const char *s = json_string_value(json_object_get(obj, key));
        if (!s)
                return NULL;
        char *t = pc__trim(s);
        if (*t)
                return t;
        free(t);
        return NULL;
}

static bool opt_bool(const json_t *obj, const char *key, bool dflt)
{
        const json_t *v = json_object_get(obj, key);
        return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* An array of strings: trimmed, blanks skipped, map applied when given. */
static char **string_list(const json_t *arr, char *(*map)(const char *) )
{
        char **v = NULL;
        size_t i;
        const json_t *item;
        json_array_foreach ((json_t *) arr, i, item) {
                if (!json_is_string(item))
                        continue;
                _cleanup_free_ char *t = pc__trim(json_string_value(item));
                if (!*t)
                        continue;
                char *s = map ? map(t) : TAKE_PTR(t);
                if (pc__strv_contains(v, s))
                        free(s);
                else
                        v = pc__strv_push(v, s);
        }
        return v;
}

/* "net_raw", "CAP_NET_RAW" → "NET_RAW". */
static char *cap_name(const char *s)
{
        if (strncasecmp(s, "CAP_", 4) == 0)
                s += 4;
        char *c = xstrdup(s);
        for (char *p = c; *p; p++)
                *p = (char) toupper((unsigned char) *p);
        return c;
}

static char *absolute_path(const json_t *v, const char *what, PcError *reterr, int *r)
{
        const char *s = json_string_value(v);
        _cleanup_free_ char *t = pc__trim(s);
        if (t[0] != '/') {
                *r = pc_error_set(reterr, -EINVAL, "%s '%s' is not an absolute path", what,
                                  s ? s : "(unset)");
                return NULL;
        }
        *r = 0;
        return pc__path_normalize(t);
}

static void add_label(PcSandboxSpec *spec, const char *key, const char *value)
{
        spec->labels = xrealloc(spec->labels, (spec->n_labels + 1) * sizeof(PcKeyValue));
        spec->labels[spec->n_labels++] = (PcKeyValue){xstrdup(key), xstrdup(value)};
}

static int add_mount(PcSandboxSpec *spec, PcSandboxMount *m, const char *bind, PcError *reterr)
{
        for (size_t i = 0; i < spec->n_mounts; i++) {
                if (!streq(spec->mounts[i].target, m->target))
                        continue;
                const char *other = spec->mounts[i].kind == PC_MOUNT_BIND ? "a bind mount"
                                    : spec->mounts[i].kind == PC_MOUNT_AGENT
                                            ? "the agent workspace"
                                            : "the sandbox workspace";
                return pc_error_set(reterr, -EEXIST,
                                    "Sandbox security: bind mount \"%s\" reuses container path "
                                    "\"%s\", already used by %s (source \"%s\"). Hint: give each "
                                    "bind its own container path.",
                                    bind, m->target, other, spec->mounts[i].source);
        }
        spec->mounts = xrealloc(spec->mounts, (spec->n_mounts + 1) * sizeof(PcSandboxMount));
        spec->mounts[spec->n_mounts++] = *m;
        *m = (PcSandboxMount){0};
        return 0;
}

/* ---- steps ----------------------------------------------------------------------------- */

static int build_identity(Builder *b, const json_t *eff, const char *session_key, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        const char *id = json_string_value(json_object_get(eff, "id"));
        const char *scope_s = json_string_value(json_object_get(b->sandbox, "scope"));
        if (!id || !scope_s)
                return pc_error_set(reterr, -EINVAL,
                                    "the effective agent configuration lacks id or sandbox.scope");
        spec->scope = pc_sandbox_scope_from_string(scope_s);
        if (spec->scope < 0)
                return pc_error_set(reterr, -EINVAL, "agent '%s': unknown sandbox scope '%s'", id,
                                    scope_s);
        spec->agent_id = xstrdup(id);
        spec->scope_key = pc_sandbox_scope_key(spec->scope, session_key, id);
        _cleanup_free_ char *prefix = opt_string(b->docker, "containerPrefix");
        spec->name = pc_sandbox_name(prefix, spec->scope, spec->scope_key);

        spec->backend = opt_string(b->sandbox, "backend");
        if (!spec->backend)
                spec->backend = xstrdup("native");
        for (char *p = spec->backend; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return 0;
}

/* The private workspace (none, ro) belongs to the sandbox: with a numeric docker.user
 * ("1000", "1000:1000") that user must own it, or the sandbox cannot write its own workspace
 * (a name is resolved only inside the image: the directory is left as it is). */
static void own_private_workspace(const char *dir, const char *user)
{
        char *end;
        if (!user || geteuid() != 0)
                return;
        errno = 0;
        unsigned long uid = strtoul(user, &end, 10), gid = (unsigned long) -1;
        if (end == user || errno || uid == 0 || uid > UINT32_MAX - 1)
                return;
        if (*end == ':') {
                const char *g = end + 1;
                gid = strtoul(g, &end, 10);
                if (end == g || errno || gid > UINT32_MAX - 1)
                        return;
        }
        if (*end)
                return;
        struct stat st;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return;
        if (st.st_uid != uid || (gid != (unsigned long) -1 && st.st_gid != gid))
                if (chown(dir, (uid_t) uid, (gid_t) gid) < 0)
                        (void) log_warning_errno(
                                -errno, "sandbox: cannot give the workspace '%s' to user %s: %m",
                                dir, user);
}

static int build_workspace(Builder *b, const json_t *eff, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        int r;
        const char *access_s = json_string_value(json_object_get(b->sandbox, "workspaceAccess"));
        spec->workspace_access =
                access_s ? pc_workspace_access_from_string(access_s) : PC_WORKSPACE_ACCESS_NONE;
        if (spec->workspace_access < 0)
                return pc_error_set(reterr, -EINVAL, "unknown sandbox workspaceAccess '%s'",
                                    access_s);

        spec->agent_workspace_dir =
                absolute_path(json_object_get(eff, "workspace"), "agent workspace", reterr, &r);
        if (r < 0)
                return r;
        _cleanup_free_ char *root = absolute_path(json_object_get(b->sandbox, "workspaceRoot"),
                                                  "sandbox workspaceRoot", reterr, &r);
        if (r < 0)
                return r;
        spec->sandbox_workspace_dir = pc_sandbox_workspace_dir(root, spec->scope, spec->scope_key);
        spec->workspace_dir = xstrdup(spec->workspace_access == PC_WORKSPACE_ACCESS_RW
                                              ? spec->agent_workspace_dir
                                              : spec->sandbox_workspace_dir);

        if (!b->opts->no_mkdir) {
                /* The agent workspace is mounted for ro and rw, so it must exist too. */
                const char *dirs[] = {spec->workspace_dir,
                                      spec->workspace_access != PC_WORKSPACE_ACCESS_NONE
                                              ? spec->agent_workspace_dir
                                              : NULL};
                for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                        if (!dirs[i])
                                continue;
                        r = pc_mkdir_p(dirs[i], WORKSPACE_DIR_MODE);
                        if (r < 0)
                                return pc_error_set(reterr, r,
                                                    "Failed to create sandbox workspace '%s': %s",
                                                    dirs[i], strerror(-r));
                }
                if (spec->workspace_access != PC_WORKSPACE_ACCESS_RW)
                        own_private_workspace(
                                spec->sandbox_workspace_dir,
                                json_string_value(json_object_get(b->docker, "user")));
                /* TODO(seeding, spec 1.6): copy AGENTS.md, SOUL.md, TOOLS.md, IDENTITY.md,
                 * USER.md, BOOTSTRAP.md and HEARTBEAT.md from the agent workspace into a new
                 * private workspace (none/ro), once per file, never overwriting, through the
                 * confined file API (O_NOFOLLOW, exclusive create). */
        }
        return 0;
}

/* spec 2.3: docker.user verbatim, else the owner of the workspace dir, else the image's. */
static void build_user(Builder *b)
{
        PcSandboxSpec *spec = b->spec;
        spec->user = opt_string(b->docker, "user");
        if (spec->user)
                return;
        struct stat st;
        if (stat(spec->workspace_dir, &st) == 0)
                spec->user = xasprintf("%u:%u", (unsigned) st.st_uid, (unsigned) st.st_gid);
        else
                log_debug("sandbox: cannot stat '%s' for the sandbox user, using the image's",
                          spec->workspace_dir);
}

static int build_process(Builder *b, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        const json_t *d = b->docker;
        int r;

        spec->image = opt_string(d, "image");
        if (!spec->image)
                return pc_error_set(reterr, -EINVAL, "sandbox.docker.image is empty");
        const json_t *wd = json_object_get(d, "workdir");
        if (wd) {
                spec->workdir = absolute_path(wd, "sandbox.docker.workdir", reterr, &r);
                if (r < 0)
                        return r;
        } else
                spec->workdir = xstrdup("/workspace");
        spec->read_only_root = opt_bool(d, "readOnlyRoot", true);

        size_t i;
        const json_t *item;
        json_array_foreach (json_object_get(d, "tmpfs"), i, item) {
                _cleanup_free_ char *t = pc__trim(json_string_value(item));
                if (!*t)
                        continue;
                char *colon = strchr(t, ':');
                if (colon)
                        *colon = '\0';
                if (t[0] != '/')
                        return pc_error_set(reterr, -EINVAL,
                                            "sandbox.docker.tmpfs entry '%s' is not an absolute "
                                            "path",
                                            t);
                spec->tmpfs = xrealloc(spec->tmpfs, (spec->n_tmpfs + 1) * sizeof(PcSandboxTmpfs));
                spec->tmpfs[spec->n_tmpfs++] = (PcSandboxTmpfs){
                        .path = pc__path_normalize(t),
                        .options = colon && colon[1] ? xstrdup(colon + 1) : NULL,
                };
        }

        /* An empty network would mean the engine's default (bridge): fail closed instead. */
        spec->network = opt_string(d, "network");
        if (!spec->network || strcasecmp(spec->network, "none") == 0) {
                free(spec->network);
                spec->network = xstrdup("none");
        } else if (strcasecmp(spec->network, "bridge") == 0) {
                free(spec->network);
                spec->network = xstrdup("bridge");
        }
        spec->allow_container_namespace_join =
                opt_bool(d, "dangerouslyAllowContainerNamespaceJoin", false);
        r = pc_sandbox_network_check(spec->network, spec->allow_container_namespace_join, reterr);
        if (r < 0)
                return r;

        spec->cap_drop = string_list(json_object_get(d, "capDrop"), cap_name);
        spec->cap_add = string_list(json_object_get(d, "capAdd"), cap_name);

        PcSandboxEnv env = {0};
        pc_sandbox_env_add_json(&env, json_object_get(d, "env"));
        spec->env = TAKE_PTR(env.vars);
        spec->n_env = env.n_vars;
        spec->env_blocked = TAKE_PTR(env.blocked);
        spec->env_warnings = TAKE_PTR(env.warnings);

        const json_t *native = json_object_get(b->sandbox, "native");
        spec->hostname = opt_string(native, "hostname");
        spec->userns = opt_bool(native, "userns", false);
        return 0;
}

static int ulimit_cmp(const void *a, const void *b)
{
        return strcmp(((const PcSandboxUlimit *) a)->name, ((const PcSandboxUlimit *) b)->name);
}

static int build_limits(Builder *b, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        const json_t *d = b->docker, *v;
        int r;

        v = json_object_get(d, "pidsLimit");
        if (json_is_integer(v) && json_integer_value(v) > 0)
                spec->pids_limit = json_integer_value(v);
        if ((v = json_object_get(d, "memory")) &&
            (r = pc_sandbox_memory_from_json(v, false, &spec->memory_bytes)) < 0)
                return pc_error_set(reterr, r, "invalid sandbox.docker.memory");
        if ((v = json_object_get(d, "memorySwap")) &&
            (r = pc_sandbox_memory_from_json(v, true, &spec->memory_swap_bytes)) < 0)
                return pc_error_set(reterr, r, "invalid sandbox.docker.memorySwap");
        v = json_object_get(d, "cpus");
        if (json_is_number(v) && json_number_value(v) > 0)
                spec->cpus = json_number_value(v);

        const char *k;
        json_object_foreach ((json_t *) json_object_get(d, "ulimits"), k, v) {
                int64_t soft, hard;
                r = pc_sandbox_ulimit_from_json(v, &soft, &hard);
                if (r < 0)
                        return pc_error_set(reterr, r, "invalid sandbox.docker.ulimits.%s", k);
                spec->ulimits =
                        xrealloc(spec->ulimits, (spec->n_ulimits + 1) * sizeof(PcSandboxUlimit));
                spec->ulimits[spec->n_ulimits++] =
                        (PcSandboxUlimit){.name = xstrdup(k), .soft = soft, .hard = hard};
        }
        if (spec->n_ulimits > 1)
                qsort(spec->ulimits, spec->n_ulimits, sizeof(PcSandboxUlimit), ulimit_cmp);

        spec->seccomp_profile = opt_string(d, "seccompProfile");
        spec->apparmor_profile = opt_string(d, "apparmorProfile");
        r = pc_sandbox_profiles_check(spec->seccomp_profile, spec->apparmor_profile, reterr);
        if (r < 0)
                return r;
        spec->dns = string_list(json_object_get(d, "dns"), NULL);
        spec->extra_hosts = string_list(json_object_get(d, "extraHosts"), NULL);
        return 0;
}

static int build_mounts(Builder *b, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        int r;

        PcSandboxMount ws = {
                .kind = PC_MOUNT_WORKSPACE,
                .source = xstrdup(spec->workspace_dir),
                .target = xstrdup(spec->workdir),
                /* Pincer: "none" is a private, writable workspace (OpenClaw mounts it ro). */
                .read_only = spec->workspace_access == PC_WORKSPACE_ACCESS_RO,
        };
        r = add_mount(spec, &ws, spec->workspace_dir, reterr);
        pc_sandbox_mount_release(&ws);
        if (r < 0)
                return r;
        if (spec->workspace_access == PC_WORKSPACE_ACCESS_RO &&
            !streq(spec->agent_workspace_dir, spec->workspace_dir)) {
                if (streq(spec->workdir, AGENT_MOUNT_TARGET))
                        return pc_error_set(reterr, -EEXIST,
                                            "sandbox.docker.workdir '%s' collides with the agent "
                                            "workspace mount of workspaceAccess \"ro\". Hint: "
                                            "choose another workdir, e.g. /workspace.",
                                            spec->workdir);
                PcSandboxMount agent = {
                        .kind = PC_MOUNT_AGENT,
                        .source = xstrdup(spec->agent_workspace_dir),
                        .target = xstrdup(AGENT_MOUNT_TARGET),
                        .read_only = true,
                };
                r = add_mount(spec, &agent, spec->agent_workspace_dir, reterr);
                pc_sandbox_mount_release(&agent);
                if (r < 0)
                        return r;
        }

        spec->allow_reserved_targets =
                opt_bool(b->docker, "dangerouslyAllowReservedContainerTargets", false);
        spec->allow_external_bind_sources =
                opt_bool(b->docker, "dangerouslyAllowExternalBindSources", false);
        const char *roots[] = {spec->workspace_dir, spec->agent_workspace_dir, NULL};
        PcBindPolicy policy = {
                .allowed_roots = roots,
                .home_dirs = b->opts->home_dirs,
                .workdir = spec->workdir,
                .allow_reserved_targets = spec->allow_reserved_targets,
                .allow_external_sources = spec->allow_external_bind_sources,
        };
        size_t i;
        const json_t *item;
        json_array_foreach (json_object_get(b->docker, "binds"), i, item) {
                const char *bind = json_string_value(item);
                _cleanup_free_ char *t = pc__trim(bind);
                if (!*t)
                        continue;
                _cleanup_(pc_sandbox_mount_release) PcSandboxMount m = {0};
                r = pc_sandbox_bind_check(t, &policy, &m, reterr);
                if (r < 0)
                        return r;
                r = add_mount(spec, &m, t, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int build_provisioning(Builder *b, PcError *reterr)
{
        PcSandboxSpec *spec = b->spec;
        const json_t *sc = json_object_get(b->docker, "setupCommand");
        _cleanup_buf_ PcBuf cmd = PC_BUF_INIT;
        if (json_is_string(sc))
                pc_buf_addstr(&cmd, json_string_value(sc));
        else if (json_is_array(sc)) {
                size_t i;
                const json_t *item;
                json_array_foreach ((json_t *) sc, i, item) {
                        if (i > 0)
                                pc_buf_addch(&cmd, '\n');
                        pc_buf_addstr(&cmd, json_string_value(item) ? json_string_value(item) : "");
                }
        }
        _cleanup_free_ char *trimmed = pc__trim(cmd.buf);
        if (*trimmed)
                spec->setup_command = TAKE_PTR(trimmed);

        spec->packages = string_list(json_object_get(b->docker, "packages"), NULL);
        spec->setup_network = opt_string(b->docker, "setupNetwork");
        if (!spec->setup_network)
                spec->setup_network = xstrdup("bridge");
        /* The provisioning container runs as root: it never joins another namespace. */
        int r = pc_sandbox_network_check(spec->setup_network, false, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox.docker.setupNetwork");
        return 0;
}

int pc_sandbox_spec_build(const json_t *effective, const char *session_key,
                          const PcSandboxSpecOptions *opts, PcSandboxSpec **ret, PcError *reterr)
{
        static const PcSandboxSpecOptions no_opts = {0};
        _cleanup_(pc_sandbox_spec_freep) PcSandboxSpec *spec = xcalloc(1, sizeof(*spec));
        Builder b = {
                .spec = spec,
                .sandbox = json_object_get(effective, "sandbox"),
                .opts = opts ? opts : &no_opts,
        };
        if (!json_is_object(b.sandbox))
                return pc_error_set(reterr, -EINVAL,
                                    "the effective agent configuration has no sandbox object");
        b.docker = json_object_get(b.sandbox, "docker");

        int r = build_identity(&b, effective, session_key, reterr);
        if (r >= 0)
                r = build_workspace(&b, effective, reterr);
        if (r >= 0)
                r = build_process(&b, reterr);
        if (r >= 0)
                r = build_limits(&b, reterr);
        if (r >= 0)
                r = build_mounts(&b, reterr);
        if (r >= 0)
                r = build_provisioning(&b, reterr);
        if (r < 0)
                return r;
        build_user(&b);

        add_label(spec, "pincer.sandbox", "1");
        add_label(spec, "pincer.scopeKey", spec->scope_key);
        r = pc_sandbox_spec_hash(spec, spec->config_hash);
        if (r < 0)
                return pc_error_set(reterr, r,
                                    "sandbox '%s': a path in its spec is not valid UTF-8",
                                    spec->name);
        add_label(spec, "pincer.configHash", spec->config_hash);

        log_debug("sandbox: spec for '%s' (scope key '%s', agent '%s'): hash %s", spec->name,
                  spec->scope_key, spec->agent_id, spec->config_hash);
        *ret = TAKE_PTR(spec);
        return 0;
}

bool pc_sandbox_spec_needs_provisioning(const PcSandboxSpec *spec)
{
        return spec->setup_command || (spec->packages && spec->packages[0]);
}

char *pc_sandbox_spec_provision_script(const PcSandboxSpec *spec)
{
        _cleanup_buf_ PcBuf s = PC_BUF_INIT;
        pc_buf_addstr(&s, "set -e\n");
        if (spec->packages && spec->packages[0]) {
                /* Package names were validated by the config schema (no shell syntax). */
                pc_buf_addstr(&s, "export DEBIAN_FRONTEND=noninteractive\n"
                                  "apt-get update\n"
                                  "apt-get install -y --no-install-recommends");
                for (char **p = spec->packages; *p; p++)
                        pc_buf_addf(&s, " %s", *p);
                pc_buf_addstr(&s, "\nrm -rf /var/lib/apt/lists/*\n");
        }
        if (spec->setup_command)
                pc_buf_addf(&s, "%s\n", spec->setup_command);
        return pc_buf_detach(&s);
}
