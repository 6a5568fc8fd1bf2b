/* SPDX-License-Identifier: MIT */
#include "images.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs-util.h"
#include "base/sha256.h"

#define IMAGE_NAME_MAX 128

bool pc_image_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > IMAGE_NAME_MAX)
                return false;
        if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
              (name[0] >= '0' && name[0] <= '9')))
                return false;
        if (strstr(name, "..") || strstr(name, "//") || name[n - 1] == '/' || name[n - 1] == ':')
                return false;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr("._/:-", *p)))
                        return false;
        return true;
}

char *pc_image_dir_name(const char *name)
{
        PcBuf b = PC_BUF_INIT;

        if (!pc_image_name_valid(name))
                return NULL;
        for (const char *p = name; *p; p++)
                if (*p == ':')
                        pc_buf_addstr(&b, "%3A");
                else if (*p == '/')
                        pc_buf_addstr(&b, "%2F");
                else
                        pc_buf_addch(&b, *p);
        return pc_buf_detach(&b);
}

char *pc_image_name_from_dir(const char *dir)
{
        PcBuf b = PC_BUF_INIT;

        for (const char *p = dir; *p; p++) {
                if (*p != '%') {
                        pc_buf_addch(&b, *p);
                        continue;
                }
                if (startswith(p, "%3A"))
                        pc_buf_addch(&b, ':');
                else if (startswith(p, "%2F"))
                        pc_buf_addch(&b, '/');
                else {
                        pc_buf_release(&b);
                        return NULL;
                }
                p += 2;
        }
        if (!pc_image_name_valid(b.buf)) {
                pc_buf_release(&b);
                return NULL;
        }
        return pc_buf_detach(&b);
}

static int check_name(const char *name, PcError *reterr)
{
        if (pc_image_name_valid(name))
                return 0;
        return pc_error_set(reterr, -EINVAL,
                            "invalid image name '%.140s' (1..128 of A-Z a-z 0-9 . _ / : -, "
                            "starting with a letter or digit)",
                            name ? name : "");
}

static char *images_dir(const char *state_dir)
{
        return xasprintf("%s/images", state_dir);
}

int pc_image_path(const char *state_dir, const char *name, char **ret_rootfs, PcError *reterr)
{
        _cleanup_free_ char *dir = NULL, *rootfs = NULL;
        struct stat st;
        int r = check_name(name, reterr);

        if (r < 0)
                return r;
        dir = pc_image_dir_name(name);
        rootfs = xasprintf("%s/images/%s/rootfs", state_dir, dir);
        if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                return pc_error_set(reterr, -ENOENT,
                                    "native image '%s' not found; build it with: pincer image "
                                    "build %s",
                                    name, name);
        *ret_rootfs = TAKE_PTR(rootfs);
        return 0;
}

/* --- helpers -------------------------------------------------------------------------- */

/* Runs argv (argv[0] looked up in PATH) with env added to a minimal environment; output to
 * the terminal when progress, else appended to log. Returns 0, or -EIO (non-zero exit),
 * -ENOENT (not installed) or -errno. */
static int run(char *const argv[], char *const env[], bool progress, const char *log)
{
        int log_fd = -1, status;
        pid_t pid;

        if (!progress) {
                log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (log_fd < 0)
                        return -errno;
                dprintf(log_fd, "=== %s ...\n", argv[0]);
        }
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                if (log_fd >= 0)
                        close(log_fd);
                return r;
        }
        if (pid == 0) {
                if (log_fd >= 0) {
                        int null = open("/dev/null", O_RDONLY);
                        if (null >= 0)
                                dup2(null, 0);
                        dup2(log_fd, 1);
                        dup2(log_fd, 2);
                }
                execvpe(argv[0], argv, env);
                _exit(errno == ENOENT ? 127 : 126);
        }
        if (log_fd >= 0)
                close(log_fd);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
                return -ENOENT;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static char *const base_env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG=C.UTF-8",
        "DEBIAN_FRONTEND=noninteractive",
        NULL,
};

static int run_step(const char *what, char *const argv[], bool progress, const char *log,
                    PcError *reterr)
{
        int r = run(argv, base_env, progress, log);

        if (r == -ENOENT)
                return pc_error_set(reterr, -ENOENT,
                                    "%s: '%s' is not installed (apt-get install %s)", what, argv[0],
                                    argv[0]);
        if (r < 0)
                return pc_error_set(reterr, r, "%s failed%s%s%s", what,
                                    progress ? "" : " (output in ", progress ? "" : log,
                                    progress ? "" : ")");
        return 0;
}

