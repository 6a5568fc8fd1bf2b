/* SPDX-License-Identifier: MIT */
/*
 * Pid 1's cache of login environments (docs/sandbox.md, "The login shell").
 *
 * The exec tool runs `/bin/sh -lc SCRIPT`, as OpenClaw does. The login part reads /etc/profile
 * (and what it sources) on every call; Debian's forks `id -u` twice, which costs more than
 * the command a tool call usually runs. What a login shell adds for the command is, in
 * practice, its exported environment and its umask. So pid 1 learns them once per (working
 * directory, environment) with a probe, a login shell that prints its state instead of
 * running a command, and then runs `/bin/sh -c SCRIPT` with that environment and umask.
 *
 * The probe's answer is only used while it provably stands for what a login shell would do:
 *   - the login files are unchanged: /etc/profile, the /etc/profile.d directory and each of
 *     its *.sh files (device, inode, size, mtime and ctime), checked on every exec;
 *   - there is no $HOME/.profile (HOME is the workspace, which the agent writes at will):
 *     with one, every exec runs the full login shell;
 *   - the login files printed nothing, defined no alias and did not change directory.
 * Otherwise, and until the probe has answered, the command runs as `sh -lc` unchanged.
 * Effects outside the environment (shell functions, unexported variables, background
 * processes the files start) are not reproduced; docs/sandbox.md says so.
 *
 * Runs in pid 1 only (single-threaded, its own poll loop); nothing here logs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/sha256.h"
#include "login-env.h"
#include "native-internal.h"

typedef enum LoginState {
        LOGIN_FREE = 0,
        LOGIN_PROBING,
        LOGIN_READY,
        LOGIN_UNCACHEABLE,
} LoginState;

typedef struct LoginEntry {
        LoginState state;
        uint8_t key[PC_SHA256_DIGEST_SIZE];
        uint8_t stamp[PC_SHA256_DIGEST_SIZE]; /* the login files when the probe started */
        /* the same plus HOME itself (its mtime moves when a .profile comes and goes), taken
         * when the probe starts and again when it ends: they must be equal */
        uint8_t window[PC_SHA256_DIGEST_SIZE];
        char *home;
        char *workdir; /* what `pwd` must print */
        uint64_t used; /* LRU tick */
        /* LOGIN_READY */
        char **env;
        char *env_blob;
        mode_t umask;
        /* LOGIN_PROBING */
        pid_t probe_pid;
        int probe_fd;
        uint64_t probe_deadline_ms;
        PcBuf out;
} LoginEntry;

struct PcLoginCache {
        LoginEntry e[PC_LOGIN_CACHE_ENTRIES];
        uint64_t tick;
};

const char *const pc__login_probe_script =
        "printf '\\036PCLOGIN1\\n'; umask; pwd; "
        "if [ -n \"$(alias)\" ]; then echo alias; else echo noalias; fi; exec env -0";

PcLoginCache *pc__login_cache_new(void)
{
        PcLoginCache *c = xcalloc(1, sizeof(*c));
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES; i++)
                c->e[i].probe_fd = -1;
        return c;
}

static void entry_clear(LoginEntry *e)
{
        if (e->probe_fd >= 0)
                close(e->probe_fd);
        if (e->state == LOGIN_PROBING && e->probe_pid > 0)
                (void) kill(-e->probe_pid, SIGKILL);
        free(e->workdir);
        free(e->home);
        free(e->env);
        free(e->env_blob);
        pc_buf_release(&e->out);
        *e = (LoginEntry){.probe_fd = -1};
}

static void hash_stat(PcSha256 *h, const char *path, const struct stat *st, bool exists)
{
        pc_sha256_update(h, path, strlen(path) + 1);
        if (!exists) {
                pc_sha256_update(h, "-", 1);
                return;
        }
        uint64_t v[] = {st->st_dev,
                        st->st_ino,
                        st->st_mode,
                        (uint64_t) st->st_size,
                        (uint64_t) st->st_mtim.tv_sec,
                        (uint64_t) st->st_mtim.tv_nsec,
                        (uint64_t) st->st_ctim.tv_sec,
                        (uint64_t) st->st_ctim.tv_nsec};
        pc_sha256_update(h, v, sizeof(v));
}

static bool ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* The state of the login files (with_home: and of the HOME directory). Returns false when
 * the cache must not be used at all for this call (a $HOME/.profile, or a file that cannot
 * be examined). */
