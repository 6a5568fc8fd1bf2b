/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>

#include "base/alloc.h"

#define CG_PARENT "pincer"

typedef enum CgMode {
        CG_MODE_NONE,
        CG_MODE_UNIFIED,
        CG_MODE_HYBRID,
        CG_MODE_LEGACY,
} CgMode;

/* The v1 controllers we use, in this order everywhere. */
enum { V1_MEMORY, V1_PIDS, V1_CPU, _V1_MAX };
static const char *const v1_names[_V1_MAX] = {"memory", "pids", "cpu"};
_Static_assert(ELEMENTSOF(((PcCgroupJoin *) 0)->v1_tasks) == _V1_MAX, "one fd per v1 group");

struct PcCgroup {
        char *name;
        char *v1[_V1_MAX]; /* group dirs, NULL where the controller is not mounted */
        char *v2;          /* unified: the group; hybrid: the tracking group; else NULL */
};

static char cg_root[256] = "/sys/fs/cgroup";
static CgMode cg_mode = CG_MODE_NONE;
static int cg_mode_detected;

static CgMode detect_mode(void)
{
        struct statfs fs;

        if (cg_mode_detected)
                return cg_mode;
        cg_mode_detected = 1;
        _cleanup_free_ char *unified = xasprintf("%s/unified", cg_root);
        if (statfs(cg_root, &fs) < 0)
                return cg_mode = CG_MODE_NONE;
        if (fs.f_type == CGROUP2_SUPER_MAGIC)
                return cg_mode = CG_MODE_UNIFIED;
        if (statfs(unified, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                return cg_mode = CG_MODE_HYBRID;
        return cg_mode = CG_MODE_LEGACY;
}

void pc__cgroup_set_root(const char *root)
{
        snprintf(cg_root, sizeof(cg_root), "%s", root ? root : "/sys/fs/cgroup");
        cg_mode_detected = 0;
}

const char *pc_cgroup_mode(void)
{
        switch (detect_mode()) {
        case CG_MODE_UNIFIED:
                return "unified";
        case CG_MODE_HYBRID:
                return "hybrid";
        case CG_MODE_LEGACY:
                return "legacy";
        default:
                return "none";
        }
}

int pc_cgroup_name_valid(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > 128 || streq(name, ".") || streq(name, ".."))
                return 0;
        for (const char *p = name; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
                        return 0;
        return 1;
}

static int write_file(const char *dir, const char *file, const char *value)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(value);
        ssize_t w;

        if (fd < 0)
                return -errno;
        w = write(fd, value, n);
        if (w < 0)
                return -errno;
        return (size_t) w == n ? 0 : -EIO;
}

/* Reads a small file into buf (NUL-terminated); returns the length or -errno. */
static int read_file(const char *dir, const char *file, char *buf, size_t size)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;

        if (fd < 0)
                return -errno;
        while (len + 1 < size) {
                ssize_t r = read(fd, buf + len, size - 1 - len);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        break;
                len += (size_t) r;
        }
        buf[len] = '\0';
        return (int) len;
}

static int read_u64(const char *dir, const char *file, uint64_t *ret)
{
        char buf[64];
        char *end;
        int r = read_file(dir, file, buf, sizeof(buf));

        if (r < 0)
                return r;
        if (startswith(buf, "max")) {
                *ret = UINT64_MAX;
                return 0;
        }
        errno = 0;
        *ret = strtoull(buf, &end, 10);
        return errno || end == buf ? -EINVAL : 0;
}

/* The value of "key N" in a flat keyed file (cpu.stat). */
static int read_keyed(const char *dir, const char *file, const char *key, uint64_t *ret)
{
        char buf[4096];
        size_t klen = strlen(key);
        int r = read_file(dir, file, buf, sizeof(buf));

        if (r < 0)
                return r;
        for (char *line = buf; line && *line;) {
                char *nl = strchr(line, '\n');
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *ret = strtoull(line + klen + 1, NULL, 10);
                        return 0;
                }
                line = nl ? nl + 1 : NULL;
        }
        return -ENOENT;
}