/* Sorted, unique package names from a space or comma separated list, as a JSON array. */
static json_t *package_list(const char *packages, PcError *reterr, int *ret)
{
        _cleanup_free_ char *copy = xstrdup(packages ? packages : "");
        json_t *arr = json_array();
        char *save = NULL;

        *ret = 0;
        for (char *t = strtok_r(copy, " ,\t\n", &save); t; t = strtok_r(NULL, " ,\t\n", &save)) {
                for (const char *p = t; *p; p++)
                        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                              strchr("+-.:=", *p))) {
                                *ret = pc_error_set(reterr, -EINVAL, "invalid package name '%.64s'",
                                                    t);
                                json_decref(arr);
                                return NULL;
                        }
                size_t i, n = json_array_size(arr);
                for (i = 0; i < n; i++) {
                        int c = strcmp(t, json_string_value(json_array_get(arr, i)));
                        if (c == 0)
                                break;
                        if (c < 0) {
                                json_array_insert_new(arr, i, json_string(t));
                                break;
                        }
                }
                if (i == n)
                        json_array_append_new(arr, json_string(t));
        }
        return arr;
}

static void now_rfc3339(char buf[32])
{
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int write_meta(const char *dir, const char *name, const char *source, json_t *packages,
                      const char *from, const char *suite)
{
        _cleanup_free_ char *path = xasprintf("%s/image.json", dir);
        char created[32];
        json_t *o = json_object();
        int r;

        now_rfc3339(created);
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "created", json_string(created));
        json_object_set_new(o, "source", json_string(source));
        json_object_set(o, "packages", packages ? packages : json_array());
        if (!packages)
                json_decref(json_object_get(o, "packages"));
        json_object_set_new(o, "from", from ? json_string(from) : json_null());
        json_object_set_new(o, "suite", suite ? json_string(suite) : json_null());
        r = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ? -EIO : 0;
        json_decref(o);
        return r;
}

/* The store context of one build or import: lock held, temp dir made. */
typedef struct Op {
        char *images;
        char *final; /* <images>/<dir> */
        char *tmp;   /* <images>/.tmp-XXXXXX */
        char *log;
        int lock_fd;
} Op;

static void op_release(Op *op)
{
        if (op->tmp)
                (void) pc_rm_rf(op->tmp);
        free(op->images);
        free(op->final);
        free(op->tmp);
        free(op->log);
        if (op->lock_fd >= 0)
                close(op->lock_fd);
}

/* With the lock held no other operation runs: temporary directories left by one that
 * crashed are removed. */
static void sweep_stale(const char *images)
{
        DIR *d = opendir(images);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d)))
                if (startswith(de->d_name, ".tmp-") || startswith(de->d_name, ".old-")) {
                        _cleanup_free_ char *p = xasprintf("%s/%s", images, de->d_name);
                        (void) pc_rm_rf(p);
                }
        closedir(d);
}

static int op_begin(Op *op, const char *state_dir, const char *name, bool replace, PcError *reterr)
{
        _cleanup_free_ char *dir = pc_image_dir_name(name);
        _cleanup_free_ char *lock = NULL, *logs = NULL;
        struct stat st;
        int r;

        *op = (Op){.lock_fd = -1};
        if ((r = check_name(name, reterr)) < 0)
                return r;
        op->images = images_dir(state_dir);
        logs = xasprintf("%s/.logs", op->images);
        r = pc_mkdir_p(logs, 0700);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot create %s: %s", logs, strerror(-r));
        lock = xasprintf("%s/.lock", op->images);
        op->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (op->lock_fd < 0 || flock(op->lock_fd, LOCK_EX) < 0)
                return pc_error_set(reterr, -errno, "cannot lock %s: %s", lock, strerror(errno));
        sweep_stale(op->images);
        op->final = xasprintf("%s/%s", op->images, dir);
        op->log = xasprintf("%s/%s.log", logs, dir);
        (void) unlink(op->log);
        if (!replace && lstat(op->final, &st) == 0)
                return pc_error_set_kind(reterr, PC_ERROR_CONFLICT, -EEXIST,
                                         "native image '%s' already exists (remove it with: "
                                         "pincer image rm %s)",
                                         name, name);
        op->tmp = xasprintf("%s/.tmp-XXXXXX", op->images);
        if (!mkdtemp(op->tmp)) {
                r = -errno;
                free(op->tmp);
                op->tmp = NULL;
                return pc_error_set(reterr, r, "cannot create a temporary directory in %s: %s",
                                    op->images, strerror(-r));
        }
        (void) chmod(op->tmp, 0755);
        return 0;
}

