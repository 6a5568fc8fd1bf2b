/* SPDX-License-Identifier: MIT */
/*
 * The numeric owner for files the file tools create in a sandbox: the sandbox's user. A
 * numeric docker.user ("1000", "1000:1000") is used as written. A name ("sandbox",
 * "sandbox:staff", "1000:staff") is a user of the image, whose ids only the image knows, so
 * the sandbox is asked once (`id -u`, `id -g` as that user) and the answer is kept for the
 * process's life per sandbox, image and user. Without an answer (no `id` in the image) the
 * ids stay -1: files are then created by the gateway's user, as they would be on the host.
 * The private workspace of such a sandbox is given to the user here (spec.c does it for a
 * numeric user), for every tool, exec included, as long as it is still root's.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "tool.h"

#define CACHE_SIZE 16

typedef struct IdsEntry {
        char *key; /* "<sandbox>\n<image>\n<user>" */
        int64_t uid, gid;
} IdsEntry;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static IdsEntry cache[CACHE_SIZE];
static size_t cache_next;

/* A decimal id; returns the number of characters, or -EINVAL. */
static int parse_id(const char *s, int64_t *ret)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || v < 0 || v > UINT32_MAX - 1 || errno)
                return -EINVAL;
        *ret = v;
        return (int) (end - s);
}

/* Both parts numeric: fills uid/gid (gid = uid when there is no group part). */
static bool parse_numeric(const char *user, int64_t *uid, int64_t *gid)
{
        int64_t u, g;
        int k = parse_id(user, &u);
        if (k < 0)
                return false;
        if (user[k] == '\0') {
                *uid = *gid = u;
                return true;
        }
        if (user[k] != ':' || parse_id(user + k + 1, &g) < 0 ||
            user[k + 1 + strspn(user + k + 1, "0123456789")] != '\0')
                return false;
        *uid = u;
        *gid = g;
        return true;
}

static bool ask_sandbox(PcSandboxLease *lease, int64_t *uid, int64_t *gid)
{
        const PcSandboxSpec *spec = pc_sandbox_lease_spec(lease);
        PcSandboxEnv senv = {0};
        pc_sandbox_exec_env(spec, NULL, &senv);
        const char *argv[] = {"id", "-u", NULL}, *argv_g[] = {"id", "-g", NULL};
        const char *const *cmds[] = {argv, argv_g};
        int64_t ids[2] = {-1, -1};
        for (size_t i = 0; i < 2; i++) {
                PcExecRequest req = {
                        .argv = cmds[i],
                        .env = senv.vars,
                        .n_env = senv.n_vars,
                        .timeout_ms = 10000,
                        .max_output = 64,
                };
                PcExecResult res;
                pc_exec_result_init(&res);
                PcError err = PC_ERROR_INIT;
                int r = pc_sandbox_lease_exec(lease, &req, &res, &err);
                if (r >= 0 && res.exit_code == 0 && res.out.len > 0) {
                        int k = parse_id(res.out.buf, &ids[i]);
                        if (k < 0 || (res.out.buf[k] != '\n' && res.out.buf[k] != '\0'))
                                ids[i] = -1;
                }
                pc_exec_result_release(&res);
        }
        pc_sandbox_env_release(&senv);
        if (ids[0] < 0 || ids[1] < 0)
                return false;
        *uid = ids[0];
        *gid = ids[1];
        return true;
}

/* The private workspace (access none or ro) was made by Pincer as root; with a user given by
 * name (spec.c gives it to a numeric user) it is given to that user once the ids are known,
 * or the sandbox could not write its own /workspace. */
static bool private_workspace_is_roots(const PcSandboxSpec *spec)
{
        struct stat st;
        return spec->workspace_access != PC_WORKSPACE_ACCESS_RW && spec->workspace_dir &&
               geteuid() == 0 && stat(spec->workspace_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
               st.st_uid == 0;
}

void pc_tool_sandbox_ids(PcSandboxLease *lease, bool need, int64_t *ret_uid, int64_t *ret_gid)
{
        const PcSandboxSpec *spec = pc_sandbox_lease_spec(lease);
        *ret_uid = *ret_gid = -1;
        if (!spec->user || !*spec->user)
                return;
        if (parse_numeric(spec->user, ret_uid, ret_gid))
                return;
        bool give = private_workspace_is_roots(spec);
        if (!need && !give)
                return;

        _cleanup_free_ char *key =
                xasprintf("%s\n%s\n%s", spec->name, spec->image ? spec->image : "", spec->user);
        int64_t uid = -1, gid = -1;
        pthread_mutex_lock(&cache_lock);
        for (size_t i = 0; i < CACHE_SIZE; i++)
                if (cache[i].key && streq(cache[i].key, key)) {
                        uid = cache[i].uid;
                        gid = cache[i].gid;
                }
        pthread_mutex_unlock(&cache_lock);

        if (uid < 0) {
                if (!ask_sandbox(lease, &uid, &gid))
                        return; /* not cached: the next call asks again */
                pthread_mutex_lock(&cache_lock);
                IdsEntry *e = &cache[cache_next++ % CACHE_SIZE];
                free(e->key);
                *e = (IdsEntry){.key = TAKE_PTR(key), .uid = uid, .gid = gid};
                pthread_mutex_unlock(&cache_lock);
        }
        if (give && uid > 0 && chown(spec->workspace_dir, (uid_t) uid, (gid_t) gid) < 0)
                (void) log_warning_errno(-errno,
                                         "sandbox: cannot give the workspace '%s' to %s: %m",
                                         spec->workspace_dir, spec->user);
        *ret_uid = uid;
        *ret_gid = gid;
}
