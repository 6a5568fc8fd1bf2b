/* SPDX-License-Identifier: MIT */
/*
 * Pid 1 of a native sandbox. It runs as root inside the namespaces, with the filesystem
 * already pivoted, and does three things:
 *
 *   accept   one connection per exec on the control socket (bound on the host before the
 *            pivot; pid 1 keeps the listening fd), and fork a supervisor for it, so a slow
 *            command never blocks the next one;
 *   reap     every child and every orphan (it is pid 1 of the pid namespace);
 *   nothing else: SIGKILL from the host (destroy) ends it and, with it, the namespace.
 *
 * The supervisor reads the request, forks the command (own process group; rlimits, workdir,
 * privilege drop, no_new_privs, seccomp, close_range, execvpe with exactly the requested
 * environment), waits for it with the timeout (on expiry, or when the caller hangs up, the
 * whole process group is killed) and sends the reply. Output never passes through here: the
 * command writes into the caller's pipes.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "base/alloc.h"
#include "native-internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum { STEP_CHDIR = 1, STEP_RLIMIT, STEP_PRIVS, STEP_NNP, STEP_SECCOMP, STEP_EXEC };

static const char *step_name(int step)
{
        switch (step) {
        case STEP_CHDIR:
                return "cannot change to the working directory";
        case STEP_RLIMIT:
                return "cannot set the ulimits";
        case STEP_PRIVS:
                return "cannot drop privileges";
        case STEP_NNP:
                return "cannot set no_new_privs";
        case STEP_SECCOMP:
                return "cannot load the seccomp filter";
        default:
                return "cannot execute";
        }
}

typedef struct ChildError {
        int32_t step;
        int32_t err;
} ChildError;

static _noreturn_ void child_fail(int fd, int step, int err)
{
        ChildError e = {.step = step, .err = err};
        (void) !write(fd, &e, sizeof(e));
        _exit(127);
}

static int apply_rlimits(const PcNativePlan *p)
{
        for (size_t i = 0; i < p->n_rlimits; i++) {
                struct rlimit cur;
                if (getrlimit(p->rlimits[i].resource, &cur) < 0)
                        return -errno;
                /* Only ever lowered: root here lacks CAP_SYS_RESOURCE on some hosts, and a
                 * sandbox never needs more than the gateway has. */
                rlim_t hard = p->rlimits[i].hard < 0 ? RLIM_INFINITY : (rlim_t) p->rlimits[i].hard;
                rlim_t soft = p->rlimits[i].soft < 0 ? RLIM_INFINITY : (rlim_t) p->rlimits[i].soft;
                if (hard > cur.rlim_max)
                        hard = cur.rlim_max;
                if (soft > hard)
                        soft = hard;
                struct rlimit nl = {.rlim_cur = soft, .rlim_max = hard};
                if (setrlimit(p->rlimits[i].resource, &nl) < 0)
                        return -errno;
        }
        return 0;
}

/* In the forked command: never returns. errfd (CLOEXEC) reports a failure before exec. */
static _noreturn_ void run_command(const PcNativeInit *init, const PcNativeRequest *req,
                                   char **envp, const int fds[3], int errfd)
{
        (void) setpgid(0, 0);
        sigset_t all;
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        child_fail(errfd, STEP_EXEC, -errno);
        if (chdir(req->workdir ? req->workdir : init->plan->workdir) < 0)
                child_fail(errfd, STEP_CHDIR, -errno);
        int r = apply_rlimits(init->plan);
        if (r < 0)
                child_fail(errfd, STEP_RLIMIT, r);
        r = pc__native_drop_privileges(init->plan->caps_keep, init->uid, init->gid);
        if (r < 0)
                child_fail(errfd, STEP_PRIVS, r);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                child_fail(errfd, STEP_NNP, -errno);
        if (init->filter) {
                r = pc_seccomp_apply(init->filter);
                if (r < 0)
                        child_fail(errfd, STEP_SECCOMP, r);
        }
        if (errfd != 3) {
                if (dup3(errfd, 3, O_CLOEXEC) < 0)
                        child_fail(errfd, STEP_EXEC, -errno);
                errfd = 3;
        }
        (void) syscall(SYS_close_range, 4u, ~0u, 0u);
        environ = envp;
        execvp(req->argv[0], req->argv);
        child_fail(errfd, STEP_EXEC, -errno);
}