/* Moves the finished temp dir into place (replacing an old image). */
static int op_commit(Op *op, const char *name, PcError *reterr)
{
        _cleanup_free_ char *old = NULL;
        struct stat st;

        if (lstat(op->final, &st) == 0) {
                old = xasprintf("%s/.old-XXXXXX", op->images);
                if (!mkdtemp(old) || rename(op->final, old) < 0)
                        return pc_error_set(reterr, -errno, "cannot replace image '%s': %s", name,
                                            strerror(errno));
        }
        if (rename(op->tmp, op->final) < 0)
                return pc_error_set(reterr, -errno, "cannot move image '%s' into place: %s", name,
                                    strerror(errno));
        free(op->tmp);
        op->tmp = NULL;
        if (old)
                (void) pc_rm_rf(old);
        return 0;
}

/* --- import ---------------------------------------------------------------------------- */

int pc_image_import(const char *state_dir, const char *name, const char *tar_path, bool replace,
                    bool progress, PcError *reterr)
{
        _cleanup_(op_release) Op op = {.lock_fd = -1};
        _cleanup_free_ char *rootfs = NULL;
        int r;

        if (access(tar_path, R_OK) < 0)
                return pc_error_set(reterr, -errno, "cannot read '%s': %s", tar_path,
                                    strerror(errno));
        r = op_begin(&op, state_dir, name, replace, reterr);
        if (r < 0)
                return r;
        rootfs = xasprintf("%s/rootfs", op.tmp);
        if (mkdir(rootfs, 0755) < 0)
                return pc_error_set(reterr, -errno, "mkdir %s: %s", rootfs, strerror(errno));
        char *const argv[] = {"tar",  "-xpf", (char *) tar_path, "--numeric-owner", "-C",
                              rootfs, NULL};
        r = run_step("tar -xpf", argv, progress, op.log, reterr);
        if (r < 0)
                return pc_error_prefix(reterr, "importing '%s'", name);
        r = write_meta(op.tmp, name, "import", NULL, NULL, NULL);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot write image.json of '%s'", name);
        return op_commit(&op, name, reterr);
}

/* --- build ----------------------------------------------------------------------------- */

/* The first http(s)/file URI of the host's apt sources that serves suite, or NULL. */
static char *host_uri_for(const char *suite)
{
        glob_t g = {0};
        char *found = NULL;

        (void) glob("/etc/apt/sources.list", 0, NULL, &g);
        (void) glob("/etc/apt/sources.list.d/*.list", GLOB_APPEND, NULL, &g);
        (void) glob("/etc/apt/sources.list.d/*.sources", GLOB_APPEND, NULL, &g);
        for (size_t i = 0; i < g.gl_pathc && !found; i++) {
                _cleanup_fclose_ FILE *f = fopen(g.gl_pathv[i], "re");
                bool deb822 = strstr(g.gl_pathv[i], ".sources") != NULL;
                char line[1024];
                _cleanup_free_ char *uris = NULL, *suites = NULL;
                bool is_deb = false, enabled = true;

                if (!f)
                        continue;
                for (;;) {
                        char *l = fgets(line, sizeof(line), f);
                        char *s = l;
                        if (l) {
                                l[strcspn(l, "\r\n")] = '\0';
                                while (*s == ' ' || *s == '\t')
                                        s++;
                        }
                        if (!deb822) {
                                if (!l)
                                        break;
                                char *save = NULL, *t = strtok_r(s, " \t", &save);
                                if (!t || !streq(t, "deb"))
                                        continue;
                                t = strtok_r(NULL, " \t", &save);
                                if (t && t[0] == '[')
                                        while (t && !strchr(t, ']'))
                                                t = strtok_r(NULL, " \t", &save);
                                if (t && t[0] == '[')
                                        t = strtok_r(NULL, " \t", &save);
                                else if (t && strchr(t, ']'))
                                        t = strtok_r(NULL, " \t", &save);
                                char *sv = t ? strtok_r(NULL, " \t", &save) : NULL;
                                if (t && sv && streq(sv, suite) &&
                                    (startswith(t, "http:") || startswith(t, "https:") ||
                                     startswith(t, "file:"))) {
                                        found = xstrdup(t);
                                        break;
                                }
                                continue;
                        }
                        if (!l || *s == '\0') { /* end of a deb822 stanza */
                                if (is_deb && enabled && uris && suites) {
                                        char *sv = NULL, *save = NULL;
                                        for (char *t = strtok_r(suites, " \t", &save); t;
                                             t = strtok_r(NULL, " \t", &save))
                                                if (streq(t, suite))
                                                        sv = t;
                                        char *u = sv ? strtok_r(uris, " \t", &save) : NULL;
                                        if (u &&
                                            (startswith(u, "http:") || startswith(u, "https:") ||
                                             startswith(u, "file:")))
                                                found = xstrdup(u);
                                }
                                free(uris);
                                free(suites);
                                uris = suites = NULL;
                                is_deb = false;
                                enabled = true;
                                if (!l || found)
                                        break;
                                continue;
                        }
                        if (*s == '#')
                                continue;
                        char *colon = strchr(s, ':');
                        if (!colon)
                                continue;
                        *colon = '\0';
                        char *v = colon + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        if (strcasecmp(s, "Types") == 0)
                                is_deb = strstr(v, "deb") &&
                                         (streq(v, "deb") || startswith(v, "deb ") ||
                                          strstr(v, " deb"));
                        else if (strcasecmp(s, "URIs") == 0) {
                                free(uris);
                                uris = xstrdup(v);
                        } else if (strcasecmp(s, "Suites") == 0) {
                                free(suites);
                                suites = xstrdup(v);
                        } else if (strcasecmp(s, "Enabled") == 0)
                                enabled = !(streq(v, "no") || streq(v, "false") || streq(v, "0"));
                }
        }
        globfree(&g);
        return found;
}

