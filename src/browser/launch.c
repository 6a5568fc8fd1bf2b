/* SPDX-License-Identifier: MIT */
/*
 * Starting Chromium with its CDP pipe. Chromium's --remote-debugging-pipe reads commands from
 * fd 3 and writes to fd 4; both are one end of a socketpair here (a socket lets the client
 * write with MSG_NOSIGNAL, so a dead browser is EPIPE, never SIGPIPE).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "browser-internal.h"

struct PcBrowserProcess {
        pid_t pid; /* host: the leader of its own process group */
        void (*kill)(PcBrowserProcess *p);
        void *data;
};

void pc_browser_process_kill(PcBrowserProcess *p)
{
        if (!p)
                return;
        p->kill(p);
        free(p);
}

static void host_kill(PcBrowserProcess *p)
{
        if (p->pid <= 0)
                return;
        (void) kill(-p->pid, SIGKILL);
        (void) kill(p->pid, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        /* the renderers of the group that outlived their parent */
        (void) kill(-p->pid, SIGKILL);
}

/* Chromium on the host never runs as root: a gateway running as root starts it as nobody, which
 * also lets Chromium use its own sandbox (user namespaces) instead of --no-sandbox. */
#define PC_BROWSER_HOST_UID 65534
#define PC_BROWSER_HOST_GID 65534

static int host_start(void *userdata, const char *const *argv, int *ret_fd,
                      PcBrowserProcess **ret_proc, PcError *reterr)
{
        (void) userdata;
        const char *profile = NULL;
        for (size_t i = 0; argv[i]; i++)
                if (startswith(argv[i], "--user-data-dir="))
                        profile = argv[i] + strlen("--user-data-dir=");
        bool drop = geteuid() == 0;
        if (drop && profile && chown(profile, PC_BROWSER_HOST_UID, PC_BROWSER_HOST_GID) < 0)
                return pc_error_set(reterr, -errno,
                                    "cannot give the browser profile %s to uid %d: %s", profile,
                                    PC_BROWSER_HOST_UID, strerror(errno));
        /* A small environment of its own: the gateway's (tokens, API keys) stays out of reach of
         * a compromised renderer. Built before fork: the child only calls async-signal-safe
         * functions. */
        char env_path[1024], env_home[4200], env_display[512], env_wayland[512], env_xdg[1024];
        const char *envp[8];
        size_t ne = 0;
        const char *v = getenv("PATH");
        snprintf(env_path, sizeof(env_path), "PATH=%s",
                 v && strlen(v) < 1000 ? v : "/usr/local/bin:/usr/bin:/bin");
        envp[ne++] = env_path;
        snprintf(env_home, sizeof(env_home), "HOME=%s", profile ? profile : "/tmp");
        envp[ne++] = env_home;
        envp[ne++] = "LANG=C.UTF-8";
        if ((v = getenv("DISPLAY")) && strlen(v) < 400) {
                snprintf(env_display, sizeof(env_display), "DISPLAY=%s", v);
                envp[ne++] = env_display;
        }
        if ((v = getenv("WAYLAND_DISPLAY")) && strlen(v) < 400) {
                snprintf(env_wayland, sizeof(env_wayland), "WAYLAND_DISPLAY=%s", v);
                envp[ne++] = env_wayland;
        }
        if ((v = getenv("XDG_RUNTIME_DIR")) && strlen(v) < 900) {
                snprintf(env_xdg, sizeof(env_xdg), "XDG_RUNTIME_DIR=%s", v);
                envp[ne++] = env_xdg;
        }
        envp[ne] = NULL;

        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return pc_error_set(reterr, -errno, "socketpair: %s", strerror(errno));
        int err_pipe[2];
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return pc_error_set(reterr, r, "pipe: %s", strerror(-r));
        }
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                close(err_pipe[0]);
                close(err_pipe[1]);
                return pc_error_set(reterr, r, "fork: %s", strerror(-r));
        }
        if (pid == 0) {
                (void) setpgid(0, 0);
                if (drop && (setgroups(0, NULL) < 0 || setgid(PC_BROWSER_HOST_GID) < 0 ||
                             setuid(PC_BROWSER_HOST_UID) < 0)) {
                        int e = errno;
                        (void) !write(err_pipe[1], &e, sizeof(e));
                        _exit(127);
                }
                /* after the uid change, which clears it */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                        _exit(127);
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
                    dup2(sv[1], 3) < 0 || dup2(sv[1], 4) < 0)
                        _exit(127);
                sigset_t all;
                sigemptyset(&all);
                (void) sigprocmask(SIG_SETMASK, &all, NULL);
                (void) signal(SIGPIPE, SIG_DFL);
                execvpe(argv[0], (char *const *) argv, (char *const *) envp);
                int e = errno;
                (void) !write(err_pipe[1], &e, sizeof(e));
                _exit(127);
        }
        close(sv[1]);
        close(err_pipe[1]);
        int e = 0;
        ssize_t n;
        while ((n = read(err_pipe[0], &e, sizeof(e))) < 0 && errno == EINTR)
                ;
        close(err_pipe[0]);
        if (n == (ssize_t) sizeof(e)) {
                while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                close(sv[0]);
                return pc_error_set_kind(reterr,
                                         e == ENOENT ? PC_ERROR_NOT_FOUND : PC_ERROR_INTERNAL, -e,
                                         "cannot run %s: %s", argv[0], strerror(e));
        }
        PcBrowserProcess *p = xcalloc(1, sizeof(*p));
        p->pid = pid;
        p->kill = host_kill;
        *ret_fd = sv[0];
        *ret_proc = p;
        return 0;
}

const PcBrowserLauncher pc_browser_host_launcher = {.start = host_start};

PcBrowserProcess *pc_browser_process_new(void (*kill_fn)(PcBrowserProcess *p), void *data)
{
        PcBrowserProcess *p = xcalloc(1, sizeof(*p));
        p->kill = kill_fn;
        p->data = data;
        return p;
}

void *pc_browser_process_data(PcBrowserProcess *p)
{
        return p->data;
}

pid_t pc_browser_process_pid(const PcBrowserProcess *p)
{
        return p->pid;
}
