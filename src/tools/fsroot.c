/* SPDX-License-Identifier: MIT */
/* The confinement layer of the file tools; the contract is in fsroot.h. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/utf8.h"
#include "fsroot.h"

#define RESOLVE_FLAGS (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)

void pc_fs_path_release(PcFsPath *p)
{
        if (p->root_fd >= 0)
                (void) close(p->root_fd);
        free(p->rel);
        free(p->view);
        *p = (PcFsPath) PC_FS_PATH_INIT;
}

/* ---- the sandbox user's file-system identity, for the calling thread only ---- */

typedef struct Creds {
        bool switched;
        int dumpable;
        uid_t uid;   /* the sandbox user's */
        uid_t fsuid; /* the thread's own */
        gid_t fsgid;
        int n_groups;
        gid_t groups[256];
} Creds;

/* fsuid, fsgid and the groups are per-thread in the kernel; the raw setgroups system call
 * (unlike glibc's wrapper) changes only this thread. Changing fsuid away from 0 drops the
 * file capabilities (CAP_DAC_OVERRIDE, CAP_FOWNER, ...) from the effective set; changing it
 * back restores them. */
static void creds_restore(Creds *c)
{
        if (!c->switched)
                return;
        (void) setfsuid(c->fsuid);
        (void) setfsgid(c->fsgid);
        (void) syscall(SYS_setgroups, (size_t) c->n_groups, c->groups);
        /* a change of fsuid made the process non-dumpable (suid_dumpable) */
        if (c->dumpable >= 0)
                (void) prctl(PR_SET_DUMPABLE, c->dumpable, 0, 0, 0);
        c->switched = false;
}

/* Root's rights for a moment (keeping an existing file's owner), and back. */
static void creds_pause(const Creds *c)
{
        if (c->switched)
                (void) setfsuid(c->fsuid);
}

static void creds_resume(const Creds *c)
{
        if (c->switched)
                (void) setfsuid(c->uid);
}

/* Without CAP_SETUID/CAP_SETGID (a root gateway with a reduced capability set) the switch
 * fails: the tools then act with the gateway's rights, as before, and say so once. */
static void creds_unavailable(Creds *c, int r)
{
        static bool warned;
        creds_restore(c);
        if (!warned) {
                warned = true;
                (void) log_warning_errno(r, "file tools: cannot take the sandbox user's identity "
                                            "(%m); they act with the gateway's rights. Give the "
                                            "gateway CAP_SETUID and CAP_SETGID");
        }
}

static int creds_become(int64_t uid, int64_t gid, Creds *c, PcError *reterr)
{
        c->switched = false;
        if (uid < 0 || geteuid() != 0 || uid == 0)
                return 0;
        gid_t g = gid >= 0 ? (gid_t) gid : (gid_t) uid;
        c->n_groups = getgroups((int) ELEMENTSOF(c->groups), c->groups);
        if (c->n_groups < 0)
                return pc_error_set(reterr, -errno, "Cannot take the sandbox user's identity: %m");
        c->fsuid = (uid_t) setfsuid((uid_t) -1);
        c->fsgid = (gid_t) setfsgid((gid_t) -1);
        c->uid = (uid_t) uid;
        c->dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        c->switched = true;
        if (syscall(SYS_setgroups, (size_t) 1, &g) < 0) {
                creds_unavailable(c, -errno);
                return 0;
        }
        (void) setfsgid(g);
        (void) setfsuid((uid_t) uid);
        /* setfsuid() reports no error: read the values back */
        if ((uid_t) setfsuid((uid_t) -1) != (uid_t) uid || (gid_t) setfsgid((gid_t) -1) != g)
                creds_unavailable(c, -EPERM);
        return 0;
}

static int openat2_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
        struct open_how how = {
                .flags = (uint64_t) flags | O_CLOEXEC,
                .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                .resolve = RESOLVE_FLAGS,
        };
        for (;;) {
                long r = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &how, sizeof(how));
                if (r >= 0)
                        return (int) r;
                if (errno != EAGAIN && errno != EINTR) /* EAGAIN: a concurrent rename */
                        return -errno;
        }
}