static bool env_has(char **env, const char *name)
{
        size_t n = strlen(name);
        for (; env && *env; env++)
                if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
                        return true;
        return false;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* One connection, in its own process (a child of pid 1). */
static _noreturn_ void supervise(const PcNativeInit *init, int conn)
{
        PcNativeReply reply = {.exit_code = -1};
        int fds[3] = {-1, -1, -1};
        PcNativeRequest req = {};
        struct timeval tv = {.tv_sec = 10};
        (void) setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int r = pc__native_request_recv(conn, &req, fds);
        if (r < 0)
                _exit(1);

        /* The environment: exactly the request's, plus PATH and HOME when it has none. */
        size_t n = 0;
        while (req.env[n])
                n++;
        char **envp = xcalloc(n + 3, sizeof(char *));
        memcpy(envp, req.env, n * sizeof(char *));
        if (!env_has(envp, "PATH"))
                envp[n++] = (char *) DEFAULT_PATH;
        _cleanup_free_ char *home = xasprintf("HOME=%s", init->home);
        if (!env_has(envp, "HOME"))
                envp[n++] = home;

        int errp[2];
        if (pipe2(errp, O_CLOEXEC) < 0) {
                reply.error = -errno;
                goto reply;
        }
        pid_t pid = fork();
        if (pid < 0) {
                reply.error = -errno;
                goto reply;
        }
        if (pid == 0) {
                close(errp[0]);
                close(conn);
                run_command(init, &req, envp, fds, errp[1]);
        }
        (void) setpgid(pid, pid);
        close(errp[1]);

        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        uint64_t deadline = req.timeout_ms ? now_ms() + req.timeout_ms : 0;
        bool conn_open = true;
        for (;;) {
                struct pollfd p[2] = {{.fd = pidfd, .events = POLLIN},
                                      {.fd = conn_open ? conn : -1, .events = POLLIN}};
                int timeout = -1;
                if (deadline) {
                        uint64_t now = now_ms();
                        timeout = now >= deadline ? 0 : (int) (deadline - now);
                }
                int k = poll(p, 2, pidfd < 0 ? 50 : timeout);
                if (k < 0 && errno == EINTR)
                        continue;
                if (p[0].revents)
                        break;
                if (pidfd < 0 && waitid(P_PID, (id_t) pid, NULL, WEXITED | WNOHANG | WNOWAIT) == 0)
                        break; /* no pidfd: polled (not reached on kernels >= 5.3) */
                if (p[1].revents) {
                        /* The caller hung up (killed, or gave up): end the command. */
                        conn_open = false;
                        (void) kill(-pid, SIGKILL);
                }
                if (deadline && now_ms() >= deadline) {
                        reply.timed_out = 1;
                        (void) kill(-pid, SIGKILL);
                        deadline = 0;
                }
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (reply.timed_out)
                (void) kill(-pid, SIGKILL); /* what it left in its group */
        ChildError ce;
        ssize_t got = read(errp[0], &ce, sizeof(ce));
        if (got == (ssize_t) sizeof(ce)) {
                char msg[512];
                int m = snprintf(msg, sizeof(msg), "pincer: %s '%s': %s\n", step_name(ce.step),
                                 ce.step == STEP_CHDIR
                                         ? (req.workdir ? req.workdir : init->plan->workdir)
                                         : req.argv[0],
                                 strerror(-ce.err));
                if (m > 0)
                        (void) !write(fds[2], msg,
                                      (size_t) m < sizeof(msg) ? (size_t) m : sizeof(msg) - 1);
                reply.exit_code = ce.step == STEP_EXEC && ce.err != -ENOENT ? 126 : 127;
                reply.signal = 0;
        } else if (WIFEXITED(status)) {
                reply.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
                reply.exit_code = -1;
                reply.signal = WTERMSIG(status);
        }
reply:
        for (int i = 0; i < 3; i++)
                close(fds[i]);
        (void) pc__native_reply_send(conn, &reply);
        _exit(0);
}

void pc__native_init_main(const PcNativeInit *init, int listen_fd)
{
        (void) prctl(PR_SET_NAME, PC_NATIVE_INIT_COMM, 0, 0, 0);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        (void) fcntl(listen_fd, F_SETFL, O_NONBLOCK);
        for (;;) {
                struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
                                      {.fd = sfd, .events = POLLIN}};
                if (poll(p, 2, sfd < 0 ? 1000 : -1) < 0 && errno != EINTR)
                        continue;
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) > 0)
                                ;
                }
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                if (!(p[0].revents & POLLIN))
                        continue;
                int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0)
                        continue;
                pid_t pid = fork();
                if (pid == 0) {
                        close(listen_fd);
                        if (sfd >= 0)
                                close(sfd);
                        sigset_t none;
                        sigemptyset(&none);
                        (void) sigprocmask(SIG_SETMASK, &none, NULL);
                        supervise(init, conn);
                }
                close(conn);
        }
}
