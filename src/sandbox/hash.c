/* SPDX-License-Identifier: MIT */
/*
 * The spec as JSON and the config hash (spec 2.8, Pincer decision 5).
 *
 * Pincer hashes the whole normalised create spec plus a format epoch, so any setting that
 * changes the sandbox is noticed (OpenClaw hashes only part of its docker config, with
 * localeCompare key order; byte compatibility with it is not a goal). Canonical form: compact
 * JSON, object keys sorted by byte value, arrays in spec order (the spec already sorts the
 * order-free ones: env, ulimits). Numbers are integers except cpus.
 */
#include <pthread.h>

#include "base/alloc.h"
#include "base/sha256.h"
#include "sandbox-internal.h"
#include "seccomp-default.h"

/* Paths come from realpath() and may hold bytes that are not UTF-8: keep them (nocheck) and
 * let the dump fail, which the hash reports as -EILSEQ. */
static json_t *str_or_null(const char *s)
{
        return s ? json_string_nocheck(s) : json_null();
}

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string_nocheck(v[i]));
        return a;
}

static json_t *kv_json(const PcKeyValue *kv, size_t n, const char *skip)
{
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
                if (!skip || !streq(kv[i].key, skip))
                        json_object_set_new_nocheck(o, kv[i].key, json_string_nocheck(kv[i].value));
        return o;
}

/* The built-in seccomp profile is compiled in, so its hash is the same for the life of the
 * process: rendering and hashing its JSON on every spec hash was a third of a tool call's
 * gateway time. */
static char seccomp_default_hex[PC_SHA256_HEX_SIZE];
static pthread_once_t seccomp_default_once = PTHREAD_ONCE_INIT;

static void seccomp_default_hash_init(void)
{
        _cleanup_free_ char *profile = pc_seccomp_default_profile_json();
        pc_sha256_hex(profile, seccomp_default_hex);
}

static const char *seccomp_default_hash(void)
{
        pthread_once(&seccomp_default_once, seccomp_default_hash_init);
        return seccomp_default_hex;
}