/* Replaces Unicode space characters with ' ' (as pi's path-utils does). */
static void normalize_spaces(PcBuf *out, const char *s)
{
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                int n = 0;
                if (p[0] == 0xC2 && p[1] == 0xA0)
                        n = 2;
                else if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x80 &&
                         (p[2] <= 0x8A || p[2] == 0xAF))
                        n = 3;
                else if (p[0] == 0xE2 && p[1] == 0x81 && p[2] == 0x9F)
                        n = 3;
                else if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
                        n = 3;
                if (n) {
                        pc_buf_addch(out, ' ');
                        p += n;
                } else
                        pc_buf_addch(out, (char) *p++);
        }
}

/* Lexical normalisation of an absolute path, like node's path.resolve: "//" and "." collapse,
 * ".." pops (never above "/"). */
static char *normalize_abs(const char *path)
{
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        const char *p = path;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);
                if (n == 0 || (n == 1 && p[0] == '.')) {
                } else if (n == 2 && p[0] == '.' && p[1] == '.') {
                        char *slash = memrchr(out.buf, '/', out.len);
                        pc_buf_setlen(&out, slash ? (size_t) (slash - out.buf) : 0);
                } else {
                        pc_buf_addch(&out, '/');
                        pc_buf_add(&out, p, n);
                }
                p = e;
        }
        if (out.len == 0)
                pc_buf_addch(&out, '/');
        return pc_buf_detach(&out);
}

/* Whether path is root or beneath it; returns the remainder ("" or "a/b"). */
static const char *under(const char *path, const char *root)
{
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
                n--;
        if (n == 1 && root[0] == '/')
                return path + 1;
        if (strncmp(path, root, n) != 0)
                return NULL;
        if (path[n] == '\0')
                return path + n;
        if (path[n] == '/')
                return path + n + 1;
        return NULL;
}

static char *tilde_root(const char *root)
{
        const char *home = getenv("HOME");
        const char *rest = home && *home && !streq(home, "/") ? under(root, home) : NULL;
        if (rest)
                return *rest ? xasprintf("~/%s", rest) : xstrdup("~");
        return xstrdup(root);
}

int pc_fs_resolve(const PcToolCall *call, const char *input, bool write, const char *action,
                  PcFsPath *ret, PcError *reterr)
{
        _cleanup_buf_ PcBuf in = PC_BUF_INIT;
        const char *s = input;
        if (*s == '@')
                s++;
        if (startswith(s, "file://"))
                s += strlen("file://");
        normalize_spaces(&in, s);
        if (in.len == 0)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "Invalid path: the path is empty");

        _cleanup_free_ char *abs = NULL;
        const char *home = getenv("HOME");
        if ((streq(in.buf, "~") || startswith(in.buf, "~/")) && home && *home)
                abs = xasprintf("%s/%s", home, in.buf + 1);
        else if (in.buf[0] == '/')
                abs = xstrdup(in.buf);
        else
                abs = xasprintf("%s/%s", call->cwd ? call->cwd : "/", in.buf);
        _cleanup_free_ char *norm = normalize_abs(abs);

        const PcToolRoot *best = NULL;
        const char *rel = NULL;
        size_t best_len = 0;
        for (size_t i = 0; i < call->n_roots; i++) {
                const PcToolRoot *r = &call->roots[i];
                const char *rest = r->view ? under(norm, r->view) : NULL;
                if (rest && (!best || strlen(r->view) > best_len)) {
                        best = r;
                        rel = rest;
                        best_len = strlen(r->view);
                }
        }
        if (!best) {
                if (call->lease) {
                        /* the spec's text, then what to do: the other paths exist only inside
                         * the sandbox, where exec reaches them */
                        _cleanup_buf_ PcBuf views = PC_BUF_INIT;
                        for (size_t i = 0; i < call->n_roots && views.len < 160; i++)
                                if (call->roots[i].view)
                                        pc_buf_addf(&views, "%s%s", views.len ? ", " : "",
                                                    call->roots[i].view);
                        return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EXDEV,
                                                 "Sandbox path escapes allowed mounts; cannot "
                                                 "%s: %s. The file tools reach only the "
                                                 "sandbox's mounts (%s); use exec for other "
                                                 "paths inside the sandbox",
                                                 action, input, views.len ? views.buf : "none");
                }
                _cleanup_free_ char *shown =
                        tilde_root(call->n_roots > 0 && call->roots[0].view ? call->roots[0].view
                                                                            : "/workspace");
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EXDEV,
                                         "Path escapes sandbox root (%s): %s. Use a path under "
                                         "%s%s instead.",
                                         shown, input, shown,
                                         shown[0] && shown[strlen(shown) - 1] == '/' ? "" : "/");
        }
        if (write && !best->writable)
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EROFS,
                                         "Sandbox path is read-only; cannot %s: %s", action, input);
        int fd = open(best->host, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "Cannot open the root '%s' of %s: %m",
                                    best->view, input);
        pc_fs_path_release(ret);
        ret->root = best;
        ret->all = call->roots;
        ret->n_all = call->n_roots;
        ret->uid = call->uid;
        ret->gid = call->gid;
        ret->root_fd = fd;
        ret->rel = xstrdup(rel);
        ret->view = TAKE_PTR(norm);
        return 0;
}

