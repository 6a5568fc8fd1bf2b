/* SPDX-License-Identifier: MIT */
/*
 * Enum names, ownership helpers, the PcSandbox handle with checked wrappers around the backend
 * ops, and the create/reuse/recreate decision.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <strings.h>

#include "base/alloc.h"
#include "sandbox-internal.h"

/* ---- enum names ------------------------------------------------------------------------ */

static const char *const mode_names[_PC_SANDBOX_MODE_MAX] = {
        [PC_SANDBOX_MODE_OFF] = "off",
        [PC_SANDBOX_MODE_NON_MAIN] = "non-main",
        [PC_SANDBOX_MODE_ALL] = "all",
};
static const char *const scope_names[_PC_SANDBOX_SCOPE_MAX] = {
        [PC_SANDBOX_SCOPE_SESSION] = "session",
        [PC_SANDBOX_SCOPE_AGENT] = "agent",
        [PC_SANDBOX_SCOPE_SHARED] = "shared",
};
static const char *const access_names[_PC_WORKSPACE_ACCESS_MAX] = {
        [PC_WORKSPACE_ACCESS_NONE] = "none",
        [PC_WORKSPACE_ACCESS_RO] = "ro",
        [PC_WORKSPACE_ACCESS_RW] = "rw",
};
static const char *const mount_kind_names[_PC_MOUNT_KIND_MAX] = {
        [PC_MOUNT_WORKSPACE] = "workspace",
        [PC_MOUNT_AGENT] = "agent",
        [PC_MOUNT_BIND] = "bind",
};
static const char *const state_names[_PC_SANDBOX_STATE_MAX] = {
        [PC_SANDBOX_STATE_MISSING] = "missing",
        [PC_SANDBOX_STATE_STOPPED] = "stopped",
        [PC_SANDBOX_STATE_RUNNING] = "running",
};
static const char *const action_names[_PC_SANDBOX_ACTION_MAX] = {
        [PC_SANDBOX_ACTION_CREATE] = "create",
        [PC_SANDBOX_ACTION_START] = "start",
        [PC_SANDBOX_ACTION_REUSE] = "reuse",
        [PC_SANDBOX_ACTION_RECREATE] = "recreate",
        [PC_SANDBOX_ACTION_RECREATE_WHEN_IDLE] = "recreate-when-idle",
};

static const char *name_of(const char *const *names, int max, int v)
{
        return v >= 0 && v < max ? names[v] : NULL;
}

static int value_of(const char *const *names, int max, const char *s)
{
        for (int i = 0; s && i < max; i++)
                if (streq(names[i], s))
                        return i;
        return -EINVAL;
}

const char *pc_sandbox_mode_to_string(PcSandboxMode m)
{
        return name_of(mode_names, _PC_SANDBOX_MODE_MAX, m);
}

PcSandboxMode pc_sandbox_mode_from_string(const char *s)
{
        return value_of(mode_names, _PC_SANDBOX_MODE_MAX, s);
}

const char *pc_sandbox_scope_to_string(PcSandboxScope s)
{
        return name_of(scope_names, _PC_SANDBOX_SCOPE_MAX, s);
}

PcSandboxScope pc_sandbox_scope_from_string(const char *s)
{
        return value_of(scope_names, _PC_SANDBOX_SCOPE_MAX, s);
}

const char *pc_workspace_access_to_string(PcWorkspaceAccess a)
{
        return name_of(access_names, _PC_WORKSPACE_ACCESS_MAX, a);
}

PcWorkspaceAccess pc_workspace_access_from_string(const char *s)
{
        return value_of(access_names, _PC_WORKSPACE_ACCESS_MAX, s);
}

const char *pc_mount_kind_to_string(PcMountKind k)
{
        return name_of(mount_kind_names, _PC_MOUNT_KIND_MAX, k);
}

const char *pc_sandbox_state_to_string(PcSandboxState s)
{
        return name_of(state_names, _PC_SANDBOX_STATE_MAX, s);
}

const char *pc_sandbox_action_to_string(PcSandboxAction a)
{
        return name_of(action_names, _PC_SANDBOX_ACTION_MAX, a);
}

/* ---- internal helpers ------------------------------------------------------------------ */

