/* SPDX-License-Identifier: MIT */
/*
 * Seccomp filters of the native backend: the built-in default and Docker profiles are parsed
 * and compiled; malformed profiles give errors with JSON paths; the filters are applied in
 * forked children (no_new_privs, so no root is needed) and checked syscall by syscall.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/native/seccomp.h"
#include "sandbox/seccomp-default.h"

/* Checks in the child report to a pipe: one line per failure. */
static int report_fd = -1;

static void expect_errno(const char *what, long r, int want)
{
        int e = errno;
        if (r == -1 && e == want)
                return;
        dprintf(report_fd, "%s: got r=%ld errno=%d (%s), want errno %d\n", what, r, r == -1 ? e : 0,
                r == -1 ? strerror(e) : "-", want);
}

static void expect_ok(const char *what, long r)
{
        int e = errno;
        if (r >= 0)
                return;
        dprintf(report_fd, "%s: failed with errno %d (%s)\n", what, e, strerror(e));
}

/* Runs checks(f) in a forked child after no_new_privs + the filter; fails on any report. */
static void in_child(const PcSeccompFilter *f, void (*checks)(void))
{
        int p[2];
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                report_fd = p[1];
                if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(3);
                int r = pc_seccomp_apply(f);
                if (r < 0) {
                        dprintf(report_fd, "apply: %s\n", strerror(-r));
                        _exit(4);
                }
                checks();
                _exit(0);
        }
        close(p[1]);
        char buf[4096];
        size_t n = 0;
        ssize_t k;
        while (n + 1 < sizeof(buf) && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = '\0';
        close(p[0]);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (n > 0)
                fail_msg("in the filtered child:\n%s", buf);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("filtered child ended with status 0x%x", status);
}