/* The model-visible text for an openat2/stat failure. */
static int fs_error(PcError *reterr, int r, const char *action, const char *display)
{
        switch (r) {
        case -ENOENT:
                return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, r, "File not found: %s",
                                         display);
        case -EXDEV:
        case -ELOOP:
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, r,
                                         "Path escapes the allowed mounts through a symlink or "
                                         "'..'; cannot %s: %s",
                                         action, display);
        case -EISDIR:
                return pc_error_set(reterr, r, "Cannot %s %s: it is a directory", action, display);
        case -ENOTDIR:
                return pc_error_set(reterr, r, "Cannot %s %s: a parent is not a directory", action,
                                    display);
        case -EACCES:
        case -EPERM:
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, r,
                                         "Permission denied; cannot %s: %s", action, display);
        case -ENOSPC:
        case -EDQUOT:
                /* every write goes to a temporary first: the old file is still whole */
                errno = -r;
                return pc_error_set(reterr, r,
                                    "Cannot %s %s: %m; the file is unchanged. Free space on the "
                                    "workspace's filesystem (or raise its quota) and try again",
                                    action, display);
        default:
                errno = -r;
                return pc_error_set(reterr, r, "Cannot %s %s: %m", action, display);
        }
}

/* The path of fd (plus "/name" when name is set) beneath the root, from /proc/self/fd. */
static int fd_rel(const PcFsPath *p, int fd, const char *name, char **ret)
{
        char proc[64], root_path[PATH_MAX], path[PATH_MAX];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->root_fd);
        ssize_t n = readlink(proc, root_path, sizeof(root_path) - 1);
        if (n < 0)
                return -errno;
        root_path[n] = '\0';
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        n = readlink(proc, path, sizeof(path) - 1);
        if (n < 0)
                return -errno;
        path[n] = '\0';
        const char *rest = under(path, root_path);
        if (!rest)
                return -EXDEV;
        *ret = name ? (*rest ? xasprintf("%s/%s", rest, name) : xstrdup(name)) : xstrdup(rest);
        return 0;
}

/* Refuses when the file fd (or the entry name in the directory fd) lies beneath a mount
 * nested in p's root: in the sandbox that place belongs to the other mount. */
static int check_shadow(const PcFsPath *p, int fd, const char *name, const char *action,
                        const char *display, PcError *reterr)
{
        _cleanup_free_ char *rel = NULL;
        for (size_t i = 0; i < p->n_all; i++) {
                const PcToolRoot *r = &p->all[i];
                const char *sub = r != p->root && r->view && p->root->view
                                          ? under(r->view, p->root->view)
                                          : NULL;
                if (!sub || !*sub)
                        continue;
                if (!rel) {
                        int k = fd_rel(p, fd, name, &rel);
                        if (k < 0)
                                return fs_error(reterr, k == -EXDEV ? k : -EXDEV, action, display);
                }
                size_t n = strlen(sub);
                if (strncmp(rel, sub, n) == 0 && (rel[n] == '\0' || rel[n] == '/'))
                        return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EXDEV,
                                                 "Path leads into the mount at %s through a "
                                                 "symlink; cannot %s: %s. Use a path under %s/",
                                                 r->view, action, display, r->view);
        }
        return 0;
}

