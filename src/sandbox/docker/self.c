/* SPDX-License-Identifier: MIT */
#include "self.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"

#define ID_LEN 64

PcDockerSelf *pc_docker_self_free(PcDockerSelf *s)
{
        if (!s)
                return NULL;
        for (size_t i = 0; i < s->n_mounts; i++) {
                free(s->mounts[i].type);
                free(s->mounts[i].source);
                free(s->mounts[i].destination);
                free(s->mounts[i].name);
        }
        free(s->mounts);
        free(s->id);
        free(s);
        return NULL;
}

static bool is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The first run of exactly 64 hex characters in [p, end) that is bounded by non-hex ones. */
static char *find_id(const char *p, const char *end)
{
        while (p < end) {
                if (!is_hex(*p)) {
                        p++;
                        continue;
                }
                const char *q = p;
                while (q < end && is_hex(*q))
                        q++;
                if (q - p == ID_LEN)
                        return xstrndup(p, ID_LEN);
                p = q;
        }
        return NULL;
}

char *pc_docker_self_id_from_mountinfo(const char *text)
{
        static const char *const files[] = {"/etc/hostname", "/etc/hosts", "/etc/resolv.conf"};
        for (const char *line = text; line && *line;) {
                const char *eol = strchrnul(line, '\n');
                /* "<id> <parent> <maj:min> <root> <mount point> ..." */
                const char *f[5] = {0};
                size_t len[5] = {0};
                const char *p = line;
                size_t n = 0;
                while (n < 5 && p < eol) {
                        while (p < eol && *p == ' ')
                                p++;
                        const char *s = p;
                        while (p < eol && *p != ' ')
                                p++;
                        if (p > s) {
                                f[n] = s;
                                len[n++] = (size_t) (p - s);
                        }
                }
                if (n == 5)
                        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                                if (len[4] == strlen(files[i]) &&
                                    memcmp(f[4], files[i], len[4]) == 0) {
                                        char *id = find_id(f[3], f[3] + len[3]);
                                        if (id)
                                                return id;
                                }
                line = *eol ? eol + 1 : eol;
        }
        return NULL;
}

char *pc_docker_self_id_from_cgroup(const char *text)
{
        return text ? find_id(text, text + strlen(text)) : NULL;
}

/* "/a/b/" -> "/a/b"; the paths from the engine are absolute already. */
static char *normalise(const char *path)
{
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        return xstrndup(path, n);
}

