/* SPDX-License-Identifier: MIT */
/*
 * The native backend's cgroups against the real /sys/fs/cgroup (unified, hybrid or legacy).
 * Needs root and a writable cgroup filesystem: otherwise it prints why and exits 77 (skip).
 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

#include "base/alloc.h"
#include "sandbox/native/cgroup.h"

static char name[64];

static int read_trimmed(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

static void assert_file(const char *path, const char *want)
{
        char buf[256];
        if (read_trimmed(path, buf, sizeof(buf)) < 0)
                fail_msg("cannot read %s", path);
        if (strcmp(buf, want) != 0)
                fail_msg("%s: got '%s', want '%s'", path, buf, want);
}

static bool unified(void)
{
        return strcmp(pc_cgroup_mode(), "unified") == 0;
}

static void test_name_validation(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcCgroup *cg = NULL;
        assert_true(pc_cgroup_name_valid("pincer-agent-main.1_x"));
        assert_false(pc_cgroup_name_valid(""));
        assert_false(pc_cgroup_name_valid(".."));
        assert_false(pc_cgroup_name_valid("a/b"));
        assert_false(pc_cgroup_name_valid("a b"));
        assert_int_equal(pc_cgroup_create("../x", NULL, &cg, &err), -EINVAL);
        assert_null(cg);
        assert_int_equal(pc_cgroup_open("nope-does-not-exist-42", &cg, &err), -ENOENT);
}

static void test_lifecycle(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcCgroupLimits lim = {
                .memory_bytes = 64 * 1024 * 1024,
                .memory_swap_bytes = 0,
                .pids_max = 16,
                .cpus = 0.5,
        };
        PcCgroup *cg = NULL;

        if (pc_cgroup_create(name, &lim, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        assert_string_equal(pc_cgroup_name(cg), name);

        _cleanup_free_ char *mem = NULL, *pids = NULL, *cpu = NULL, *cpu2 = NULL;
        if (unified()) {
                mem = xasprintf("/sys/fs/cgroup/pincer/%s/memory.max", name);
                pids = xasprintf("/sys/fs/cgroup/pincer/%s/pids.max", name);
                cpu = xasprintf("/sys/fs/cgroup/pincer/%s/cpu.max", name);
                assert_file(mem, "67108864");
                assert_file(pids, "16");
                assert_file(cpu, "50000 100000");
        } else {
                mem = xasprintf("/sys/fs/cgroup/memory/pincer/%s/memory.limit_in_bytes", name);
                pids = xasprintf("/sys/fs/cgroup/pids/pincer/%s/pids.max", name);
                cpu = xasprintf("/sys/fs/cgroup/cpu/pincer/%s/cpu.cfs_quota_us", name);
                cpu2 = xasprintf("/sys/fs/cgroup/cpu/pincer/%s/cpu.cfs_period_us", name);
                assert_file(mem, "67108864");
                assert_file(pids, "16");
                assert_file(cpu, "50000");
                assert_file(cpu2, "100000");
        }

        /* A child that waits for a byte on a pipe: attached before it runs anything. */
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                close(pfd[1]);
                (void) read(pfd[0], &c, 1);
                for (;;)
                        pause();
        }
        close(pfd[0]);
        if (pc_cgroup_attach(cg, pid, &err) < 0)
                fail_msg("attach: %s", err.msg);
        assert_int_equal(write(pfd[1], "x", 1), 1);
        close(pfd[1]);

        /* Our own process was not moved. */
        char self[4096];
        assert_int_equal(read_trimmed("/proc/self/cgroup", self, sizeof(self)), 0);
        assert_null(strstr(self, name));
        _cleanup_free_ char *child_cg = xasprintf("/proc/%d/cgroup", (int) pid);
        char buf[4096];
        int fd = open(child_cg, O_RDONLY);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_non_null(strstr(buf, name));

        uint64_t m = 0, ml = 0, cu = 0;
        uint32_t np = 0;
        assert_int_equal(pc_cgroup_stats(cg, &m, &ml, &cu, &np), 0);
        assert_int_equal(ml, 64 * 1024 * 1024);
        assert_int_equal(np, 1);

        /* After a restart: open finds the same groups; stale listing names it. */
        PcCgroup *again = NULL;
        if (pc_cgroup_open(name, &again, &err) < 0)
                fail_msg("open: %s", err.msg);
        char **names = NULL;
        int count = pc_cgroup_list_stale(&names);
        assert_true(count >= 1);
        bool found = false;
        for (char **p = names; *p; p++)
                found |= strcmp(*p, name) == 0;
        assert_true(found);
        names = pc_cgroup_names_free(names);

        if (pc_cgroup_kill(again, &err) < 0)
                fail_msg("kill: %s", err.msg);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        if (pc_cgroup_destroy(again, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        assert_int_equal(pc_cgroup_destroy(cg, &err), 0); /* already gone */
        struct stat st;
        assert_int_not_equal(stat(mem, &st), 0);
        assert_int_equal(pc_cgroup_open(name, &again, &err) == -ENOENT, 1);
        pc_cgroup_free(again);
        pc_cgroup_free(cg);
}

/* In the calling process: clone3() fails with ENOSYS, as under Docker's default profile. */
static void refuse_clone3(void)
{
        struct sock_filter insns[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {.len = ELEMENTSOF(insns), .filter = insns};
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
                _exit(3);
}

/* What sandbox creation does (spawn.c): a forked child joins the v1 groups and forks, into
 * the cgroup2 group, a grandchild that waits; the child exits. Returns the grandchild (this
 * process is its subreaper). */
static pid_t spawn_joined(PcCgroup *cg, bool no_clone3)
{
        PcError err = PC_ERROR_INIT;
        PcCgroupJoin j = PC_CGROUP_JOIN_INIT;
        if (pc_cgroup_join_open(cg, &j, &err) < 0)
                fail_msg("join open: %s", err.msg);
        assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        pid_t mid = fork();
        assert_true(mid >= 0);
        if (mid == 0) {
                if (no_clone3)
                        refuse_clone3();
                pid_t gc = -1;
                if (pc_cgroup_join_v1(&j) == 0)
                        gc = pc_cgroup_join_fork(&j);
                if (gc == 0)
                        for (;;)
                                pause();
                (void) !write(pfd[1], &gc, sizeof(gc));
                _exit(0);
        }
        close(pfd[1]);
        pid_t gc = -1;
        assert_int_equal(read(pfd[0], &gc, sizeof(gc)), sizeof(gc));
        close(pfd[0]);
        int status;
        assert_int_equal(waitpid(mid, &status, 0), mid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        pc_cgroup_join_close(&j);
        assert_true(gc > 0);
        return gc;
}

/* How many hierarchies list pid in the group of sandbox n. */
static int groups_of(pid_t pid, const char *n)
{
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int) pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ssize_t len = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        assert_true(len > 0);
        buf[len] = '\0';
        _cleanup_free_ char *want = xasprintf(":/pincer/%s\n", n);
        int count = 0;
        for (char *p = buf; (p = strstr(p, want)); p += strlen(want))
                count++;
        return count;
}

/* The join of sandbox creation puts the process it forks into every group, with and
 * without clone3, and the limits count it. */
static void test_join(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        _cleanup_free_ char *n = xasprintf("%s-j", name);
        int want = unified() ? 1 : strcmp(pc_cgroup_mode(), "hybrid") == 0 ? 4 : 3;
        for (int no_clone3 = 0; no_clone3 < 2; no_clone3++) {
                PcCgroup *cg = NULL;
                PcCgroupLimits lim = {.pids_max = 16};
                if (pc_cgroup_create(n, &lim, &cg, &err) < 0)
                        fail_msg("create: %s", err.msg);
                pid_t pid = spawn_joined(cg, no_clone3);
                assert_int_equal(groups_of(pid, n), want);
                uint32_t np = 0;
                assert_int_equal(pc_cgroup_stats(cg, NULL, NULL, NULL, &np), 0);
                assert_int_equal(np, 1);
                if (pc_cgroup_destroy(cg, &err) < 0)
                        fail_msg("destroy: %s", err.msg);
                int status;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                pc_cgroup_free(cg);
        }
}

/* destroy kills what still runs (no explicit kill first), including a forked grandchild. */
static void test_destroy_kills(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcCgroup *cg = NULL;
        _cleanup_free_ char *n2 = xasprintf("%s-b", name);
        if (pc_cgroup_create(n2, NULL, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        pid_t pid = fork();
        if (pid == 0) {
                char c;
                close(pfd[1]);
                (void) read(pfd[0], &c, 1);
                if (fork() == 0)
                        for (;;)
                                pause();
                for (;;)
                        pause();
        }
        close(pfd[0]);
        if (pc_cgroup_attach(cg, pid, &err) < 0)
                fail_msg("attach: %s", err.msg);
        assert_int_equal(write(pfd[1], "x", 1), 1);
        close(pfd[1]);
        usleep(50 * 1000);
        uint32_t np = 0;
        assert_int_equal(pc_cgroup_stats(cg, NULL, NULL, NULL, &np), 0);
        if (!unified() && np == 0) /* no pids controller: nothing to compare */
                np = 2;
        assert_int_equal(np, 2);
        if (pc_cgroup_destroy(cg, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(pc_cgroup_stats(cg, NULL, NULL, NULL, NULL), -ENOENT);
        pc_cgroup_free(cg);
}

/* --- the other layouts, emulated in a private mount namespace ----------------------------- */

static char emu_root[] = "/tmp/pincer-test-cgroot-XXXXXX";
static bool private_ns;

static int enter_private_ns(void)
{
        if (private_ns)
                return 0;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        private_ns = true;
        return 0;
}

static pid_t spawn_attached(PcCgroup *cg)
{
        PcError err = PC_ERROR_INIT;
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char c;
                close(pfd[1]);
                (void) read(pfd[0], &c, 1);
                for (;;)
                        pause();
        }
        close(pfd[0]);
        if (pc_cgroup_attach(cg, pid, &err) < 0)
                fail_msg("attach: %s", err.msg);
        assert_int_equal(write(pfd[1], "x", 1), 1);
        close(pfd[1]);
        return pid;
}

/* Pure cgroup2: the unified mount of this host mounted alone at emu_root. Its controllers
 * are bound to v1 here, so limits must fail naming the controller; tracking, cgroup.kill and
 * removal work. */
static void test_emulated_unified(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcCgroup *cg = NULL;
        if (enter_private_ns() < 0 || mount("none", emu_root, "cgroup2", 0, NULL) < 0) {
                printf("# skipped: cannot mount cgroup2 in a private mount namespace: %s\n",
                       strerror(errno));
                return;
        }
        pc__cgroup_set_root(emu_root);
        assert_string_equal(pc_cgroup_mode(), "unified");

        _cleanup_free_ char *n = xasprintf("%s-v2", name);
        _cleanup_free_ char *ctl = xasprintf("%s/cgroup.controllers", emu_root);
        char controllers[256] = "";
        (void) read_trimmed(ctl, controllers, sizeof(controllers));
        PcCgroupLimits lim = {.memory_bytes = 64 << 20};
        int r = pc_cgroup_create(n, &lim, &cg, &err);
        if (strstr(controllers, "memory")) {
                if (r < 0)
                        fail_msg("create: %s", err.msg);
                cg = pc_cgroup_free(cg);
        } else {
                assert_int_equal(r, -EOPNOTSUPP);
                assert_non_null(strstr(err.msg, "memory limit: the cgroup2 memory controller"));
                assert_null(cg);
        }

        if (pc_cgroup_create(n, NULL, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        _cleanup_free_ char *dir = xasprintf("%s/pincer/%s", emu_root, n);
        struct stat st;
        assert_int_equal(stat(dir, &st), 0);
        pid_t pid = spawn_attached(cg);
        _cleanup_free_ char *procs = xasprintf("%s/cgroup.procs", dir);
        char buf[64];
        assert_int_equal(read_trimmed(procs, buf, sizeof(buf)), 0);
        assert_int_equal(atoi(buf), pid);
        /* Born in the group (clone3 CLONE_INTO_CGROUP), where the limits live here. */
        pid_t joined = spawn_joined(cg, false);
        assert_int_equal(groups_of(joined, n), 1);

        char **names = NULL;
        assert_true(pc_cgroup_list_stale(&names) >= 1);
        bool found = false;
        for (char **p = names; *p; p++)
                found |= strcmp(*p, n) == 0;
        assert_true(found);
        pc_cgroup_names_free(names);

        if (pc_cgroup_destroy(cg, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_int_equal(waitpid(joined, &status, 0), joined);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_int_not_equal(stat(dir, &st), 0);
        pc_cgroup_free(cg);
        umount2(emu_root, MNT_DETACH);
        pc__cgroup_set_root(NULL);
}

/* Pure v1: a tmpfs with the memory, pids and cpu hierarchies of this host mounted under it
 * (no cgroup2 at all), so kill has to SIGKILL what cgroup.procs lists. */
static void test_emulated_legacy(void **state)
{
        (void) state;
        static const char *const ctls[] = {"memory", "pids", "cpu"};
        PcError err = PC_ERROR_INIT;
        PcCgroup *cg = NULL;
        if (enter_private_ns() < 0 || mount("none", emu_root, "tmpfs", 0, "mode=0755") < 0) {
                printf("# skipped: cannot mount a tmpfs in a private mount namespace: %s\n",
                       strerror(errno));
                return;
        }
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *d = xasprintf("%s/%s", emu_root, ctls[i]);
                assert_int_equal(mkdir(d, 0755), 0);
                if (mount("cgroup", d, "cgroup", 0, ctls[i]) < 0) {
                        printf("# skipped: cannot mount the v1 %s hierarchy: %s\n", ctls[i],
                               strerror(errno));
                        umount2(emu_root, MNT_DETACH);
                        return;
                }
        }
        pc__cgroup_set_root(emu_root);
        assert_string_equal(pc_cgroup_mode(), "legacy");

        _cleanup_free_ char *n = xasprintf("%s-v1", name);
        PcCgroupLimits lim = {.memory_bytes = 32 << 20, .pids_max = 8, .cpus = 2};
        if (pc_cgroup_create(n, &lim, &cg, &err) < 0)
                fail_msg("create: %s", err.msg);
        _cleanup_free_ char *pids = xasprintf("%s/pids/pincer/%s/pids.max", emu_root, n);
        _cleanup_free_ char *quota = xasprintf("%s/cpu/pincer/%s/cpu.cfs_quota_us", emu_root, n);
        assert_file(pids, "8");
        assert_file(quota, "200000");
        pid_t pid = spawn_attached(cg);
        uint32_t np = 0;
        assert_int_equal(pc_cgroup_stats(cg, NULL, NULL, NULL, &np), 0);
        assert_int_equal(np, 1);
        if (pc_cgroup_kill(cg, &err) < 0)
                fail_msg("kill: %s", err.msg);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        if (pc_cgroup_destroy(cg, &err) < 0)
                fail_msg("destroy: %s", err.msg);
        struct stat st;
        assert_int_not_equal(stat(pids, &st), 0);
        pc_cgroup_free(cg);
        for (size_t i = 0; i < 3; i++) {
                _cleanup_free_ char *d = xasprintf("%s/%s", emu_root, ctls[i]);
                umount2(d, MNT_DETACH);
        }
        umount2(emu_root, MNT_DETACH);
        pc__cgroup_set_root(NULL);
}

int main(void)
{
        if (geteuid() != 0) {
                printf("# SKIP test-native-cgroup: needs root (cgroup directories are root's)\n");
                return 77;
        }
        if (strcmp(pc_cgroup_mode(), "none") == 0) {
                printf("# SKIP test-native-cgroup: no cgroup filesystem at /sys/fs/cgroup\n");
                return 77;
        }
        if (access("/sys/fs/cgroup/pids", W_OK) < 0 && access("/sys/fs/cgroup", W_OK) < 0) {
                printf("# SKIP test-native-cgroup: /sys/fs/cgroup is not writable\n");
                return 77;
        }
        printf("# cgroup mode: %s\n", pc_cgroup_mode());
        snprintf(name, sizeof(name), "pincer-test-%d", (int) getpid());
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_validation),
                cmocka_unit_test(test_lifecycle),
                cmocka_unit_test(test_destroy_kills),
                cmocka_unit_test(test_join),
                /* These two leave this process in a private mount namespace: keep them last. */
                cmocka_unit_test(test_emulated_unified),
                cmocka_unit_test(test_emulated_legacy),
        };
        if (!mkdtemp(emu_root)) {
                perror("mkdtemp");
                return 1;
        }
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        (void) rmdir(emu_root);
        return r;
}