static int check_regular(const struct stat *st, const char *action, const char *display,
                         PcError *reterr)
{
        if (S_ISDIR(st->st_mode))
                return fs_error(reterr, -EISDIR, action, display);
        if (!S_ISREG(st->st_mode))
                return pc_error_set(reterr, -EINVAL, "Cannot %s %s: not a regular file", action,
                                    display);
        if (st->st_nlink > 1)
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EMLINK,
                                         "Refusing to %s %s: the file has %ju hard links and may "
                                         "alias a file outside the allowed mounts",
                                         action, display, (uintmax_t) st->st_nlink);
        return 0;
}

static int read_as(const PcFsPath *p, const char *action, const char *display, size_t max,
                   char **ret_data, size_t *ret_len, PcError *reterr)
{
        _cleanup_close_ int fd =
                openat2_beneath(p->root_fd, p->rel, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
        if (fd < 0)
                return fs_error(reterr, fd, action, display);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return fs_error(reterr, -errno, action, display);
        int r = check_regular(&st, action, display, reterr);
        if (r < 0)
                return r;
        r = check_shadow(p, fd, NULL, action, display, reterr);
        if (r < 0)
                return r;
        if ((uint64_t) st.st_size > max)
                return pc_error_set(reterr, -EFBIG,
                                    "File too large: %s is %jd bytes; the limit is %zu bytes (%zu "
                                    "MiB). Read a part of it with exec (head, sed -n)",
                                    display, (intmax_t) st.st_size, max, max >> 20);
        size_t alloc = (size_t) st.st_size + 1, n = 0;
        _cleanup_free_ char *buf = xmalloc(alloc + 1);
        for (;;) {
                if (n == alloc) {
                        if (n > max)
                                return pc_error_set(reterr, -EFBIG,
                                                    "File too large: %s grew beyond %zu bytes",
                                                    display, max);
                        alloc = alloc * 2 > max + 1 ? max + 1 : alloc * 2;
                        buf = xrealloc(buf, alloc + 1);
                }
                ssize_t k = read(fd, buf + n, alloc - n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return fs_error(reterr, -errno, action, display);
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        if (n > max)
                return pc_error_set(reterr, -EFBIG, "File too large: %s grew beyond %zu bytes",
                                    display, max);
        buf[n] = '\0';
        *ret_data = TAKE_PTR(buf);
        *ret_len = n;
        return 0;
}

int pc_fs_read(const PcFsPath *p, const char *action, const char *display, size_t max,
               char **ret_data, size_t *ret_len, PcError *reterr)
{
        Creds c;
        int r = creds_become(p->uid, p->gid, &c, reterr);
        if (r < 0)
                return r;
        r = read_as(p, action, display, max, ret_data, ret_len, reterr);
        creds_restore(&c);
        return r;
}

/* Splits rel into the parent part and the last component. */
static int split_rel(const char *rel, char **ret_parent, const char **ret_name)
{
        const char *slash = strrchr(rel, '/');
        const char *name = slash ? slash + 1 : rel;
        if (!*name || streq(name, ".") || streq(name, ".."))
                return -EISDIR;
        *ret_parent = slash ? xstrndup(rel, (size_t) (slash - rel)) : xstrdup("");
        *ret_name = name;
        return 0;
}

/* Opens (creating when mkdirs) every directory of parent beneath the root; returns an fd, or
 * a negative errno with reterr set. A directory is never created beneath a nested mount. */
static int open_parent(const PcFsPath *p, const char *parent, bool mkdirs, int64_t uid, int64_t gid,
                       const char *action, const char *display, PcError *reterr)
{
        int fd = openat2_beneath(p->root_fd, parent, O_PATH | O_DIRECTORY, 0);
        if (fd >= 0 || fd != -ENOENT || !mkdirs)
                return fd >= 0 ? fd : fs_error(reterr, fd, action, display);
        /* walk from the root: each prefix is opened beneath the root again */
        _cleanup_free_ char *prefix = xstrdup(parent);
        for (char *c = prefix;; c++) {
                if (*c != '/' && *c != '\0')
                        continue;
                char saved = *c;
                *c = '\0';
                _cleanup_close_ int d =
                        openat2_beneath(p->root_fd, prefix, O_PATH | O_DIRECTORY, 0);
                if (d == -ENOENT) {
                        char *slash = strrchr(prefix, '/');
                        const char *name = slash ? slash + 1 : prefix;
                        if (slash)
                                *slash = '\0';
                        _cleanup_close_ int up = openat2_beneath(p->root_fd, slash ? prefix : "",
                                                                 O_PATH | O_DIRECTORY, 0);
                        if (slash)
                                *slash = '/';
                        if (up < 0)
                                return fs_error(reterr, up, action, display);
                        if (*name && !streq(name, ".") && !streq(name, "..")) {
                                int r = check_shadow(p, up, name, action, display, reterr);
                                if (r < 0)
                                        return r;
                                if (mkdirat(up, name, 0777) < 0) {
                                        if (errno != EEXIST)
                                                return fs_error(reterr, -errno, action, display);
                                } else if (uid >= 0 || gid >= 0)
                                        (void) fchownat(up, name, (uid_t) uid, (gid_t) gid,
                                                        AT_SYMLINK_NOFOLLOW);
                        }
                        d = openat2_beneath(p->root_fd, prefix, O_PATH | O_DIRECTORY, 0);
                }
                if (d < 0)
                        return fs_error(reterr, d, action, display);
                *c = saved;
                if (saved == '\0')
                        break;
        }
        fd = openat2_beneath(p->root_fd, parent, O_PATH | O_DIRECTORY, 0);
        return fd >= 0 ? fd : fs_error(reterr, fd, action, display);
}

static int write_all(int fd, const void *data, size_t len)
{
        const char *p = data;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

static void temp_name(char *buf, size_t n, int i)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(buf, n, ".pincer-tmp-%d-%lx-%d", (int) getpid(), (unsigned long) ts.tv_nsec, i);
}

/* An unnamed O_TMPFILE in the directory when the filesystem supports it (nothing is left
 * behind when the gateway dies before the rename), else a unique name made with O_EXCL
 * (tmp is set; *ret_anon false). */
static int create_temp(int dfd, mode_t mode, bool *ret_anon, char *tmp, size_t n)
{
        int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
        if (fd >= 0) {
                *ret_anon = true;
                return fd;
        }
        *ret_anon = false;
        for (int i = 0; i < 100; i++) {
                temp_name(tmp, n, i);
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST) {
                        tmp[0] = '\0';
                        return -errno;
                }
        }
        tmp[0] = '\0';
        return -EEXIST;
}

/* Gives an O_TMPFILE a unique name in dfd (AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the
 * /proc/self/fd link works without it). */
static int link_temp(int fd, int dfd, char *tmp, size_t n)
{
        char proc[64];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        for (int i = 0; i < 100; i++) {
                temp_name(tmp, n, i);
                if (linkat(fd, "", dfd, tmp, AT_EMPTY_PATH) == 0)
                        return 0;
                if (errno != EEXIST && linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW) == 0)
                        return 0;
                if (errno != EEXIST) {
                        tmp[0] = '\0';
                        return -errno;
                }
        }
        tmp[0] = '\0';
        return -EEXIST;
}

/* Where an in-root symlink points: the path beneath the root of the file the kernel reaches
 * by following it beneath the root (-EXDEV when it leaves, -ENOENT when it dangles). */
static int resolve_link(const PcFsPath *p, char **ret_rel)
{
        _cleanup_close_ int t = openat2_beneath(p->root_fd, p->rel, O_PATH, 0);
        if (t < 0)
                return t;
        _cleanup_free_ char *rel = NULL;
        int r = fd_rel(p, t, NULL, &rel);
        if (r < 0)
                return r;
        if (!*rel)
                return -EXDEV; /* the root itself */
        *ret_rel = TAKE_PTR(rel);
        return 0;
}

static int write_at(const PcFsPath *p, const char *display, const void *data, size_t len,
                    bool mkdirs, int64_t uid, int64_t gid, int depth, const Creds *c,
                    PcError *reterr);

int pc_fs_write(const PcFsPath *p, const char *display, const void *data, size_t len, bool mkdirs,
                int64_t uid, int64_t gid, PcError *reterr)
{
        Creds c;
        int r = creds_become(uid, gid, &c, reterr);
        if (r < 0)
                return r;
        r = write_at(p, display, data, len, mkdirs, uid, gid, 0, &c, reterr);
        creds_restore(&c);
        return r;
}

static int write_at(const PcFsPath *p, const char *display, const void *data, size_t len,
                    bool mkdirs, int64_t uid, int64_t gid, int depth, const Creds *c,
                    PcError *reterr)
{
        if (len > PC_FS_WRITE_MAX)
                return pc_error_set(reterr, -EFBIG,
                                    "Content too large for %s: %zu bytes; the limit is %u bytes",
                                    display, len, PC_FS_WRITE_MAX);
        _cleanup_free_ char *parent = NULL;
        const char *name = NULL;
        int r = split_rel(p->rel, &parent, &name);
        if (r < 0)
                return fs_error(reterr, r, "write", display);
        _cleanup_close_ int pfd =
                open_parent(p, parent, mkdirs, uid, gid, "write", display, reterr);
        if (pfd < 0)
                return pfd;
        /* a real directory fd (O_PATH cannot be used for creating) */
        _cleanup_close_ int dfd = openat2_beneath(pfd, "", O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0)
                return fs_error(reterr, dfd, "write", display);
        r = check_shadow(p, dfd, name, "write", display, reterr);
        if (r < 0)
                return r;

        for (int attempt = 0;; attempt++) {
                struct stat st;
                bool exists = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
                if (!exists && errno != ENOENT)
                        return fs_error(reterr, -errno, "write", display);
                if (exists && S_ISLNK(st.st_mode) && depth == 0) {
                        /* an in-root link: write the file it points to, once */
                        _cleanup_free_ char *rel = NULL;
                        r = resolve_link(p, &rel);
                        if (r == -EXDEV || r == -ELOOP)
                                return fs_error(reterr, r, "write", display);
                        if (r >= 0) {
                                PcFsPath q = *p;
                                q.rel = rel;
                                return write_at(&q, display, data, len, false, uid, gid, 1, c,
                                                reterr);
                        }
                }
                if (exists && S_ISLNK(st.st_mode))
                        return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -ELOOP,
                                                 "Refusing to write %s: it is a symlink that "
                                                 "does not lead to a file inside the allowed "
                                                 "mounts",
                                                 display);
                if (exists && (r = check_regular(&st, "write", display, reterr)) < 0)
                        return r;

                /* a new file: 0666 and the kernel applies the umask; an existing one: created
                 * 0600 (no one can read the new content early), then given the old mode */
                char tmp[64] = "";
                bool anon = true;
                _cleanup_close_ int fd =
                        create_temp(dfd, exists ? 0600 : 0666, &anon, tmp, sizeof(tmp));
                if (fd < 0)
                        return fs_error(reterr, fd, "write", display);

                r = write_all(fd, data, len);
                /* the old mode, less set-user-ID and set-group-ID (with group execute): new
                 * content must not inherit them, as the kernel drops them on a write */
                mode_t keep = st.st_mode & 07777 & ~(mode_t) S_ISUID;
                if (keep & S_IXGRP)
                        keep &= ~(mode_t) S_ISGID;
                if (r >= 0 && exists) {
                        /* the old owner (only root can give a file away: a gateway that is
                         * not root keeps it) and mode, with root's rights for this step */
                        creds_pause(c);
                        if (geteuid() == 0)
                                r = RET_NERRNO(fchown(fd, st.st_uid, st.st_gid));
                        if (r >= 0)
                                r = RET_NERRNO(fchmod(fd, keep));
                        creds_resume(c);
                } else if (r >= 0 && (uid >= 0 || gid >= 0)) {
                        /* a new file: the call's owner (already so when made as that user) */
                        r = RET_NERRNO(fchown(fd, (uid_t) uid, (gid_t) gid));
                        if (r == -EPERM && geteuid() != 0)
                                r = 0;
                }
                if (r >= 0)
                        r = RET_NERRNO(fsync(fd));
                if (r >= 0 && anon) {
                        /* a temp file given to another owner above cannot be linked by the
                         * user (protected_hardlinks): root's step too, into a directory the
                         * kernel already let the user create in */
                        if (exists)
                                creds_pause(c);
                        r = link_temp(fd, dfd, tmp, sizeof(tmp));
                        if (exists)
                                creds_resume(c);
                }
                if (r >= 0)
                        r = RET_NERRNO((int) syscall(SYS_renameat2, dfd, tmp, dfd, name,
                                                     exists ? 0 : RENAME_NOREPLACE));
                if (r < 0) {
                        if (tmp[0])
                                (void) unlinkat(dfd, tmp, 0);
                        if (r == -EEXIST && attempt < 3)
                                continue; /* created concurrently: check it again */
                        return fs_error(reterr, r, "write", display);
                }
                (void) fsync(dfd);
                return 0;
        }
}