size_t pc__strv_len(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

char **pc__strv_push(char **v, char *s)
{
        size_t n = pc__strv_len(v);
        v = xrealloc(v, (n + 2) * sizeof(char *));
        v[n] = s;
        v[n + 1] = NULL;
        return v;
}

char **pc__strv_copy(char *const *v)
{
        char **copy = NULL;
        for (size_t i = 0; v && v[i]; i++)
                copy = pc__strv_push(copy, xstrdup(v[i]));
        return copy;
}

char **pc__strv_free(char **v)
{
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
        return NULL;
}

bool pc__strv_contains(char *const *v, const char *s)
{
        for (size_t i = 0; v && v[i]; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

char *pc__trim(const char *s)
{
        if (!s)
                return xstrdup("");
        while (*s && isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char) s[n - 1]))
                n--;
        return xstrndup(s, n);
}

const json_t *pc__json_at(const json_t *v, const char *dotted)
{
        const char *p = dotted;
        while (v && *p) {
                size_t n = strcspn(p, ".");
                char key[128];
                if (n >= sizeof(key))
                        return NULL;
                memcpy(key, p, n);
                key[n] = '\0';
                v = json_object_get(v, key);
                p += n;
                if (*p == '.')
                        p++;
        }
        return v;
}

/* ---- ownership ------------------------------------------------------------------------- */

void pc_sandbox_mount_release(PcSandboxMount *m)
{
        if (!m)
                return;
        free(m->source);
        free(m->target);
        free(m->options);
        *m = (PcSandboxMount){0};
}

static void kv_free_array(PcKeyValue *kv, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(kv[i].key);
                free(kv[i].value);
        }
        free(kv);
}

void pc_sandbox_env_release(PcSandboxEnv *env)
{
        if (!env)
                return;
        kv_free_array(env->vars, env->n_vars);
        pc__strv_free(env->blocked);
        pc__strv_free(env->warnings);
        *env = (PcSandboxEnv){0};
}

void pc_sandbox_session_release(PcSandboxSession *s)
{
        if (!s)
                return;
        free(s->session_key);
        free(s->agent_id);
        free(s->main_key);
        free(s->canonical_key);
        *s = (PcSandboxSession){0};
}

PcSandboxSpec *pc_sandbox_spec_free(PcSandboxSpec *spec)
{
        if (!spec)
                return NULL;
        free(spec->name);
        free(spec->scope_key);
        free(spec->agent_id);
        free(spec->backend);
        free(spec->image);
        free(spec->workdir);
        free(spec->user);
        free(spec->hostname);
        for (size_t i = 0; i < spec->n_tmpfs; i++) {
                free(spec->tmpfs[i].path);
                free(spec->tmpfs[i].options);
        }
        free(spec->tmpfs);
        free(spec->network);
        pc__strv_free(spec->cap_drop);
        pc__strv_free(spec->cap_add);
        kv_free_array(spec->env, spec->n_env);
        for (size_t i = 0; i < spec->n_ulimits; i++)
                free(spec->ulimits[i].name);
        free(spec->ulimits);
        free(spec->seccomp_profile);
        free(spec->apparmor_profile);
        pc__strv_free(spec->dns);
        pc__strv_free(spec->extra_hosts);
        free(spec->workspace_dir);
        free(spec->sandbox_workspace_dir);
        free(spec->agent_workspace_dir);
        for (size_t i = 0; i < spec->n_mounts; i++)
                pc_sandbox_mount_release(&spec->mounts[i]);
        free(spec->mounts);
        free(spec->setup_command);
        pc__strv_free(spec->packages);
        free(spec->setup_network);
        kv_free_array(spec->labels, spec->n_labels);
        pc__strv_free(spec->env_blocked);
        pc__strv_free(spec->env_warnings);
        free(spec);
        return NULL;
}

void pc_exec_result_init(PcExecResult *r)
{
        *r = (PcExecResult){.exit_code = -1};
        pc_buf_init(&r->out);
        pc_buf_init(&r->err);
}

void pc_exec_result_release(PcExecResult *r)
{
        if (!r)
                return;
        pc_buf_release(&r->out);
        pc_buf_release(&r->err);
}

/* ---- the handle ------------------------------------------------------------------------ */

