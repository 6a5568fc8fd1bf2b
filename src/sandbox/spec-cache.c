/* SPDX-License-Identifier: MIT */
/*
 * The manager's cache of built specs (sandbox-internal.h).
 *
 * Building a spec is a pure function of the agent's effective view and the session key,
 * except for what it reads on disk: it creates the workspace dirs, gives a private workspace
 * to a numeric docker.user, takes the sandbox user from the workspace's owner, and resolves
 * the sources of binds. An entry is therefore keyed by the effective view (held, so that its
 * address names one config snapshot for as long as the entry lives: a reload makes a new
 * view, hence a miss) and the canonical session key, and is only reused while each workspace
 * dir the build touched is the same directory (device, inode) with the same owner. Specs with
 * binds are not cached: their sources are resolved on every build.
 */
#include <sys/stat.h>

#include "base/alloc.h"
#include "sandbox-internal.h"

#define CACHE_MAX 64

typedef struct Dir {
        dev_t dev;
        ino_t ino;
        uid_t uid;
        gid_t gid;
} Dir;

struct PcResolvedSpec {
        json_t *effective; /* held */
        char *key;
        PcSandboxSpec *spec;
        unsigned refs; /* the cache's (while cached) and each lease's */
        Dir dirs[2];
        size_t n_dirs;
};

struct PcSpecCache {
        PcResolvedSpec **v;
        size_t n, alloc;
};

PcSpecCache *pc__spec_cache_new(void)
{
        return xcalloc(1, sizeof(PcSpecCache));
}

static void resolved_free(PcResolvedSpec *r)
{
        json_decref(r->effective);
        free(r->key);
        pc_sandbox_spec_free(r->spec);
        free(r);
}

PcResolvedSpec *pc__resolved_spec_unref(PcResolvedSpec *r)
{
        if (r && --r->refs == 0)
                resolved_free(r);
        return NULL;
}

const PcSandboxSpec *pc__resolved_spec(const PcResolvedSpec *r)
{
        return r->spec;
}

static void evict(PcSpecCache *c, size_t i)
{
        pc__resolved_spec_unref(c->v[i]);
        memmove(c->v + i, c->v + i + 1, (c->n - i - 1) * sizeof(*c->v));
        c->n--;
}

PcSpecCache *pc__spec_cache_free(PcSpecCache *c)
{
        if (!c)
                return NULL;
        while (c->n > 0)
                evict(c, c->n - 1);
        free(c->v);
        free(c);
        return NULL;
}

/* The dirs spec_build creates and stats (build_workspace, build_user). */
static size_t spec_dirs(const PcSandboxSpec *spec, const char *ret[2])
{
        size_t n = 0;
        ret[n++] = spec->workspace_dir;
        if (spec->workspace_access != PC_WORKSPACE_ACCESS_NONE &&
            !streq(spec->agent_workspace_dir, spec->workspace_dir))
                ret[n++] = spec->agent_workspace_dir;
        return n;
}

static bool dir_get(const char *path, Dir *ret)
{
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                return false;
        *ret = (Dir){.dev = st.st_dev, .ino = st.st_ino, .uid = st.st_uid, .gid = st.st_gid};
        return true;
}

static bool dirs_unchanged(const PcResolvedSpec *r)
{
        const char *paths[2];
        size_t n = spec_dirs(r->spec, paths);
        for (size_t i = 0; i < n; i++) {
                Dir d;
                const Dir *was = &r->dirs[i];
                if (!dir_get(paths[i], &d) || d.dev != was->dev || d.ino != was->ino ||
                    d.uid != was->uid || d.gid != was->gid)
                        return false;
        }
        return true;
}

PcResolvedSpec *pc__spec_cache_get(PcSpecCache *c, const json_t *effective, const char *key)
{
        for (size_t i = 0; i < c->n; i++) {
                PcResolvedSpec *r = c->v[i];
                if (r->effective != effective || !streq(r->key, key))
                        continue;
                if (!dirs_unchanged(r)) {
                        evict(c, i);
                        return NULL;
                }
                r->refs++;
                return r;
        }
        return NULL;
}

static bool cacheable(PcResolvedSpec *r)
{
        for (size_t i = 0; i < r->spec->n_mounts; i++)
                if (r->spec->mounts[i].kind == PC_MOUNT_BIND)
                        return false;
        const char *paths[2];
        r->n_dirs = spec_dirs(r->spec, paths);
        for (size_t i = 0; i < r->n_dirs; i++)
                if (!dir_get(paths[i], &r->dirs[i]))
                        return false;
        return true;
}

PcResolvedSpec *pc__spec_cache_put(PcSpecCache *c, json_t *effective, const char *key,
                                   PcSandboxSpec *spec)
{
        PcResolvedSpec *r = xcalloc(1, sizeof(*r));
        r->effective = json_incref(effective);
        r->key = xstrdup(key);
        r->spec = spec;
        r->refs = 1; /* the caller's */
        if (!cacheable(r))
                return r;
        /* One entry per key: an older one is of an earlier snapshot (or a changed dir). */
        for (size_t i = c->n; i > 0; i--)
                if (streq(c->v[i - 1]->key, key))
                        evict(c, i - 1);
        if (c->n >= CACHE_MAX)
                evict(c, 0);
        c->v = xgrow(c->v, &c->alloc, c->n + 1, sizeof(*c->v));
        c->v[c->n++] = r;
        r->refs++;
        return r;
}