static int unlink_as(const PcFsPath *p, const char *display, PcError *reterr)
{
        _cleanup_free_ char *parent = NULL;
        const char *name = NULL;
        int r = split_rel(p->rel, &parent, &name);
        if (r < 0)
                return fs_error(reterr, r, "delete", display);
        _cleanup_close_ int pfd = open_parent(p, parent, false, -1, -1, "delete", display, reterr);
        if (pfd < 0)
                return pfd;
        _cleanup_close_ int dfd = openat2_beneath(pfd, "", O_RDONLY | O_DIRECTORY, 0);
        if (dfd < 0)
                return fs_error(reterr, dfd, "delete", display);
        r = check_shadow(p, dfd, name, "delete", display, reterr);
        if (r < 0)
                return r;
        if (unlinkat(dfd, name, 0) < 0)
                return fs_error(reterr, -errno, "delete", display);
        (void) fsync(dfd);
        return 0;
}

int pc_fs_unlink(const PcFsPath *p, const char *display, PcError *reterr)
{
        Creds c;
        int r = creds_become(p->uid, p->gid, &c, reterr);
        if (r < 0)
                return r;
        r = unlink_as(p, display, reterr);
        creds_restore(&c);
        return r;
}

static int check_as(const PcFsPath *p, PcFsCheck what, const char *action, const char *display,
                    PcError *reterr)
{
        _cleanup_free_ char *parent = NULL;
        const char *name = NULL;
        int r = split_rel(p->rel, &parent, &name);
        if (r < 0)
                return fs_error(reterr, r, action, display);
        if (what == PC_FS_CHECK_FILE) {
                _cleanup_close_ int fd = openat2_beneath(p->root_fd, p->rel, O_PATH, 0);
                if (fd < 0)
                        return fs_error(reterr, fd, action, display);
                return check_shadow(p, fd, NULL, action, display, reterr);
        }
        /* the longest existing part of the parent (the rest would be created) */
        _cleanup_close_ int dfd = -EBADF;
        for (;;) {
                dfd = openat2_beneath(p->root_fd, parent, O_PATH | O_DIRECTORY, 0);
                if (dfd != -ENOENT || !*parent)
                        break;
                char *slash = strrchr(parent, '/');
                if (slash)
                        *slash = '\0';
                else
                        parent[0] = '\0';
                name = NULL; /* the name is beneath a directory that does not exist yet */
        }
        if (dfd < 0)
                return fs_error(reterr, dfd, action, display);
        if (!name)
                return check_shadow(p, dfd, NULL, action, display, reterr);
        r = check_shadow(p, dfd, name, action, display, reterr);
        if (r < 0)
                return r;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT && what == PC_FS_CHECK_TARGET
                               ? 0
                               : fs_error(reterr, -errno, action, display);
        if (S_ISLNK(st.st_mode) && what == PC_FS_CHECK_TARGET) {
                /* a write follows an in-root link once: where it leads must be inside */
                _cleanup_free_ char *rel = NULL;
                r = resolve_link(p, &rel);
                if (r == -EXDEV || r == -ELOOP)
                        return fs_error(reterr, r, action, display);
        }
        return 0;
}

int pc_fs_check(const PcFsPath *p, PcFsCheck what, const char *action, const char *display,
                PcError *reterr)
{
        Creds c;
        int r = creds_become(p->uid, p->gid, &c, reterr);
        if (r < 0)
                return r;
        r = check_as(p, what, action, display, reterr);
        creds_restore(&c);
        return r;
}

size_t pc_fs_utf16_length(const char *s, size_t len)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) s[i];
                if ((c & 0xC0) == 0x80)
                        continue; /* continuation byte */
                n += c >= 0xF0 ? 2 : 1;
        }
        return n;
}

void pc_fs_result_error(PcToolResult *ret, const PcError *e)
{
        _cleanup_free_ char *msg = pc_utf8_sanitize(e->msg, strlen(e->msg));
        pc_tool_result_text(ret, msg, true);
}