static int build_mmdebstrap(Op *op, const PcImageBuildOptions *opts, const char *suite,
                            json_t *pkgs, PcError *reterr)
{
        _cleanup_free_ char *mirror = NULL, *security = NULL, *updates = NULL;
        _cleanup_free_ char *include = NULL, *rootfs = NULL;
        _cleanup_free_ char *suite_sec = xasprintf("%s-security", suite);
        _cleanup_free_ char *suite_upd = xasprintf("%s-updates", suite);
        _cleanup_free_ char *l_main = NULL, *l_upd = NULL, *l_sec = NULL;
        _cleanup_buf_ PcBuf inc = PC_BUF_INIT;
        const char *argv[40];
        size_t n = 0, i;
        json_t *p;

        mirror = getenv("PINCER_DEBIAN_MIRROR") ? xstrdup(getenv("PINCER_DEBIAN_MIRROR"))
                                                : host_uri_for(suite);
        security = getenv("PINCER_DEBIAN_SECURITY_MIRROR")
                           ? xstrdup(getenv("PINCER_DEBIAN_SECURITY_MIRROR"))
                           : host_uri_for(suite_sec);
        updates = host_uri_for(suite_upd);
        if (!mirror) {
                mirror = xstrdup("http://deb.debian.org/debian");
                if (!security)
                        security = xstrdup("http://deb.debian.org/debian-security");
                if (!updates)
                        updates = xstrdup(mirror);
        }
        json_array_foreach (pkgs, i, p)
                pc_buf_addf(&inc, "%s%s", i ? "," : "", json_string_value(p));
        rootfs = xasprintf("%s/rootfs", op->tmp);
        l_main = xasprintf("deb %s %s main", mirror, suite);

        argv[n++] = "mmdebstrap";
        /* On a terminal mmdebstrap's own progress; in the log, everything. */
        if (!opts->progress)
                argv[n++] = "--verbose";
        argv[n++] = "--variant=minbase";
        argv[n++] = "--format=directory";
        argv[n++] = "--hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr";
        argv[n++] = "--dpkgopt=path-exclude=/usr/share/man/*";
        argv[n++] = "--dpkgopt=path-exclude=/usr/share/locale/*";
        argv[n++] = "--dpkgopt=path-include=/usr/share/locale/locale.alias";
        argv[n++] = "--dpkgopt=path-exclude=/usr/share/doc/*";
        argv[n++] = "--dpkgopt=path-include=/usr/share/doc/*/copyright";
        argv[n++] = "--dpkgopt=path-exclude=/usr/share/info/*";
        /* The sandbox user of OpenClaw's image, ids pinned to 1000 (mmdebstrap runs its hooks
         * with sh; these strings are fixed, nothing user-controlled goes into them). */
        argv[n++] = "--customize-hook=chroot \"$1\" groupadd --gid 1000 sandbox";
        argv[n++] = "--customize-hook=chroot \"$1\" useradd --uid 1000 --gid 1000 "
                    "--create-home --home-dir /home/sandbox --shell /bin/bash sandbox";
        argv[n++] = "--customize-hook=echo localhost >\"$1/etc/hostname\" && : "
                    ">\"$1/etc/resolv.conf\"";
        if (inc.len > 0) {
                include = xasprintf("--include=%s", inc.buf);
                argv[n++] = include;
        }
        argv[n++] = suite;
        argv[n++] = rootfs;
        argv[n++] = l_main;
        if (updates) {
                l_upd = xasprintf("deb %s %s main", updates, suite_upd);
                argv[n++] = l_upd;
        }
        if (security) {
                l_sec = xasprintf("deb %s %s main", security, suite_sec);
                argv[n++] = l_sec;
        }
        argv[n] = NULL;
        if (opts->progress)
                fprintf(stderr, "pincer image: mmdebstrap %s (packages: %s; mirror %s)\n", suite,
                        inc.len ? inc.buf : "none", mirror);
        return run_step("mmdebstrap", (char *const *) argv, opts->progress, op->log, reterr);
}