static bool login_stamp(const char *home, bool with_home, uint8_t ret[PC_SHA256_DIGEST_SIZE])
{
        if (!home || home[0] != '/')
                return false;
        _cleanup_free_ char *profile = xasprintf("%s/.profile", home);
        struct stat st;
        if (stat(profile, &st) == 0 || errno != ENOENT)
                return false;

        PcSha256 h;
        pc_sha256_init(&h);
        if (with_home) {
                bool there = stat(home, &st) == 0;
                hash_stat(&h, home, &st, there);
        }
        bool exists = stat("/etc/profile", &st) == 0;
        if (!exists && errno != ENOENT)
                return false;
        hash_stat(&h, "/etc/profile", &st, exists);
        int dfd = open("/etc/profile.d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 && errno != ENOENT && errno != ENOTDIR)
                return false;
        if (dfd >= 0) {
                DIR *d = fdopendir(dfd);
                if (!d) {
                        close(dfd);
                        return false;
                }
                bool ok = fstat(dirfd(d), &st) == 0;
                if (ok)
                        hash_stat(&h, "/etc/profile.d", &st, true);
                struct dirent *de;
                while (ok && (de = readdir(d)))
                        if (ends_with(de->d_name, ".sh")) {
                                bool there = fstatat(dirfd(d), de->d_name, &st, 0) == 0;
                                hash_stat(&h, de->d_name, &st, there);
                        }
                closedir(d);
                if (!ok)
                        return false;
        }
        pc_sha256_final(&h, ret);
        return true;
}

static void login_key(const char *argv0, char **envp, const char *workdir,
                      uint8_t ret[PC_SHA256_DIGEST_SIZE])
{
        PcSha256 h;
        pc_sha256_init(&h);
        pc_sha256_update(&h, argv0, strlen(argv0) + 1);
        pc_sha256_update(&h, workdir, strlen(workdir) + 1);
        for (char **e = envp; *e; e++)
                pc_sha256_update(&h, *e, strlen(*e) + 1);
        pc_sha256_final(&h, ret);
}

static LoginEntry *slot_for_probe(PcLoginCache *c)
{
        LoginEntry *best = NULL;
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES; i++) {
                LoginEntry *e = &c->e[i];
                if (e->state == LOGIN_FREE)
                        return e;
                if (e->state != LOGIN_PROBING && (!best || e->used < best->used))
                        best = e;
        }
        if (best)
                entry_clear(best);
        return best;
}

void pc__login_cache_decide(PcLoginCache *c, const char *argv0, char **envp, const char *workdir,
                            PcLoginDecision *ret)
{
        *ret = (PcLoginDecision){0};
        uint8_t stamp[PC_SHA256_DIGEST_SIZE];
        if (!login_stamp(pc__native_env_get(envp, "HOME"), false, stamp))
                return;
        uint8_t key[PC_SHA256_DIGEST_SIZE];
        login_key(argv0, envp, workdir, key);
        c->tick++;
        LoginEntry *e = NULL;
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES && !e; i++)
                if (c->e[i].state != LOGIN_FREE && memcmp(c->e[i].key, key, sizeof(key)) == 0)
                        e = &c->e[i];
        if (e) {
                e->used = c->tick;
                if (e->state == LOGIN_PROBING)
                        return;
                if (memcmp(e->stamp, stamp, sizeof(stamp)) == 0) {
                        if (e->state == LOGIN_READY) {
                                ret->hit = true;
                                ret->env = e->env;
                                ret->umask = e->umask;
                        }
                        return;
                }
                entry_clear(e); /* the login files changed: learn again */
        } else if (!(e = slot_for_probe(c)))
                return;
        e->state = LOGIN_PROBING;
        memcpy(e->key, key, sizeof(key));
        e->workdir = xstrdup(workdir);
        e->home = xstrdup(pc__native_env_get(envp, "HOME"));
        e->used = c->tick;
        ret->probe = e;
}

bool pc__login_probe_prepare(PcLoginCache *c, void *probe)
{
        (void) c;
        LoginEntry *e = probe;
        /* Taken now, not when the command that missed was decided: the login files may have
         * changed while it ran. */
        if (login_stamp(e->home, false, e->stamp) && login_stamp(e->home, true, e->window))
                return true;
        entry_clear(e); /* a .profile appeared: this environment is not cached */
        return false;
}

void pc__login_probe_started(PcLoginCache *c, void *probe, pid_t pid, int fd, uint64_t now_ms)
{
        (void) c;
        LoginEntry *e = probe;
        if (pid <= 0 || fd < 0) { /* not learnt this time: the next exec tries again */
                if (fd >= 0)
                        close(fd);
                e->probe_pid = 0;
                entry_clear(e);
                return;
        }
        e->probe_pid = pid;
        e->probe_fd = fd;
        e->probe_deadline_ms = now_ms + PC_LOGIN_PROBE_TIMEOUT_MS;
}