static void default_checks(void)
{
        char c = 'x';
        expect_errno("mount", mount("none", "/tmp", "tmpfs", 0, NULL), EPERM);
        expect_errno("umount2", umount2("/tmp", MNT_DETACH), EPERM);
        expect_errno("unshare", unshare(CLONE_NEWNS), EPERM);
        expect_errno("unshare(user)", unshare(CLONE_NEWUSER), EPERM);
        expect_errno("setns", setns(0, 0), EPERM);
        expect_errno("pivot_root", syscall(SYS_pivot_root, "/", "/"), EPERM);
        expect_errno("ptrace", ptrace(PTRACE_TRACEME, 0, NULL, NULL), EPERM);
        expect_errno("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
        expect_errno("add_key", syscall(SYS_add_key, "user", "x", "y", 1, 0), EPERM);
        expect_errno("bpf", syscall(SYS_bpf, 0, NULL, 0), EPERM);
        expect_errno("perf_event_open", syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
        expect_errno("userfaultfd", syscall(SYS_userfaultfd, 0), EPERM);
        expect_errno("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), EPERM);
        expect_errno("init_module", syscall(SYS_init_module, NULL, 0, ""), EPERM);
        expect_errno("io_uring_setup", syscall(SYS_io_uring_setup, 1, NULL), EPERM);
        expect_errno("open_by_handle_at", syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
        expect_errno("clone3", syscall(SYS_clone3, NULL, 0), ENOSYS);
        expect_errno("clone(CLONE_NEWUSER)",
                     syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0), EPERM);
        expect_errno("clone(CLONE_NEWNET)",
                     syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, NULL, NULL, 0), EPERM);
        expect_errno("ioctl(TIOCSTI)", ioctl(0, TIOCSTI, &c), EPERM);
        expect_errno("ioctl(TIOCSTI | 1<<32)",
                     syscall(SYS_ioctl, 0, (1UL << 32) | (unsigned long) TIOCSTI, &c), EPERM);
        expect_errno("socket(AF_VSOCK)", syscall(SYS_socket, 40, 1, 0), EPERM);
        expect_errno("personality(0x1234)", personality(0x1234), EPERM);

        /* Ordinary life goes on. */
        expect_ok("write", write(report_fd, "", 0));
        expect_ok("getpid", getpid());
        expect_ok("personality query", personality(0xffffffff));
        int fds[2];
        expect_ok("pipe", pipe(fds));
        expect_ok("ioctl(FIONREAD)", ioctl(fds[0], FIONREAD, &(int){0}));
        pid_t pid = fork();
        expect_ok("fork", pid);
        if (pid == 0)
                _exit(7);
        int status = 0;
        if (pid > 0) {
                expect_ok("waitpid", waitpid(pid, &status, 0));
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 7)
                        dprintf(report_fd, "forked child status 0x%x\n", status);
        }
        pid = fork();
        if (pid == 0) {
                char *const argv[] = {"/bin/true", NULL};
                char *const envp[] = {NULL};
                execve("/bin/true", argv, envp);
                _exit(99);
        }
        expect_ok("fork for execve", pid);
        if (pid > 0) {
                expect_ok("waitpid", waitpid(pid, &status, 0));
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        dprintf(report_fd, "execve /bin/true: status 0x%x\n", status);
        }
}

static void test_builtin_default(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;
        if (pc_seccomp_filter_new(NULL, &f, &err) < 0)
                fail_msg("built-in: %s", err.msg);
        assert_true(pc_seccomp_filter_size(f) > 10);

        PcBuf b = PC_BUF_INIT;
        assert_true(pc_seccomp_summary(f, &b) > 0);
        assert_non_null(strstr(b.buf, "built-in default"));
        assert_non_null(strstr(b.buf, "default action: errno 1"));
        assert_non_null(strstr(b.buf, "denied: mount umount2 pivot_root unshare setns"));
        assert_non_null(strstr(b.buf, "ptrace"));
        assert_null(strstr(b.buf, "allowed"));
        pc_buf_release(&b);

        in_child(f, default_checks);
        pc_seccomp_filter_free(f);
}

static void sample_checks(void)
{
        expect_errno("getppid", syscall(SYS_getppid), EACCES);
        expect_errno("mount", mount("none", "/nonexistent-x", "tmpfs", 0, NULL), EPERM);
        expect_ok("getpgrp (includes caps: not applied)", getpgrp());
        expect_ok("getsid (excludes amd64/arm64: not applied)", getsid(0));
        expect_errno("personality(8)", personality(8), EINVAL);
        expect_ok("personality query", personality(0xffffffff));
        expect_errno("getpriority(PRIO_PROCESS)", getpriority(PRIO_PROCESS, 0), ENOSYS);
        expect_ok("getpriority(PRIO_PGRP)", getpriority(PRIO_PGRP, 0));
        expect_ok("unshare(0)", unshare(0));
}

/* The built-in default as the Docker backend sends it (sandbox/seccomp-default.h): a Docker
 * profile that the native Docker-profile compiler takes as it is, denying what the built-in
 * default denies, with the archMap of Docker's default profile. */
static void test_default_profile_json(void **state)
{
        (void) state;
        _cleanup_free_ char *json = pc_seccomp_default_profile_json();
        json_error_t jerr;
        json_t *doc = json_loads(json, 0, &jerr);
        assert_non_null(doc);
        assert_string_equal(json_string_value(json_object_get(doc, "defaultAction")),
                            "SCMP_ACT_ERRNO");
        assert_int_equal(json_integer_value(json_object_get(doc, "defaultErrnoRet")), EPERM);
        /* Docker refuses a profile with both architectures and archMap. */
        assert_null(json_object_get(doc, "architectures"));
        assert_true(json_array_size(json_object_get(doc, "archMap")) >= 2);
        assert_non_null(strstr(json,
                               "{\"architecture\":\"SCMP_ARCH_X86_64\","
                               "\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]}"));
        assert_non_null(strstr(json, "{\"architecture\":\"SCMP_ARCH_AARCH64\","
                                     "\"subArchitectures\":[\"SCMP_ARCH_ARM\"]}"));
        /* No capability widens it. */
        assert_null(strstr(json, "\"caps\""));
        json_decref(doc);

        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;
        if (pc_seccomp_filter_from_string(json, strlen(json), "<default>", &f, &err) < 0)
                fail_msg("the rendered default does not compile: %s", err.msg);
        PcBuf b = PC_BUF_INIT;
        pc_seccomp_summary(f, &b);
        assert_non_null(strstr(b.buf, "default action: errno 1"));
        const char *line = strstr(b.buf, "denied: ");
        assert_non_null(line);
        _cleanup_free_ char *denied = xstrndup(line, strcspn(line, "\n"));
        static const char *const must_deny[] = {" ptrace", " io_uring_setup", " mount", " unshare",
                                                " setns",  " clone3",         " bpf"};
        for (size_t i = 0; i < ELEMENTSOF(must_deny); i++)
                if (!strstr(denied, must_deny[i]))
                        fail_msg("%s not denied by the rendered default:\n%s", must_deny[i], b.buf);
        assert_null(strstr(b.buf, "allowed"));
        pc_buf_release(&b);

        /* And the syscalls behave as with the built-in default. */
        in_child(f, default_checks);
        pc_seccomp_filter_free(f);
}

static void test_sample_profile(void **state)
{
        (void) state;
        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;
        _cleanup_free_ char *path =
                xasprintf("%s/tests/fixtures/seccomp/sample.json", test_source_dir());
        if (pc_seccomp_filter_new(path, &f, &err) < 0)
                fail_msg("sample: %s", err.msg);
        PcBuf b = PC_BUF_INIT;
        pc_seccomp_summary(f, &b);
        assert_non_null(strstr(b.buf, "default action: allow"));
        assert_non_null(strstr(b.buf, "denied: mount umount2\n"));
        pc_buf_release(&b);
#if defined(__x86_64__) || defined(__aarch64__)
        in_child(f, sample_checks);
#endif
        pc_seccomp_filter_free(f);
}

static void expect_error(const char *json, int code, const char *want)
{
        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;
        int r = pc_seccomp_filter_from_string(json, strlen(json), "p.json", &f, &err);
        if (r >= 0)
                fail_msg("accepted: %s", json);
        assert_null(f);
        assert_int_equal(r, code);
        if (!strstr(err.msg, want))
                fail_msg("message '%s' lacks '%s'", err.msg, want);
}

static void test_malformed(void **state)
{
        (void) state;
        expect_error("{", -EINVAL, "p.json:1:");
        expect_error("[]", -EINVAL, "must be a JSON object");
        expect_error("{}", -EINVAL, "p.json: defaultAction: missing");
        expect_error("{\"defaultAction\": \"SCMP_ACT_FOO\"}", -EINVAL,
                     "p.json: defaultAction: unknown action 'SCMP_ACT_FOO'");
        expect_error("{\"defaultAction\": 3}", -EINVAL, "defaultAction: must be a string");
        expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -2}", -EINVAL,
                     "defaultAction: errnoRet must be an integer");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}", -EINVAL,
                     "p.json: syscalls: must be an array");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_BOGUS\"}]}",
                     -EINVAL, "p.json: syscalls[0].action: unknown action 'SCMP_ACT_BOGUS'");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"read\", 3],"
                     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     -EINVAL, "p.json: syscalls[1].names[1]: must be a string");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
                     "\"action\":\"SCMP_ACT_ERRNO\"}]}",
                     -EINVAL, "syscalls[0].names: must be an array");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
                     -EINVAL, "syscalls[0]: needs \"action\"");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":7,\"value\":1,"
                     "\"op\":\"SCMP_CMP_EQ\"}]}]}",
                     -EINVAL, "syscalls[0].args[0].index: must be an integer 0..5");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
                     "\"op\":\"SCMP_CMP_ALMOST\"}]}]}",
                     -EINVAL, "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ALMOST'");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"caps\":3}}]}",
                     -EINVAL, "syscalls[0].includes.caps: must be an array of strings");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                     "\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                     -EOPNOTSUPP, "syscalls[0].action: SCMP_ACT_NOTIFY is not supported");
        expect_error("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"archMap\":[{}]}", -EINVAL,
                     "archMap[0]: needs \"architecture\"");

        PcError err = PC_ERROR_INIT;
        PcSeccompFilter *f = NULL;
        assert_int_equal(pc_seccomp_filter_new("/nonexistent/profile.json", &f, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "/nonexistent/profile.json"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_builtin_default),
                cmocka_unit_test(test_default_profile_json),
                cmocka_unit_test(test_sample_profile),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