static int build_from(Op *op, const char *state_dir, const PcImageBuildOptions *opts, json_t *pkgs,
                      PcError *reterr)
{
        _cleanup_free_ char *src = NULL, *rootfs = xasprintf("%s/rootfs", op->tmp);
        _cleanup_free_ char *resolv = xasprintf("%s/etc/resolv.conf", rootfs);
        int r = pc_image_path(state_dir, opts->from, &src, reterr);

        if (r < 0)
                return r;
        char *const cp[] = {"cp", "-a", "--reflink=auto", src, rootfs, NULL};
        if (opts->progress)
                fprintf(stderr, "pincer image: copying %s\n", opts->from);
        r = run_step("cp -a", cp, opts->progress, op->log, reterr);
        if (r < 0 || json_array_size(pkgs) == 0)
                return r;

        /* apt needs name resolution: the host's resolv.conf during the install only. */
        char *const cp_resolv[] = {"cp", "-L", "/etc/resolv.conf", resolv, NULL};
        (void) unlink(resolv);
        r = run_step("copying /etc/resolv.conf", cp_resolv, opts->progress, op->log, reterr);
        if (r < 0)
                return r;
        char *const update[] = {"chroot", rootfs, "apt-get", "update", "-qq", NULL};
        r = run_step("apt-get update (chroot)", update, opts->progress, op->log, reterr);
        if (r >= 0) {
                size_t n = json_array_size(pkgs), i;
                _cleanup_free_ const char **argv = xcalloc(n + 8, sizeof(char *));
                size_t k = 0;
                argv[k++] = "chroot";
                argv[k++] = rootfs;
                argv[k++] = "apt-get";
                argv[k++] = "install";
                argv[k++] = "-y";
                argv[k++] = "-qq";
                argv[k++] = "--no-install-recommends";
                for (i = 0; i < n; i++)
                        argv[k++] = json_string_value(json_array_get(pkgs, i));
                argv[k] = NULL;
                r = run_step("apt-get install (chroot)", (char *const *) argv, opts->progress,
                             op->log, reterr);
        }
        if (r >= 0) {
                char *const clean[] = {"chroot", rootfs, "apt-get", "clean", NULL};
                (void) run(clean, base_env, opts->progress, op->log);
        }
        int fd = open(resolv, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
                close(fd);
        return r;
}

int pc_image_build(const char *state_dir, const PcImageBuildOptions *opts, PcError *reterr)
{
        _cleanup_(op_release) Op op = {.lock_fd = -1};
        const char *suite = opts->suite ? opts->suite : PC_IMAGE_DEFAULT_SUITE;
        const char *packages =
                opts->packages ? opts->packages : (opts->from ? "" : PC_IMAGE_DEFAULT_PACKAGES);
        json_t *pkgs;
        int r;

        if ((r = check_name(opts->name, reterr)) < 0)
                return r;
        if (opts->from && (r = check_name(opts->from, reterr)) < 0)
                return r;
        for (const char *p = suite; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return pc_error_set(reterr, -EINVAL, "invalid suite '%.40s'", suite);
        if (geteuid() != 0)
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EPERM,
                                         "building a native image needs root (mmdebstrap and "
                                         "chroot); run it as root, or import a tarball with: "
                                         "pincer image import %s FILE.tar",
                                         opts->name);
        pkgs = package_list(packages, reterr, &r);
        if (!pkgs)
                return r;
        r = op_begin(&op, state_dir, opts->name, opts->replace, reterr);
        if (r >= 0)
                r = opts->from ? build_from(&op, state_dir, opts, pkgs, reterr)
                               : build_mmdebstrap(&op, opts, suite, pkgs, reterr);
        if (r >= 0) {
                r = write_meta(op.tmp, opts->name, opts->from ? "from" : "mmdebstrap", pkgs,
                               opts->from, opts->from ? NULL : suite);
                if (r < 0)
                        pc_error_set(reterr, r, "cannot write image.json of '%s'", opts->name);
        }
        if (r >= 0)
                r = op_commit(&op, opts->name, reterr);
        else
                (void) pc_error_prefix(reterr, "building native image '%s'", opts->name);
        json_decref(pkgs);
        return r;
}

/* --- list and remove --------------------------------------------------------------------- */

static int cmp_name(const void *a, const void *b)
{
        return strcmp(json_string_value(json_object_get(*(json_t *const *) a, "name")),
                      json_string_value(json_object_get(*(json_t *const *) b, "name")));
}

int pc_image_list(const char *state_dir, json_t **ret, PcError *reterr)
{
        _cleanup_free_ char *images = images_dir(state_dir);
        json_t **items = NULL;
        size_t n = 0, alloc = 0;
        DIR *d = opendir(images);
        struct dirent *de;
        json_t *arr = json_array();

        if (!d) {
                if (errno != ENOENT) {
                        json_decref(arr);
                        return pc_error_set(reterr, -errno, "cannot read %s: %s", images,
                                            strerror(errno));
                }
                *ret = arr;
                return 0;
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *name = NULL, *meta = NULL, *rootfs = NULL;
                json_t *o;

                if (de->d_name[0] == '.' || !(name = pc_image_name_from_dir(de->d_name)))
                        continue;
                meta = xasprintf("%s/%s/image.json", images, de->d_name);
                rootfs = xasprintf("%s/%s/rootfs", images, de->d_name);
                o = json_load_file(meta, 0, NULL);
                if (!json_is_object(o)) {
                        json_decref(o);
                        o = json_object();
                        json_object_set_new(o, "source", json_string("unknown"));
                }
                json_object_set_new(o, "name", json_string(name));
                json_object_set_new(o, "path", json_string(rootfs));
                items = xgrow(items, &alloc, n + 1, sizeof(*items));
                items[n++] = o;
        }
        closedir(d);
        if (n > 0)
                qsort(items, n, sizeof(*items), cmp_name);
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, items[i]);
        free(items);
        *ret = arr;
        return 0;
}

