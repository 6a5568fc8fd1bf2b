/* SPDX-License-Identifier: MIT */
/*
 * Pid 1 of a native sandbox. It runs as root inside the namespaces, with the filesystem
 * already pivoted, and does three things:
 *
 *   accept   one connection per exec on the control socket (bound on the host before the
 *            pivot; pid 1 keeps the listening fd), read the request and fork the command
 *            directly (own process group; rlimits, workdir, privilege drop, no_new_privs,
 *            seccomp, close_range, execvpe with exactly the requested environment);
 *   watch    every running command in one poll loop: the timeout (on expiry, or when the
 *            caller hangs up, the whole process group is killed), and its exit, which sends
 *            the reply; commands run side by side, a slow one never blocks the next;
 *   reap     every child and every orphan (it is pid 1 of the pid namespace);
 *   nothing else: SIGKILL from the host (destroy) ends it and, with it, the namespace.
 *
 * There is no supervisor process per exec (one fork per command, not two). Output never
 * passes through here: the command writes into the caller's pipes.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "base/alloc.h"
#include "native-internal.h"
#include "sandbox/sandbox-internal.h"

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

static _no_sanitize_address_ _noreturn_ void child_fail(int fd, int step, int err)
{
        ChildError e = {.step = step, .err = err};
        (void) !write(fd, &e, sizeof(e));
        _exit(127);
}

static _no_sanitize_address_ int apply_rlimits(const PcNativePlan *p)
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

/* execvpe() with the PATH of envp (glibc's looks at the caller's environment, and setting
 * environ here would change pid 1's: the child shares its memory). Returns -errno. */
static _no_sanitize_address_ int exec_search(const char *const *argv, char **envp)
{
        const char *file = argv[0];
        if (strchr(file, '/')) {
                execve(file, (char *const *) argv, envp);
                return -errno;
        }
        const char *path = pc__native_env_get(envp, "PATH");
        if (!path)
                path = &DEFAULT_PATH[strlen("PATH=")];
        size_t flen = strlen(file);
        int err = -ENOENT;
        for (const char *p = path;; p++) {
                const char *colon = strchrnul(p, ':');
                size_t dlen = (size_t) (colon - p);
                char full[PATH_MAX];
                if (dlen + 1 + flen + 1 <= sizeof(full)) {
                        memcpy(full, p, dlen);
                        size_t at = dlen;
                        if (dlen > 0)
                                full[at++] = '/'; /* an empty entry is the current directory */
                        memcpy(full + at, file, flen + 1);
                        execve(full, (char *const *) argv, envp);
                        if (errno == EACCES)
                                err = -EACCES; /* as execvp: reported if nothing else runs */
                        else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE &&
                                 errno != ENAMETOOLONG && errno != ELOOP && errno != ENODEV &&
                                 errno != ETIMEDOUT)
                                return -errno;
                }
                if (!*colon)
                        return err;
                p = colon;
        }
}

/* In the new child, on pid 1's memory (spawn_child): never returns. errfd (CLOEXEC) reports
 * a failure before exec. mask: the umask to set, or -1 to keep pid 1's. Only this task's
 * state changes here (its own fd table, fs, credentials and seccomp filter). */
static _no_sanitize_address_ _noreturn_ void run_command(const PcNativeInit *init,
                                                         const char *workdir,
                                                         const char *const *argv, char **envp,
                                                         int mask, const int fds[3], int errfd)
{
        (void) setpgid(0, 0);
        sigset_t all;
        sigemptyset(&all);
        (void) sigprocmask(SIG_SETMASK, &all, NULL);
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        child_fail(errfd, STEP_EXEC, -errno);
        if (mask >= 0)
                (void) umask((mode_t) mask);
        if (chdir(workdir) < 0)
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
        child_fail(errfd, STEP_EXEC, exec_search(argv, envp));
}

typedef struct SpawnArgs {
        const PcNativeInit *init;
        const char *workdir;
        const char *const *argv;
        char **envp;
        int mask;
        const int *fds;
        int errfd;
} SpawnArgs;

static _no_sanitize_address_ int spawn_main(void *userdata)
{
        const SpawnArgs *a = userdata;
        run_command(a->init, a->workdir, a->argv, a->envp, a->mask, a->fds, a->errfd);
}