int pc_login_probe_parse(const char *buf, size_t len, const char *workdir, char ***ret_env,
                         char **ret_blob, mode_t *ret_umask)
{
        const char *p = buf, *end = buf + len;
        size_t magic = strlen(PC_LOGIN_PROBE_MAGIC);
        if (len < magic || memcmp(p, PC_LOGIN_PROBE_MAGIC, magic) != 0)
                return -EBADMSG;
        p += magic;
        const char *line[3];
        size_t line_len[3];
        for (int i = 0; i < 3; i++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl)
                        return -EBADMSG;
                line[i] = p;
                line_len[i] = (size_t) (nl - p);
                p = nl + 1;
        }
        mode_t mask = 0;
        if (line_len[0] < 1 || line_len[0] > 4)
                return -EBADMSG;
        for (size_t i = 0; i < line_len[0]; i++) {
                if (line[0][i] < '0' || line[0][i] > '7')
                        return -EBADMSG;
                mask = (mode_t) (mask * 8 + (mode_t) (line[0][i] - '0'));
        }
        if (mask > 0777 || line_len[1] != strlen(workdir) ||
            memcmp(line[1], workdir, line_len[1]) != 0 || line_len[2] != strlen("noalias") ||
            memcmp(line[2], "noalias", line_len[2]) != 0)
                return -EBADMSG;
        /* env -0: NUL-terminated NAME=value items, at least one */
        if (p == end || end[-1] != '\0')
                return -EBADMSG;
        size_t n = 0;
        for (const char *q = p; q < end; q += strlen(q) + 1) {
                const char *eq = strchr(q, '=');
                if (!eq || eq == q)
                        return -EBADMSG;
                n++;
        }
        size_t blob_len = (size_t) (end - p);
        char *blob = xmalloc(blob_len);
        memcpy(blob, p, blob_len);
        char **env = xcalloc(n + 1, sizeof(char *));
        size_t k = 0;
        for (char *q = blob; q < blob + blob_len; q += strlen(q) + 1)
                env[k++] = q;
        *ret_env = env;
        *ret_blob = blob;
        *ret_umask = mask;
        return 0;
}

/* A finished probe: its output becomes the entry's environment (READY), or the entry is
 * marked UNCACHEABLE until the login files change. */
static void probe_finish(LoginEntry *e)
{
        close(e->probe_fd);
        e->probe_fd = -1;
        e->probe_pid = 0;
        uint8_t window[PC_SHA256_DIGEST_SIZE];
        if (!login_stamp(e->home, true, window) || memcmp(window, e->window, sizeof(window)) != 0) {
                entry_clear(e); /* something changed while the probe read it: learn again */
                return;
        }
        if (pc_login_probe_parse(e->out.buf ? e->out.buf : "", e->out.len, e->workdir, &e->env,
                                 &e->env_blob, &e->umask) == 0)
                e->state = LOGIN_READY;
        else
                e->state = LOGIN_UNCACHEABLE;
        pc_buf_release(&e->out);
}

size_t pc__login_cache_pollfds(const PcLoginCache *c, struct pollfd *p, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES && n < max; i++)
                p[n++] = (struct pollfd){.fd = c->e[i].state == LOGIN_PROBING ? c->e[i].probe_fd
                                                                              : -1,
                                         .events = POLLIN};
        return n;
}

uint64_t pc__login_cache_deadline(const PcLoginCache *c)
{
        uint64_t next = 0;
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES; i++)
                if (c->e[i].state == LOGIN_PROBING && c->e[i].probe_pid > 0 &&
                    (!next || c->e[i].probe_deadline_ms < next))
                        next = c->e[i].probe_deadline_ms;
        return next;
}

void pc__login_cache_step(PcLoginCache *c, const struct pollfd *p, size_t n, uint64_t now_ms)
{
        for (size_t i = 0; i < PC_LOGIN_CACHE_ENTRIES && i < n; i++) {
                LoginEntry *e = &c->e[i];
                if (e->state != LOGIN_PROBING || e->probe_pid <= 0)
                        continue; /* not probing, or its probe waits for the command */
                bool give_up = now_ms >= e->probe_deadline_ms;
                if (p[i].revents) {
                        char buf[65536];
                        ssize_t k;
                        while ((k = read(e->probe_fd, buf, sizeof(buf))) > 0) {
                                if (e->out.len + (size_t) k > PC_LOGIN_PROBE_MAX_OUTPUT) {
                                        k = -1;
                                        break;
                                }
                                pc_buf_add(&e->out, buf, (size_t) k);
                        }
                        if (k == 0) {
                                probe_finish(e);
                                continue;
                        }
                        if (k < 0 && errno != EAGAIN && errno != EINTR)
                                give_up = true; /* too much output, or a broken pipe */
                }
                if (give_up) {
                        (void) kill(-e->probe_pid, SIGKILL);
                        close(e->probe_fd);
                        e->probe_fd = -1;
                        e->probe_pid = 0;
                        pc_buf_release(&e->out);
                        e->state = LOGIN_UNCACHEABLE;
                }
        }
}