int pc_image_remove(const char *state_dir, const char *name, PcError *reterr)
{
        _cleanup_free_ char *images = images_dir(state_dir), *dir = NULL, *path = NULL;
        _cleanup_free_ char *lock = NULL, *old = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        int r = check_name(name, reterr);

        if (r < 0)
                return r;
        dir = pc_image_dir_name(name);
        path = xasprintf("%s/%s", images, dir);
        if (access(path, F_OK) < 0)
                return pc_error_set(reterr, -ENOENT, "native image '%s' not found", name);
        lock = xasprintf("%s/.lock", images);
        lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
                return pc_error_set(reterr, -errno, "cannot lock %s: %s", lock, strerror(errno));
        sweep_stale(images);
        /* Out of sight first, then deleted: a crash mid-way leaves no half image. */
        old = xasprintf("%s/.old-XXXXXX", images);
        if (!mkdtemp(old))
                return pc_error_set(reterr, -errno, "mkdtemp in %s: %s", images, strerror(errno));
        _cleanup_free_ char *dst = xasprintf("%s/image", old);
        if (rename(path, dst) < 0)
                return pc_error_set(reterr, -errno, "cannot remove image '%s': %s", name,
                                    strerror(errno));
        r = pc_rm_rf(old);
        if (r < 0)
                return pc_error_set(reterr, r, "image '%s' removed, but deleting %s failed: %s",
                                    name, old, strerror(-r));
        return 0;
}

/* --- provisioning ------------------------------------------------------------------------- */

#define PROVISION_EPOCH  "pincer-native-provision/1"
#define PROVISION_OUTPUT (1024 * 1024)
/* The same limit as the docker backend's provisioning (apt-get on a slow mirror). Not a
 * setting: PINCER_NATIVE_PROVISION_TIMEOUT_MS overrides it for the tests only
 * (docs/sandbox.md). */
#define PROVISION_TIMEOUT_MS  (60 * 60 * 1000)
#define PROVISION_TIMEOUT_ENV "PINCER_NATIVE_PROVISION_TIMEOUT_MS"