json_t *pc_sandbox_spec_to_json(const PcSandboxSpec *spec, bool for_hash)
{
        json_t *o = json_object();
        json_object_set_new(o, "name", str_or_null(spec->name));
        json_object_set_new(o, "scopeKey", str_or_null(spec->scope_key));
        json_object_set_new(o, "scope", str_or_null(pc_sandbox_scope_to_string(spec->scope)));
        if (!for_hash)
                json_object_set_new(o, "agentId", str_or_null(spec->agent_id));
        json_object_set_new(o, "backend", str_or_null(spec->backend));

        json_object_set_new(o, "image", str_or_null(spec->image));
        json_object_set_new(o, "workdir", str_or_null(spec->workdir));
        json_object_set_new(o, "user", str_or_null(spec->user));
        json_object_set_new(o, "hostname", str_or_null(spec->hostname));
        json_object_set_new(o, "userns", json_boolean(spec->userns));
        json_object_set_new(o, "readOnlyRoot", json_boolean(spec->read_only_root));
        json_t *tmpfs = json_array();
        for (size_t i = 0; i < spec->n_tmpfs; i++) {
                json_t *t = json_object();
                json_object_set_new(t, "path", str_or_null(spec->tmpfs[i].path));
                json_object_set_new(t, "options", str_or_null(spec->tmpfs[i].options));
                json_array_append_new(tmpfs, t);
        }
        json_object_set_new(o, "tmpfs", tmpfs);
        json_object_set_new(o, "network", str_or_null(spec->network));
        json_object_set_new(o, "capDrop", strv_json(spec->cap_drop));
        json_object_set_new(o, "capAdd", strv_json(spec->cap_add));
        json_object_set_new(o, "env", kv_json(spec->env, spec->n_env, NULL));

        json_object_set_new(o, "pidsLimit", json_integer(spec->pids_limit));
        json_object_set_new(o, "memoryBytes", json_integer(spec->memory_bytes));
        json_object_set_new(o, "memorySwapBytes", json_integer(spec->memory_swap_bytes));
        json_object_set_new(o, "cpus", json_real(spec->cpus));
        json_t *ulimits = json_array();
        for (size_t i = 0; i < spec->n_ulimits; i++) {
                json_t *u = json_object();
                json_object_set_new(u, "name", str_or_null(spec->ulimits[i].name));
                json_object_set_new(u, "soft", json_integer(spec->ulimits[i].soft));
                json_object_set_new(u, "hard", json_integer(spec->ulimits[i].hard));
                json_array_append_new(ulimits, u);
        }
        json_object_set_new(o, "ulimits", ulimits);
        json_object_set_new(o, "seccompProfile", str_or_null(spec->seccomp_profile));
        if (for_hash && !spec->seccomp_profile) {
                /* The built-in profile is applied, so a change to it makes existing sandboxes
                 * stale like any other setting (a custom profile counts by its path). */
                json_object_set_new(o, "seccompDefault", json_string(seccomp_default_hash()));
        }
        json_object_set_new(o, "apparmorProfile", str_or_null(spec->apparmor_profile));
        json_object_set_new(o, "dns", strv_json(spec->dns));
        json_object_set_new(o, "extraHosts", strv_json(spec->extra_hosts));

        json_object_set_new(o, "workspaceAccess",
                            str_or_null(pc_workspace_access_to_string(spec->workspace_access)));
        json_object_set_new(o, "workspaceDir", str_or_null(spec->workspace_dir));
        if (!for_hash) {
                /* What is mounted is in "mounts"; hashing the unmounted dirs too would make
                 * agents that share a sandbox (scope "shared") fight over it. */
                json_object_set_new(o, "sandboxWorkspaceDir",
                                    str_or_null(spec->sandbox_workspace_dir));
                json_object_set_new(o, "agentWorkspaceDir", str_or_null(spec->agent_workspace_dir));
        }
        json_t *mounts = json_array();
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const PcSandboxMount *m = &spec->mounts[i];
                json_t *j = json_object();
                json_object_set_new(j, "kind", str_or_null(pc_mount_kind_to_string(m->kind)));
                json_object_set_new(j, "source", str_or_null(m->source));
                json_object_set_new(j, "target", str_or_null(m->target));
                json_object_set_new(j, "readOnly", json_boolean(m->read_only));
                json_object_set_new(j, "options", str_or_null(m->options));
                json_array_append_new(mounts, j);
        }
        json_object_set_new(o, "mounts", mounts);

        json_object_set_new(o, "setupCommand", str_or_null(spec->setup_command));
        json_object_set_new(o, "packages", strv_json(spec->packages));
        json_object_set_new(o, "setupNetwork", str_or_null(spec->setup_network));

        json_object_set_new(o, "dangerouslyAllowReservedContainerTargets",
                            json_boolean(spec->allow_reserved_targets));
        json_object_set_new(o, "dangerouslyAllowExternalBindSources",
                            json_boolean(spec->allow_external_bind_sources));
        json_object_set_new(o, "dangerouslyAllowContainerNamespaceJoin",
                            json_boolean(spec->allow_container_namespace_join));

        json_object_set_new(
                o, "labels",
                kv_json(spec->labels, spec->n_labels, for_hash ? "pincer.configHash" : NULL));
        if (!for_hash) {
                json_object_set_new(o, "configHash", json_string(spec->config_hash));
                json_object_set_new(o, "envBlocked", strv_json(spec->env_blocked));
                json_object_set_new(o, "envWarnings", strv_json(spec->env_warnings));
        }
        return o;
}

char *pc_sandbox_spec_canonical_json(const PcSandboxSpec *spec)
{
        json_t *doc = json_object();
        json_object_set_new(doc, "epoch", json_string(PC_SANDBOX_SPEC_EPOCH));
        json_object_set_new(doc, "spec", pc_sandbox_spec_to_json(spec, true));
        char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
        json_decref(doc);
        return s;
}

int pc_sandbox_spec_hash(const PcSandboxSpec *spec, char ret_hex[PC_SHA256_HEX_SIZE])
{
        _cleanup_free_ char *canon = pc_sandbox_spec_canonical_json(spec);
        if (!canon)
                return -EILSEQ;
        pc_sha256_hex(canon, ret_hex);
        return 0;
}