/* Starts run_command() in a child that shares pid 1's memory until it execs (CLONE_VM |
 * CLONE_VFORK, as posix_spawn): pid 1 is a fork of the gateway, and copying its address space
 * for every command cost more than half a millisecond. pid 1 waits until the command has
 * exec'd or failed. Returns the pid or -errno. */
static pid_t spawn_child(const SpawnArgs *a)
{
        static void *stack;
        if (!stack) {
                stack = mmap(NULL, PC_NATIVE_SPAWN_STACK, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
                if (stack == MAP_FAILED) {
                        stack = NULL;
                        return -ENOMEM;
                }
        }
        pid_t pid = clone(spawn_main, (char *) stack + PC_NATIVE_SPAWN_STACK,
                          CLONE_VM | CLONE_VFORK | SIGCHLD, (void *) a);
        return pid < 0 ? -errno : pid;
}

static uint64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* A command pid 1 runs for one connection, until its reply is sent. */
typedef struct Cmd {
        pid_t pid;     /* 0: the slot is free */
        int conn;      /* -1 once the connection failed */
        bool canceled; /* the caller half-closed: the command was killed, the reply still goes */
        int errfd;     /* the CLOEXEC pipe the child reports a failed setup step on */
        int stderr_fd; /* the command's stderr (for that report) */
        uint64_t deadline; /* ms, 0: none */
        bool timed_out;
        bool exited;
        int status;
        char *what_chdir; /* for the report: the working directory ... */
        char *what_exec;  /* ... and argv[0] */
        /* A login-environment probe to start once the reply is sent (so that it does not
         * compete with the command for the CPU), with the command's environment. */
        void *probe;
        char **probe_env;
} Cmd;

static void probe_start(const PcNativeInit *init, PcLoginCache *cache, void *probe,
                        const char *workdir, const char *argv0, char **envp);

static void cmd_finish(const PcNativeInit *init, PcLoginCache *cache, Cmd *c)
{
        PcNativeReply reply = {.exit_code = -1};
        if (c->timed_out) {
                reply.timed_out = 1;
                (void) kill(-c->pid, SIGKILL); /* what it left in its group */
        }
        ChildError ce;
        ssize_t got = read(c->errfd, &ce, sizeof(ce));
        if (got == (ssize_t) sizeof(ce)) {
                char msg[512];
                int m = snprintf(msg, sizeof(msg), "pincer: %s '%s': %s\n", step_name(ce.step),
                                 ce.step == STEP_CHDIR ? c->what_chdir : c->what_exec,
                                 strerror(-ce.err));
                if (m > 0)
                        (void) !write(c->stderr_fd, msg,
                                      (size_t) m < sizeof(msg) ? (size_t) m : sizeof(msg) - 1);
                reply.exit_code = ce.step == STEP_EXEC && ce.err != -ENOENT ? 126 : 127;
        } else if (WIFEXITED(c->status)) {
                reply.exit_code = WEXITSTATUS(c->status);
        } else if (WIFSIGNALED(c->status)) {
                reply.signal = WTERMSIG(c->status);
        }
        close(c->stderr_fd);
        close(c->errfd);
        if (c->conn >= 0) {
                (void) pc__native_reply_send(c->conn, &reply);
                close(c->conn);
        }
        if (c->probe)
                probe_start(init, cache, c->probe, c->what_chdir, c->what_exec, c->probe_env);
        pc__strv_free(c->probe_env);
        free(c->what_chdir);
        free(c->what_exec);
        *c = (Cmd){0};
}

/* Starts a login-environment probe (login-env.c) for a request: a login shell with the
 * request's environment and working directory that prints its state into a pipe. */
static void probe_start(const PcNativeInit *init, PcLoginCache *cache, void *probe,
                        const char *workdir, const char *argv0, char **envp)
{
        if (!pc__login_probe_prepare(cache, probe))
                return;
        int out[2] = {-1, -1}, errp[2] = {-1, -1};
        int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        pid_t pid = -1;
        if (devnull >= 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(errp, O_CLOEXEC) == 0) {
                const char *argv[] = {argv0, "-lc", pc__login_probe_script, NULL};
                int fds[3] = {devnull, out[1], out[1]};
                SpawnArgs a = {init, workdir, argv, envp, -1, fds, errp[1]};
                pid = spawn_child(&a);
        }
        if (pid > 0)
                (void) setpgid(pid, pid);
        if (devnull >= 0)
                close(devnull);
        if (out[1] >= 0)
                close(out[1]);
        if (errp[0] >= 0) { /* a probe that failed before exec printed nothing: refused */
                close(errp[0]);
                close(errp[1]);
        }
        if (out[0] >= 0 && pid > 0)
                (void) fcntl(out[0], F_SETFL, O_NONBLOCK);
        else if (out[0] >= 0)
                out[0] = (close(out[0]), -1);
        pc__login_probe_started(cache, probe, pid, out[0], now_ms());
}

/* Reads the request on conn and forks its command (a direct child of pid 1: no supervisor
 * process per exec). Returns 0 with *ret filled, or -errno after answering the caller. */
static int cmd_start(const PcNativeInit *init, PcLoginCache *cache, int conn, Cmd *ret)
{
        PcNativeReply reply = {.exit_code = -1};
        int fds[3] = {-1, -1, -1};
        PcNativeRequest req = {};
        /* The gateway writes the whole request right after connecting; a caller that does
         * not cannot hold pid 1 (and every other exec) for long. */
        struct timeval tv = {.tv_sec = 1};
        (void) setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        int r = pc__native_request_recv(conn, &req, fds);
        if (r < 0) {
                close(conn);
                return r;
        }

        /* The environment: exactly the request's, plus PATH and HOME when it has none. */
        size_t n = 0;
        while (req.env[n])
                n++;
        _cleanup_free_ char **envp = xcalloc(n + 3, sizeof(char *));
        memcpy(envp, req.env, n * sizeof(char *));
        if (!pc__native_env_get(envp, "PATH"))
                envp[n++] = (char *) DEFAULT_PATH;
        _cleanup_free_ char *home = xasprintf("HOME=%s", init->home);
        if (!pc__native_env_get(envp, "HOME"))
                envp[n++] = home;

        /* `sh -lc SCRIPT` whose login environment pid 1 knows runs as `sh -c SCRIPT` with it */
        const char *workdir = req.workdir ? req.workdir : init->plan->workdir;
        const char *const *argv = (const char *const *) req.argv;
        const char *short_argv[4];
        char **cmd_env = envp;
        int mask = -1;
        PcLoginDecision login = {0};
        if ((req.flags & PC_NATIVE_REQUEST_LOGIN_CACHE) && req.argv[1] && req.argv[2] &&
            !req.argv[3] && streq(req.argv[1], "-lc")) {
                pc__login_cache_decide(cache, req.argv[0], envp, workdir, &login);
                if (login.hit) {
                        short_argv[0] = req.argv[0];
                        short_argv[1] = "-c";
                        short_argv[2] = req.argv[2];
                        short_argv[3] = NULL;
                        argv = short_argv;
                        cmd_env = login.env;
                        mask = (int) login.umask;
                }
        }

        int errp[2] = {-1, -1};
        pid_t pid = -1;
        if (pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
        } else {
                /* no atfork handlers run (pid 1 is a fork of the gateway, whose libraries'
                 * handlers would close and reuse fd numbers that belong to the command) */
                SpawnArgs a = {init, workdir, argv, cmd_env, mask, fds, errp[1]};
                pid = spawn_child(&a);
                if (pid < 0)
                        r = (int) pid;
        }
        if (login.probe && r < 0)
                pc__login_probe_started(cache, login.probe, -1, -1, 0);
        if (r < 0) {
                reply.error = r;
                if (errp[0] >= 0) {
                        close(errp[0]);
                        close(errp[1]);
                }
                for (int i = 0; i < 3; i++)
                        close(fds[i]);
                (void) pc__native_reply_send(conn, &reply);
                close(conn);
                pc__native_request_release(&req);
                return r;
        }
        (void) setpgid(pid, pid);
        close(errp[1]);
        close(fds[0]);
        close(fds[1]);
        *ret = (Cmd){
                .pid = pid,
                .conn = conn,
                .errfd = errp[0],
                .stderr_fd = fds[2],
                .deadline = req.timeout_ms ? now_ms() + req.timeout_ms : 0,
                .what_chdir = xstrdup(workdir),
                .what_exec = xstrdup(req.argv[0]),
                .probe = login.probe,
                .probe_env = login.probe ? pc__strv_copy(envp) : NULL,
        };
        pc__native_request_release(&req);
        return 0;
}

void pc__native_init_main(const PcNativeInit *init_in, int listen_fd)
{
        (void) prctl(PR_SET_NAME, PC_NATIVE_INIT_COMM, 0, 0, 0);
        /* The seccomp filter, once for pid 1 and everything it starts (filter_in_init);
         * the commands then load none. If that fails, each command loads it as before. */
        PcNativeInit self = *init_in;
        const PcNativeInit *init = &self;
        if (self.filter && self.filter_in_init && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
            pc_seccomp_apply(self.filter) == 0)
                self.filter = NULL;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        (void) sigprocmask(SIG_BLOCK, &mask, NULL);
        int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        (void) fcntl(listen_fd, F_SETFL, O_NONBLOCK);
        Cmd *cmds = NULL;
        size_t n_cmds = 0, alloc_cmds = 0;
        PcLoginCache *cache = pc__login_cache_new();
        enum { FIRST_CMD = 2 + PC_LOGIN_CACHE_ENTRIES };
        struct pollfd *p = NULL;
        size_t alloc_p = 0;
        for (;;) {
                /* The listener, the signalfd, then every command's connection (a hang-up
                 * kills the command). The poll ends at the nearest deadline. */
                p = xgrow(p, &alloc_p, n_cmds + FIRST_CMD, sizeof(*p));
                p[0] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
                p[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
                pc__login_cache_pollfds(cache, p + 2, PC_LOGIN_CACHE_ENTRIES);
                uint64_t now = now_ms(), next = pc__login_cache_deadline(cache);
                for (size_t i = 0; i < n_cmds; i++) {
                        Cmd *c = &cmds[i];
                        p[i + FIRST_CMD] = (struct pollfd){
                                .fd = c->pid && !c->exited && !c->canceled ? c->conn : -1,
                                .events = POLLIN};
                        if (c->pid && c->deadline && (!next || c->deadline < next))
                                next = c->deadline;
                }
                int timeout = sfd < 0 ? 50 : -1;
                if (next)
                        timeout = next <= now ? 0 : (int) (next - now);
                if (poll(p, n_cmds + FIRST_CMD, timeout) < 0 && errno != EINTR)
                        continue;
                pc__login_cache_step(cache, p + 2, PC_LOGIN_CACHE_ENTRIES, now_ms());
                if (p[1].revents) {
                        struct signalfd_siginfo si;
                        while (read(sfd, &si, sizeof(si)) > 0)
                                ;
                }
                /* Reap everything: orphans, and the commands (their status is kept). */
                int status;
                pid_t dead;
                while ((dead = waitpid(-1, &status, WNOHANG)) > 0)
                        for (size_t i = 0; i < n_cmds; i++)
                                if (cmds[i].pid == dead) {
                                        cmds[i].exited = true;
                                        cmds[i].status = status;
                                }
                now = now_ms();
                for (size_t i = 0; i < n_cmds; i++) {
                        Cmd *c = &cmds[i];
                        if (!c->pid)
                                continue;
                        if (c->exited) {
                                cmd_finish(init, cache, c);
                                continue;
                        }
                        if (c->conn >= 0 && !c->canceled && p[i + FIRST_CMD].revents) {
                                /* The caller hung up: a half-close (shutdown(SHUT_WR), the
                                 * client's cancel) still wants the exit status; a broken
                                 * connection does not. Either way the command's group ends. */
                                char b;
                                if (recv(c->conn, &b, 1, MSG_DONTWAIT) == 0 &&
                                    !(p[i + FIRST_CMD].revents & (POLLHUP | POLLERR | POLLNVAL)))
                                        c->canceled = true;
                                else {
                                        close(c->conn);
                                        c->conn = -1;
                                }
                                (void) kill(-c->pid, SIGKILL);
                        }
                        if (c->deadline && now >= c->deadline) {
                                c->timed_out = true;
                                c->deadline = 0;
                                (void) kill(-c->pid, SIGKILL);
                        }
                }
                while (n_cmds > 0 && !cmds[n_cmds - 1].pid)
                        n_cmds--;
                if (!(p[0].revents & POLLIN))
                        continue;
                for (;;) {
                        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                        if (conn < 0)
                                break;
                        size_t slot = 0;
                        while (slot < n_cmds && cmds[slot].pid)
                                slot++;
                        if (slot == n_cmds) {
                                cmds = xgrow(cmds, &alloc_cmds, n_cmds + 1, sizeof(Cmd));
                                cmds[n_cmds++] = (Cmd){0};
                        }
                        (void) cmd_start(init, cache, conn, &cmds[slot]);
                }
        }
}