static int64_t provision_timeout_ms(void)
{
        const char *v = getenv(PROVISION_TIMEOUT_ENV);
        char *end;
        long long ms = v ? strtoll(v, &end, 10) : 0;
        return v && *v && !*end && ms > 0 ? ms : PROVISION_TIMEOUT_MS;
}

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The identity of base: its name and the created time in its image.json. */
static int base_identity(const char *state_dir, const char *base, char **ret, PcError *reterr)
{
        _cleanup_free_ char *rootfs = NULL;
        int r = pc_image_path(state_dir, base, &rootfs, reterr);
        if (r < 0)
                return r;
        _cleanup_free_ char *meta =
                xasprintf("%.*s/image.json", (int) (strlen(rootfs) - 7), rootfs);
        json_t *o = json_load_file(meta, 0, NULL);
        const char *created = json_string_value(json_object_get(o, "created"));
        struct stat st;
        if (created)
                *ret = xasprintf("%s\n%s", base, created);
        else if (stat(rootfs, &st) == 0)
                *ret = xasprintf("%s\n%llu:%lld", base, (unsigned long long) st.st_ino,
                                 (long long) st.st_mtime);
        else
                *ret = xstrdup(base);
        json_decref(o);
        return 0;
}

char *pc_image_provisioned_name(const char *identity, const char *script)
{
        PcSha256 ctx;
        pc_sha256_init(&ctx);
        const char *parts[] = {PROVISION_EPOCH, identity, script, "host"};
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                pc_sha256_update(&ctx, parts[i], strlen(parts[i]));
                pc_sha256_update(&ctx, "\n", 1);
        }
        uint8_t digest[PC_SHA256_DIGEST_SIZE];
        pc_sha256_final(&ctx, digest);
        char hex[PC_SHA256_HEX_SIZE];
        pc_hex_encode(digest, sizeof(digest), hex);
        return xasprintf("pincer-provisioned:%.16s", hex);
}

/* In the child: a mount and pid namespace, /proc, /dev and the host's resolv.conf, chroot,
 * then /bin/sh -c script as root. Never returns. */
_noreturn_ static void provision_child(const char *rootfs, const char *script)
{
        static char *const env[] = {
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root",
                "LANG=C.UTF-8",
                "DEBIAN_FRONTEND=noninteractive",
                NULL,
        };
        char path[PATH_MAX];
        struct stat st;
        int status;

        int alive[2];
        if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || pipe2(alive, O_CLOEXEC) < 0) {
                fprintf(stderr, "pincer: unshare: %s\n", strerror(errno));
                _exit(125);
        }
        pid_t pid = fork(); /* pid 1 of the new namespace */
        if (pid < 0)
                _exit(125);
        if (pid == 0) {
                /* When this process's parent is killed (the timeout), so is pid 1, and with it
                 * everything in the namespace. The pipe closes the race with the prctl: its
                 * write end is only open while the parent lives. */
                close(alive[1]);
                struct pollfd pf = {.fd = alive[0], .events = POLLIN};
                if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || poll(&pf, 1, 0) != 0)
                        _exit(125);
                close(alive[0]);
        }
        if (pid > 0) {
                while (waitpid(pid, &status, 0) < 0)
                        if (errno != EINTR)
                                _exit(125);
                _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
        snprintf(path, sizeof(path), "%s/proc", rootfs);
        (void) mkdir(path, 0555);
        if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                goto fail;
        snprintf(path, sizeof(path), "%s/dev", rootfs);
        (void) mkdir(path, 0755);
        if (mount("/dev", path, NULL, MS_BIND | MS_REC, NULL) < 0)
                goto fail;
        snprintf(path, sizeof(path), "%s/etc/resolv.conf", rootfs);
        if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                (void) unlink(path);
                int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd >= 0)
                        close(fd);
        }
        if (access("/etc/resolv.conf", R_OK) == 0 &&
            mount("/etc/resolv.conf", path, NULL, MS_BIND, NULL) < 0)
                goto fail;
        if (chroot(rootfs) < 0 || chdir("/") < 0)
                goto fail;
        char *const argv[] = {"/bin/sh", "-c", (char *) script, NULL};
        execve(argv[0], argv, env);
fail:
        fprintf(stderr, "pincer: preparing the provisioning sandbox (%s): %s\n", path,
                strerror(errno));
        _exit(125);
}

/* Runs script in rootfs; output (capped) into out, exit status into ret_status. -ETIME when
 * it ran past the timeout: then everything it started has been killed. */