PcSandbox *pc_sandbox_new(const PcSandboxOps *ops, void *backend, const char *name)
{
        PcSandbox *sb = xcalloc(1, sizeof(*sb));
        sb->ops = ops;
        sb->backend = backend;
        sb->name = xstrdup(name);
        return sb;
}

PcSandbox *pc_sandbox_free(PcSandbox *sb)
{
        if (!sb)
                return NULL;
        if (sb->ops && sb->ops->release)
                sb->ops->release(sb);
        free(sb->name);
        free(sb);
        return NULL;
}

static int no_op(PcSandbox *sb, const char *op, PcError *reterr)
{
        return pc_error_set(reterr, -EOPNOTSUPP, "sandbox '%s': the %s backend cannot %s", sb->name,
                            sb->ops && sb->ops->name ? sb->ops->name : "(null)", op);
}

int pc_sandbox_create(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr)
{
        if (!sb->ops || !sb->ops->create)
                return no_op(sb, "create", reterr);
        if (!spec || !streq_ptr(spec->name, sb->name))
                return pc_error_set(reterr, -EINVAL,
                                    "sandbox '%s': the spec is for a different sandbox ('%s')",
                                    sb->name, spec && spec->name ? spec->name : "(null)");
        char hash[PC_SHA256_HEX_SIZE];
        if (pc_sandbox_spec_hash(spec, hash) < 0 || !streq(hash, spec->config_hash))
                return pc_error_set(reterr, -EINVAL,
                                    "sandbox '%s': the spec was changed after its config hash "
                                    "was computed",
                                    sb->name);
        int r = sb->ops->create(sb, spec, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox '%s'", sb->name);
        return r;
}

int pc_sandbox_exec(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret_result,
                    PcError *reterr)
{
        if (!sb->ops || !sb->ops->exec)
                return no_op(sb, "exec", reterr);
        if (!req || !req->argv || !req->argv[0] || !*req->argv[0])
                return pc_error_set(reterr, -EINVAL, "sandbox '%s': exec needs a command",
                                    sb->name);
        int r = sb->ops->exec(sb, req, ret_result, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox '%s'", sb->name);
        return r;
}

int pc_sandbox_destroy(PcSandbox *sb, PcError *reterr)
{
        if (!sb->ops || !sb->ops->destroy)
                return no_op(sb, "destroy", reterr);
        int r = sb->ops->destroy(sb, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox '%s'", sb->name);
        return r;
}

int pc_sandbox_inspect(PcSandbox *sb, PcSandboxInfo *ret_info, PcError *reterr)
{
        if (!sb->ops || !sb->ops->inspect)
                return no_op(sb, "inspect", reterr);
        PcSandboxInfo info = {.state = PC_SANDBOX_STATE_MISSING};
        int r = sb->ops->inspect(sb, &info, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox '%s'", sb->name);
        *ret_info = info;
        return r;
}

int pc_sandbox_stats(PcSandbox *sb, PcSandboxStats *ret_stats, PcError *reterr)
{
        if (!sb->ops || !sb->ops->stats)
                return no_op(sb, "report stats", reterr);
        PcSandboxStats st = {0};
        int r = sb->ops->stats(sb, &st, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "sandbox '%s'", sb->name);
        *ret_stats = st;
        return r;
}

PcSandboxAction pc_sandbox_decide(const PcSandboxInfo *info, const char *expected_hash, bool in_use)
{
        if (!info || !expected_hash)
                return _PC_SANDBOX_ACTION_INVALID;
        switch (info->state) {
        case PC_SANDBOX_STATE_MISSING:
                return PC_SANDBOX_ACTION_CREATE;
        case PC_SANDBOX_STATE_STOPPED:
        case PC_SANDBOX_STATE_RUNNING:
                if (info->config_hash[0] && streq(info->config_hash, expected_hash))
                        return info->state == PC_SANDBOX_STATE_RUNNING ? PC_SANDBOX_ACTION_REUSE
                                                                       : PC_SANDBOX_ACTION_START;
                return in_use ? PC_SANDBOX_ACTION_RECREATE_WHEN_IDLE : PC_SANDBOX_ACTION_RECREATE;
        default:
                return _PC_SANDBOX_ACTION_INVALID;
        }
}