int pc_docker_self_from_inspect(json_t *inspect, PcDockerSelf **ret, PcError *reterr)
{
        const char *id = json_string_value(json_object_get(inspect, "Id"));
        json_t *mounts = json_object_get(inspect, "Mounts");
        if (!id || !*id || (mounts && !json_is_array(mounts)))
                return pc_error_set(reterr, -EINVAL,
                                    "the engine's inspect of the gateway's own container has no "
                                    "Id or a malformed Mounts list");
        if (json_array_size(mounts) > PC_DOCKER_SELF_MAX_MOUNTS)
                return pc_error_set(reterr, -EINVAL,
                                    "the gateway's own container has %zu mounts (at most %d)",
                                    json_array_size(mounts), PC_DOCKER_SELF_MAX_MOUNTS);
        _cleanup_(pc_docker_self_freep) PcDockerSelf *s = xcalloc(1, sizeof(*s));
        s->id = xstrdup(id);
        s->mounts = xcalloc(json_array_size(mounts) + 1, sizeof(*s->mounts));
        size_t i;
        json_t *m;
        json_array_foreach (mounts, i, m) {
                const char *type = json_string_value(json_object_get(m, "Type"));
                const char *src = json_string_value(json_object_get(m, "Source"));
                const char *dst = json_string_value(json_object_get(m, "Destination"));
                const char *name = json_string_value(json_object_get(m, "Name"));
                if (!type || !dst || dst[0] != '/')
                        return pc_error_set(reterr, -EINVAL,
                                            "mount %zu of the gateway's own container has no Type "
                                            "or no absolute Destination",
                                            i);
                PcDockerSelfMount *sm = &s->mounts[s->n_mounts++];
                sm->type = xstrdup(type);
                sm->source = xstrdup(src ? src : "");
                sm->destination = normalise(dst);
                sm->name = name && *name ? xstrdup(name) : NULL;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* path is dir or below it. */
static size_t under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        if (streq(dir, "/"))
                return 1;
        if (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'))
                return n + 1;
        return 0;
}

int pc_docker_self_host_path(const PcDockerSelf *s, const char *path, char **ret, PcError *reterr)
{
        const PcDockerSelfMount *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < s->n_mounts; i++) {
                size_t l = under(path, s->mounts[i].destination);
                if (l > best_len) {
                        best = &s->mounts[i];
                        best_len = l;
                }
        }
        if (!best)
                return pc_error_set(
                        reterr, -EPERM,
                        "bind source '%s' is in the gateway container's own filesystem, which has "
                        "no path on the host the sandbox engine runs on: mount a host directory "
                        "there (docker run -v /host/dir:%s) or use a path that is mounted from the "
                        "host",
                        path, path);
        if (!streq(best->type, "bind"))
                return pc_error_set(
                        reterr, -EPERM,
                        "bind source '%s' is on a %s%s%s%s mounted at '%s' in the gateway "
                        "container, which has no host path a sandbox can bind: mount a host "
                        "directory at '%s' instead (docker run -v /host/dir:%s)",
                        path, best->type, best->name ? " '" : "", best->name ? best->name : "",
                        best->name ? "'" : "", best->destination, best->destination,
                        best->destination);
        const char *rest = path + strlen(best->destination);
        if (streq(best->destination, "/"))
                rest = path;
        *ret = streq(best->source, "/") && *rest ? xstrdup(rest)
                                                 : xasprintf("%s%s", best->source, rest);
        return 0;
}

static char *read_proc(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        char chunk[8192];
        for (;;) {
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (b.len + (size_t) n > PC_DOCKER_SELF_MAX_PROC_FILE)
                        break; /* the lines that matter come early; the rest is ignored */
                pc_buf_add(&b, chunk, (size_t) n);
        }
        return pc_buf_detach(&b);
}

int pc_docker_self_detect(PcEngine *e, PcDockerSelf **ret, PcError *reterr)
{
        *ret = NULL;
        _cleanup_free_ char *mountinfo = read_proc("/proc/self/mountinfo");
        _cleanup_free_ char *id = mountinfo ? pc_docker_self_id_from_mountinfo(mountinfo) : NULL;
        if (!id) {
                _cleanup_free_ char *cgroup = read_proc("/proc/self/cgroup");
                id = cgroup ? pc_docker_self_id_from_cgroup(cgroup) : NULL;
        }
        if (!id)
                return 0;
        json_t *inspect = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_engine_container_inspect(e, id, &inspect, &err);
        if (r == -ENOENT && err.kind == PC_ERROR_NOT_FOUND) {
                /* A container of another engine (or none): our paths are this host's. */
                log_debug("container %.12s is not on %s: bind sources are used as they are", id,
                          pc_engine_address(e));
                return 0;
        }
        if (r < 0) {
                if (reterr)
                        *reterr = err;
                return pc_error_prefix(reterr, "inspecting the gateway's own container %.12s", id);
        }
        r = pc_docker_self_from_inspect(inspect, ret, reterr);
        json_decref(inspect);
        if (r >= 0)
                log_info("the gateway runs in container %.12s on %s: sandbox bind sources are "
                         "translated to host paths through its %zu mounts",
                         id, pc_engine_address(e), (*ret)->n_mounts);
        return r;
}

int pc_docker_self_translate_binds(const PcDockerSelf *s, const PcSandboxSpec *spec, json_t *body,
                                   PcError *reterr)
{
        json_t *binds = json_object_get(json_object_get(body, "HostConfig"), "Binds");
        if (json_array_size(binds) != spec->n_mounts)
                return pc_error_set(reterr, -EINVAL, "create body and spec disagree on the binds");
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const char *entry = json_string_value(json_array_get(binds, i));
                const char *src = spec->mounts[i].source;
                size_t n = strlen(src);
                if (!entry || strncmp(entry, src, n) != 0 || entry[n] != ':')
                        return pc_error_set(reterr, -EINVAL, "bind %zu does not start with '%s:'",
                                            i, src);
                _cleanup_free_ char *host = NULL;
                int r = pc_docker_self_host_path(s, src, &host, reterr);
                if (r < 0)
                        return r;
                json_array_set_new(binds, i, json_sprintf("%s%s", host, entry + n));
        }
        return 0;
}