static int mkdir_ok(const char *path)
{
        if (mkdir(path, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int dir_exists(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static PcCgroup *cg_new(const char *name)
{
        PcCgroup *cg = xcalloc(1, sizeof(*cg));
        CgMode mode = detect_mode();

        cg->name = xstrdup(name);
        if (mode == CG_MODE_HYBRID || mode == CG_MODE_LEGACY)
                for (int i = 0; i < _V1_MAX; i++) {
                        _cleanup_free_ char *ctl = xasprintf("%s/%s", cg_root, v1_names[i]);
                        if (dir_exists(ctl))
                                cg->v1[i] = xasprintf("%s/" CG_PARENT "/%s", ctl, name);
                }
        if (mode == CG_MODE_UNIFIED)
                cg->v2 = xasprintf("%s/" CG_PARENT "/%s", cg_root, name);
        else if (mode == CG_MODE_HYBRID)
                cg->v2 = xasprintf("%s/unified/" CG_PARENT "/%s", cg_root, name);
        return cg;
}

PcCgroup *pc_cgroup_free(PcCgroup *cg)
{
        if (!cg)
                return NULL;
        for (int i = 0; i < _V1_MAX; i++)
                free(cg->v1[i]);
        free(cg->v2);
        free(cg->name);
        free(cg);
        return NULL;
}

const char *pc_cgroup_name(const PcCgroup *cg)
{
        return cg->name;
}

/* Creates dirname(group) and group. */
static int make_group(const char *group)
{
        _cleanup_free_ char *parent = xstrdup(group);
        char *slash = strrchr(parent, '/');
        int r;

        *slash = '\0';
        r = mkdir_ok(parent);
        if (r < 0)
                return r;
        return mkdir_ok(group);
}

/* unified: "+memory +pids +cpu" in the root's and the pincer parent's subtree_control, each
 * controller separately so one that is missing does not block the others. */
static void enable_v2_controllers(void)
{
        static const char *const ctl[] = {"+memory", "+pids", "+cpu"};
        _cleanup_free_ char *parent = xasprintf("%s/" CG_PARENT, cg_root);
        for (size_t i = 0; i < ELEMENTSOF(ctl); i++) {
                (void) write_file(cg_root, "cgroup.subtree_control", ctl[i]);
                (void) write_file(parent, "cgroup.subtree_control", ctl[i]);
        }
}

static int v2_has_controller(const char *group, const char *ctl)
{
        char buf[512];
        size_t n = strlen(ctl);

        if (read_file(group, "cgroup.controllers", buf, sizeof(buf)) < 0)
                return 0;
        for (char *p = buf; (p = strstr(p, ctl)); p += n)
                if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
                        return 1;
        return 0;
}

static int set_limit(const char *group, const char *file, const char *value, PcError *reterr)
{
        int r;

        if (!group)
                return pc_error_set(reterr, -EOPNOTSUPP, "cannot apply %s: controller missing",
                                    file);
        r = write_file(group, file, value);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot write '%s' to %s/%s: %s", value, group, file,
                                    strerror(-r));
        return 0;
}

static int apply_v1(PcCgroup *cg, const PcCgroupLimits *lim, PcError *reterr)
{
        char v[64];
        int r;

        if (lim->memory_bytes > 0) {
                if (!cg->v1[V1_MEMORY])
                        return pc_error_set(reterr, -EOPNOTSUPP,
                                            "memory limit: the cgroup v1 memory controller is "
                                            "not mounted");
                snprintf(v, sizeof(v), "%" PRId64, lim->memory_bytes);
                r = set_limit(cg->v1[V1_MEMORY], "memory.limit_in_bytes", v, reterr);
                if (r < 0)
                        return r;
        }
        if (lim->memory_swap_bytes != 0 && cg->v1[V1_MEMORY]) {
                _cleanup_free_ char *f =
                        xasprintf("%s/memory.memsw.limit_in_bytes", cg->v1[V1_MEMORY]);
                if (access(f, F_OK) == 0) {
                        snprintf(v, sizeof(v), "%" PRId64, lim->memory_swap_bytes);
                        r = set_limit(cg->v1[V1_MEMORY], "memory.memsw.limit_in_bytes", v, reterr);
                        if (r < 0)
                                return r;
                } else if (lim->memory_swap_bytes > 0)
                        return pc_error_set(reterr, -EOPNOTSUPP,
                                            "memorySwap limit: the kernel has no swap accounting "
                                            "(memory.memsw.limit_in_bytes; boot with "
                                            "swapaccount=1, or leave memorySwap unset)");
        } else if (lim->memory_swap_bytes > 0)
                return pc_error_set(reterr, -EOPNOTSUPP,
                                    "memorySwap limit: the cgroup v1 memory controller is not "
                                    "mounted");
        if (lim->pids_max > 0) {
                if (!cg->v1[V1_PIDS])
                        return pc_error_set(reterr, -EOPNOTSUPP,
                                            "pids limit: the cgroup v1 pids controller is not "
                                            "mounted");
                snprintf(v, sizeof(v), "%" PRId64, lim->pids_max);
                r = set_limit(cg->v1[V1_PIDS], "pids.max", v, reterr);
                if (r < 0)
                        return r;
        }
        if (lim->cpus > 0) {
                if (!cg->v1[V1_CPU])
                        return pc_error_set(reterr, -EOPNOTSUPP,
                                            "cpus limit: the cgroup v1 cpu controller is not "
                                            "mounted");
                r = set_limit(cg->v1[V1_CPU], "cpu.cfs_period_us", "100000", reterr);
                if (r < 0)
                        return r;
                snprintf(v, sizeof(v), "%" PRId64, (int64_t) (lim->cpus * 100000 + 0.5));
                r = set_limit(cg->v1[V1_CPU], "cpu.cfs_quota_us", v, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int need_v2(const PcCgroup *cg, const char *ctl, const char *what, PcError *reterr)
{
        if (v2_has_controller(cg->v2, ctl))
                return 0;
        return pc_error_set(reterr, -EOPNOTSUPP,
                            "%s limit: the cgroup2 %s controller is not available in %s (it "
                            "must be enabled in the parent's cgroup.subtree_control)",
                            what, ctl, cg->v2);
}

static int apply_v2(PcCgroup *cg, const PcCgroupLimits *lim, PcError *reterr)
{
        char v[64];
        int r;

        if (lim->memory_bytes > 0 || lim->memory_swap_bytes != 0) {
                r = need_v2(cg, "memory", "memory", reterr);
                if (r < 0)
                        return r;
        }
        if (lim->memory_bytes > 0) {
                snprintf(v, sizeof(v), "%" PRId64, lim->memory_bytes);
                r = set_limit(cg->v2, "memory.max", v, reterr);
                if (r < 0)
                        return r;
        }
        if (lim->memory_swap_bytes != 0) {
                /* memory.swap.max counts swap only; Docker's memorySwap is memory + swap. */
                if (lim->memory_swap_bytes < 0)
                        snprintf(v, sizeof(v), "max");
                else
                        snprintf(v, sizeof(v), "%" PRId64,
                                 lim->memory_swap_bytes > lim->memory_bytes
                                         ? lim->memory_swap_bytes - lim->memory_bytes
                                         : 0);
                r = set_limit(cg->v2, "memory.swap.max", v, reterr);
                if (r < 0)
                        return r;
        }
        if (lim->pids_max > 0) {
                r = need_v2(cg, "pids", "pids", reterr);
                if (r < 0)
                        return r;
                snprintf(v, sizeof(v), "%" PRId64, lim->pids_max);
                r = set_limit(cg->v2, "pids.max", v, reterr);
                if (r < 0)
                        return r;
        }
        if (lim->cpus > 0) {
                r = need_v2(cg, "cpu", "cpus", reterr);
                if (r < 0)
                        return r;
                snprintf(v, sizeof(v), "%" PRId64 " 100000", (int64_t) (lim->cpus * 100000 + 0.5));
                r = set_limit(cg->v2, "cpu.max", v, reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pc_cgroup_create(const char *name, const PcCgroupLimits *lim, PcCgroup **ret, PcError *reterr)
{
        static const PcCgroupLimits none = {0};
        _cleanup_(pc_cgroup_freep) PcCgroup *cg = NULL;
        CgMode mode = detect_mode();
        int r;

        if (!pc_cgroup_name_valid(name))
                return pc_error_set(
                        reterr, -EINVAL,
                        "invalid sandbox name for a cgroup (allowed: a-z A-Z 0-9 . _ -)");
        if (mode == CG_MODE_NONE)
                return pc_error_set(reterr, -EOPNOTSUPP, "no cgroup filesystem is mounted at %s",
                                    cg_root);
        if (!lim)
                lim = &none;
        if (lim->cpus < 0 || lim->memory_bytes < 0 || lim->pids_max < 0 ||
            lim->memory_swap_bytes < -1)
                return pc_error_set(reterr, -EINVAL, "negative cgroup limit");

        cg = cg_new(name);
        if (mode == CG_MODE_UNIFIED) {
                _cleanup_free_ char *parent = xasprintf("%s/" CG_PARENT, cg_root);
                r = mkdir_ok(parent);
                if (r >= 0) {
                        enable_v2_controllers();
                        r = mkdir_ok(cg->v2);
                }
                if (r < 0)
                        goto fail_mkdir;
                r = apply_v2(cg, lim, reterr);
        } else {
                for (int i = 0; i < _V1_MAX; i++)
                        if (cg->v1[i]) {
                                r = make_group(cg->v1[i]);
                                if (r < 0)
                                        goto fail_mkdir;
                        }
                if (cg->v2) {
                        r = make_group(cg->v2);
                        if (r < 0)
                                goto fail_mkdir;
                }
                r = apply_v1(cg, lim, reterr);
        }
        if (r < 0) {
                (void) pc_error_prefix(reterr, "sandbox '%s'", name);
                (void) pc_cgroup_destroy(cg, NULL);
                return r;
        }
        *ret = TAKE_PTR(cg);
        return 0;

fail_mkdir:
        pc_error_set(reterr, r, "cannot create the cgroups of sandbox '%s' under %s (%s mode): %s",
                     name, cg_root, pc_cgroup_mode(), strerror(-r));
        (void) pc_cgroup_destroy(cg, NULL);
        return r;
}

int pc_cgroup_open(const char *name, PcCgroup **ret, PcError *reterr)
{
        _cleanup_(pc_cgroup_freep) PcCgroup *cg = NULL;
        int found = 0;

        if (!pc_cgroup_name_valid(name))
                return pc_error_set(reterr, -EINVAL, "invalid sandbox name for a cgroup");
        cg = cg_new(name);
        for (int i = 0; i < _V1_MAX; i++)
                if (cg->v1[i]) {
                        if (dir_exists(cg->v1[i]))
                                found = 1;
                }
        if (cg->v2 && dir_exists(cg->v2))
                found = 1;
        if (!found)
                return pc_error_set(reterr, -ENOENT, "no cgroup of sandbox '%s'", name);
        *ret = TAKE_PTR(cg);
        return 0;
}

int pc_cgroup_attach(PcCgroup *cg, pid_t pid, PcError *reterr)
{
        char v[32];
        int r;

        snprintf(v, sizeof(v), "%d", (int) pid);
        for (int i = 0; i < _V1_MAX; i++)
                if (cg->v1[i]) {
                        r = write_file(cg->v1[i], "cgroup.procs", v);
                        if (r < 0)
                                return pc_error_set(reterr, r, "cannot move pid %d into %s: %s",
                                                    (int) pid, cg->v1[i], strerror(-r));
                }
        if (cg->v2) {
                r = write_file(cg->v2, "cgroup.procs", v);
                if (r < 0)
                        return pc_error_set(reterr, r, "cannot move pid %d into %s: %s", (int) pid,
                                            cg->v2, strerror(-r));
        }
        return 0;
}

static int open_in(const char *dir, const char *file, int flags)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        return open(path, flags | O_CLOEXEC);
}

int pc_cgroup_join_open(PcCgroup *cg, PcCgroupJoin *ret, PcError *reterr)
{
        PcCgroupJoin j = PC_CGROUP_JOIN_INIT;
        const char *failed = NULL;

        for (int i = 0; i < _V1_MAX && !failed; i++)
                if (cg->v1[i] && (j.v1_tasks[i] = open_in(cg->v1[i], "tasks", O_WRONLY)) < 0)
                        failed = cg->v1[i];
        if (!failed && cg->v2) {
                j.v2_dir = open(cg->v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (j.v2_dir < 0 || (j.v2_procs = open_in(cg->v2, "cgroup.procs", O_WRONLY)) < 0)
                        failed = cg->v2;
        }
        if (failed) {
                int r = -errno;
                pc_cgroup_join_close(&j);
                return pc_error_set(reterr, r, "cannot open the cgroup %s: %s", failed,
                                    strerror(-r));
        }
        *ret = j;
        return 0;
}

void pc_cgroup_join_close(PcCgroupJoin *j)
{
        for (int i = 0; i < _V1_MAX; i++)
                if (j->v1_tasks[i] >= 0)
                        close(j->v1_tasks[i]);
        if (j->v2_dir >= 0)
                close(j->v2_dir);
        if (j->v2_procs >= 0)
                close(j->v2_procs);
        *j = (PcCgroupJoin) PC_CGROUP_JOIN_INIT;
}

int pc_cgroup_join_v1(const PcCgroupJoin *j)
{
        for (int i = 0; i < _V1_MAX; i++)
                if (j->v1_tasks[i] >= 0 && write(j->v1_tasks[i], "0", 1) != 1)
                        return errno ? -errno : -EIO;
        return 0;
}

pid_t pc_cgroup_join_fork(const PcCgroupJoin *j)
{
        if (j->v2_dir < 0)
                return fork();
        struct clone_args a = {
                .flags = CLONE_INTO_CGROUP,
                .exit_signal = SIGCHLD,
                .cgroup = (uint64_t) j->v2_dir,
        };
        long pid = syscall(SYS_clone3, &a, sizeof(a));
        if (pid >= 0)
                return (pid_t) pid;
        if (errno == EAGAIN || errno == ENOMEM)
                return -1; /* a plain fork would fail alike */
        char v[16];
        int n = snprintf(v, sizeof(v), "%d", (int) getpid());
        if (write(j->v2_procs, v, (size_t) n) != n)
                return -1;
        return fork();
}

/* SIGKILLs every pid listed in dir/cgroup.procs; returns how many were listed, or -errno
 * (-ENOENT when the group is gone). */
static int kill_listed(const char *dir)
{
        _cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        int pid, n = 0;

        if (!f)
                return -errno;
        while (fscanf(f, "%d", &pid) == 1) {
                if (pid > 0 && pid != getpid())
                        (void) kill(pid, SIGKILL);
                n++;
        }
        return n;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
        (void) nanosleep(&ts, NULL);
}

int pc_cgroup_kill(PcCgroup *cg, PcError *reterr)
{
        if (cg->v2 && dir_exists(cg->v2) && write_file(cg->v2, "cgroup.kill", "1") == 0) {
                /* cgroup.kill is asynchronous for tasks in other states; wait for empty. */
                for (int i = 0; i < 200; i++) {
                        char buf[64];
                        int r = read_file(cg->v2, "cgroup.procs", buf, sizeof(buf));
                        if (r <= 0)
                                return 0;
                        sleep_ms(10);
                }
                return pc_error_set(reterr, -EBUSY, "processes of sandbox '%s' did not exit",
                                    cg->name);
        }
        for (int round = 0; round < 200; round++) {
                int left = 0;
                for (int i = 0; i < _V1_MAX; i++)
                        if (cg->v1[i]) {
                                int r = kill_listed(cg->v1[i]);
                                if (r > 0)
                                        left += r;
                        }
                if (cg->v2) {
                        int r = kill_listed(cg->v2);
                        if (r > 0)
                                left += r;
                }
                if (left == 0)
                        return 0;
                sleep_ms(10);
        }
        return pc_error_set(reterr, -EBUSY, "processes of sandbox '%s' did not exit", cg->name);
}

static int remove_group(const char *dir)
{
        for (int i = 0; i < 100; i++) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY)
                        return -errno;
                (void) kill_listed(dir);
                sleep_ms(10);
        }
        return -EBUSY;
}

int pc_cgroup_destroy(PcCgroup *cg, PcError *reterr)
{
        int r, ret = 0;

        (void) pc_cgroup_kill(cg, NULL);
        for (int i = 0; i < _V1_MAX; i++)
                if (cg->v1[i]) {
                        r = remove_group(cg->v1[i]);
                        if (r < 0 && ret == 0)
                                ret = pc_error_set(reterr, r, "cannot remove %s: %s", cg->v1[i],
                                                   strerror(-r));
                }
        if (cg->v2) {
                r = remove_group(cg->v2);
                if (r < 0 && ret == 0)
                        ret = pc_error_set(reterr, r, "cannot remove %s: %s", cg->v2, strerror(-r));
        }
        return ret;
}

int pc_cgroup_stats(PcCgroup *cg, uint64_t *ret_mem, uint64_t *ret_mem_limit,
                    uint64_t *ret_cpu_usec, uint32_t *ret_pids)
{
        uint64_t mem = 0, limit = UINT64_MAX, cpu = 0, pids = 0;
        const char *mdir, *pdir;

        if (detect_mode() == CG_MODE_UNIFIED) {
                mdir = pdir = cg->v2;
                (void) read_u64(mdir, "memory.current", &mem);
                (void) read_u64(mdir, "memory.max", &limit);
                (void) read_keyed(cg->v2, "cpu.stat", "usage_usec", &cpu);
        } else {
                mdir = cg->v1[V1_MEMORY];
                pdir = cg->v1[V1_PIDS];
                if (mdir) {
                        (void) read_u64(mdir, "memory.usage_in_bytes", &mem);
                        (void) read_u64(mdir, "memory.limit_in_bytes", &limit);
                        /* v1 reports "no limit" as a huge page-aligned number. */
                        if (limit >= (UINT64_C(1) << 62))
                                limit = UINT64_MAX;
                }
                /* cgroup2 keeps cpu.stat without the cpu controller (the hybrid tracking
                 * group); else cpuacct when it is co-mounted with cpu. */
                if (!cg->v2 || read_keyed(cg->v2, "cpu.stat", "usage_usec", &cpu) < 0) {
                        uint64_t ns = 0;
                        if (cg->v1[V1_CPU] && read_u64(cg->v1[V1_CPU], "cpuacct.usage", &ns) == 0)
                                cpu = ns / 1000;
                }
        }
        if (pdir)
                (void) read_u64(pdir, "pids.current", &pids);
        if (!dir_exists(cg->v2 ? cg->v2 : (mdir ? mdir : (pdir ? pdir : "/nonexistent"))))
                return -ENOENT;
        if (ret_mem)
                *ret_mem = mem;
        if (ret_mem_limit)
                *ret_mem_limit = limit;
        if (ret_cpu_usec)
                *ret_cpu_usec = cpu;
        if (ret_pids)
                *ret_pids = pids > UINT32_MAX ? UINT32_MAX : (uint32_t) pids;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void add_names(const char *parent, char ***names, size_t *n, size_t *alloc)
{
        DIR *d = opendir(parent);
        struct dirent *de;

        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || !pc_cgroup_name_valid(de->d_name))
                        continue;
                *names = xgrow(*names, alloc, *n + 2, sizeof(char *));
                (*names)[(*n)++] = xstrdup(de->d_name);
        }
        closedir(d);
}

int pc_cgroup_list_stale(char ***ret_names)
{
        char **names = NULL;
        size_t n = 0, alloc = 0, out = 0;
        CgMode mode = detect_mode();

        if (mode == CG_MODE_UNIFIED || mode == CG_MODE_HYBRID) {
                _cleanup_free_ char *p = xasprintf("%s%s/" CG_PARENT, cg_root,
                                                   mode == CG_MODE_HYBRID ? "/unified" : "");
                add_names(p, &names, &n, &alloc);
        }
        if (mode == CG_MODE_HYBRID || mode == CG_MODE_LEGACY)
                for (int i = 0; i < _V1_MAX; i++) {
                        _cleanup_free_ char *p =
                                xasprintf("%s/%s/" CG_PARENT, cg_root, v1_names[i]);
                        add_names(p, &names, &n, &alloc);
                }
        names = xgrow(names, &alloc, n + 1, sizeof(char *));
        qsort(names, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++) {
                if (out > 0 && streq(names[out - 1], names[i])) {
                        free(names[i]);
                        continue;
                }
                names[out++] = names[i];
        }
        names[out] = NULL;
        *ret_names = names;
        return (int) out;
}

char **pc_cgroup_names_free(char **names)
{
        if (names)
                for (char **p = names; *p; p++)
                        free(*p);
        free(names);
        return NULL;
}