static int provision_run(const char *rootfs, const char *script, PcBuf *out, int *ret_status)
{
        int64_t deadline = mono_ms() + provision_timeout_ms();
        bool expired = false;
        int fds[2], status;
        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY);
                if (null >= 0)
                        dup2(null, 0);
                dup2(fds[1], 1);
                dup2(fds[1], 2);
                provision_child(rootfs, script);
        }
        close(fds[1]);
        char buf[4096];
        for (;;) {
                /* Killing the child kills pid 1 of the namespace (its parent-death signal)
                 * and so every process in it: the pipe then closes. */
                int64_t left = deadline - mono_ms();
                struct pollfd pf = {.fd = fds[0], .events = POLLIN};
                int pr = left > 0 ? poll(&pf, 1, (int) (left > INT_MAX ? INT_MAX : left)) : 0;
                if (pr < 0 && errno == EINTR)
                        continue;
                if (pr == 0 && !expired) {
                        expired = true;
                        (void) kill(pid, SIGKILL);
                        deadline = mono_ms() + 10000;
                        continue;
                }
                if (pr == 0)
                        break; /* killed, and still something holds the pipe: give up on it */
                ssize_t n = read(fds[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (out->len < PROVISION_OUTPUT)
                        pc_buf_add(out, buf, (size_t) n);
        }
        close(fds[0]);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return expired ? -ETIME : 0;
}

/* Adds "scriptSha256" to the image.json in dir. */
static int add_script_hash(const char *dir, const char *script)
{
        _cleanup_free_ char *path = xasprintf("%s/image.json", dir);
        uint8_t digest[PC_SHA256_DIGEST_SIZE];
        char hex[PC_SHA256_HEX_SIZE];
        PcSha256 ctx;
        pc_sha256_init(&ctx);
        pc_sha256_update(&ctx, script, strlen(script));
        pc_sha256_final(&ctx, digest);
        pc_hex_encode(digest, sizeof(digest), hex);
        json_t *o = json_load_file(path, 0, NULL);
        if (!o)
                return -EIO;
        json_object_set_new(o, "scriptSha256", json_string(hex));
        int r = json_dump_file(o, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0 ? -EIO : 0;
        json_decref(o);
        return r;
}

int pc_image_provision(const char *state_dir, const char *base, const char *script, PcBuf *output,
                       char **ret_name, PcError *reterr)
{
        _cleanup_(op_release) Op op = {.lock_fd = -1};
        _cleanup_free_ char *identity = NULL, *src = NULL, *rootfs = NULL, *name = NULL;
        int r = base_identity(state_dir, base, &identity, reterr);
        if (r < 0)
                return r;
        name = pc_image_provisioned_name(identity, script);
        r = op_begin(&op, state_dir, name, false, NULL);
        if (r == -EEXIST) {
                *ret_name = TAKE_PTR(name); /* provisioned before */
                return 0;
        }
        if (r < 0)
                return pc_error_set(reterr, r, "cannot prepare the image store for '%s'", name);
        if ((r = pc_image_path(state_dir, base, &src, reterr)) < 0)
                return r;
        rootfs = xasprintf("%s/rootfs", op.tmp);
        char *const cp[] = {"cp", "-a", "--reflink=auto", src, rootfs, NULL};
        if ((r = run_step("cp -a", cp, false, op.log, reterr)) < 0)
                return r;
        int status = -1;
        r = provision_run(rootfs, script, output, &status);
        if (r == -ETIME) {
                const char *tail = output->len > 4000 ? output->buf + output->len - 4000
                                                      : (output->buf ? output->buf : "");
                int64_t ms = provision_timeout_ms();
                return pc_error_set(
                        reterr, r,
                        "setupCommand/packages did not finish within %g %s (provisioning "
                        "from '%s'): all it started was killed, nothing was cached. Hint: make "
                        "sandbox.docker.setupCommand finish sooner, or bake it into an image "
                        "(`pincer image build NAME --packages ...`) set as sandbox.docker.image. "
                        "Output (last 4000 bytes):\n%s",
                        ms % 60000 ? (double) ms / 1000 : (double) (ms / 60000),
                        ms % 60000 ? "seconds" : "minutes", base, tail);
        }
        if (r < 0)
                return pc_error_set(reterr, r, "cannot run the provisioning script: %s",
                                    strerror(-r));
        if (status != 0) {
                const char *tail = output->len > 4000 ? output->buf + output->len - 4000
                                                      : (output->buf ? output->buf : "");
                return pc_error_set(reterr, -EIO,
                                    "setupCommand/packages failed with exit status %d while "
                                    "provisioning image from '%s'; nothing was cached and the "
                                    "next use tries again. Output (last 4000 bytes):\n%s",
                                    status, base, tail);
        }
        _cleanup_free_ char *resolv = xasprintf("%s/etc/resolv.conf", rootfs);
        int fd = open(resolv, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0)
                close(fd);
        if ((r = write_meta(op.tmp, name, "provisioned", NULL, base, NULL)) >= 0)
                r = add_script_hash(op.tmp, script);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot write image.json of '%s'", name);
        if ((r = op_commit(&op, name, reterr)) < 0)
                return r;
        *ret_name = TAKE_PTR(name);
        return 0;
}
