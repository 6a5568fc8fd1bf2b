/* SPDX-License-Identifier: MIT */
/*
 * Chromium inside a session's sandbox: a long-running sandbox exec on a thread of its own.
 *
 * One socketpair carries CDP. The client keeps one end; the other (the relay end) is the
 * exec's stdin (the native backend hands it to the command itself; Docker relays what it
 * reads from it to the container), and the exec's stdout, which arrives through on_output, is
 * written back into it. Inside the sandbox a shell moves stdin to fd 3 and stdout to fd 4,
 * where --remote-debugging-pipe expects them, and sends Chromium's own output to /dev/null.
 * Killing the browser makes the cancel fd readable: the backend kills the command's process
 * tree, the exec returns, the thread ends and the lease goes back.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "browser-internal.h"

typedef struct SandboxProc {
        PcSandboxLease *lease;
        pthread_t thread;
        int relay;     /* our end toward the command */
        int cancel_fd; /* eventfd */
        char *script;
        PcSandboxEnv env;
} SandboxProc;

static void on_output(void *userdata, int stream, const char *data, size_t len)
{
        SandboxProc *s = userdata;
        if (stream != 1)
                return;
        while (len > 0) {
                ssize_t n = send(s->relay, data, len, MSG_NOSIGNAL);
                if (n > 0) {
                        data += n;
                        len -= (size_t) n;
                } else if (n < 0 && errno == EAGAIN) {
                        /* Chromium may have made the shared description non-blocking */
                        struct pollfd p = {.fd = s->relay, .events = POLLOUT};
                        (void) poll(&p, 1, 1000);
                } else if (n < 0 && errno == EINTR) {
                        continue;
                } else {
                        return; /* the client is gone: the output has nobody to go to */
                }
        }
}

static void *sandbox_main(void *arg)
{
        SandboxProc *s = arg;
        const char *argv[] = {"/bin/sh", "-c", s->script, NULL};
        PcExecRequest req = {
                .argv = argv,
                .workdir = "/tmp",
                .env = s->env.vars,
                .n_env = s->env.n_vars,
                .on_output = on_output,
                .userdata = s,
                .cancel_fd = s->cancel_fd,
                .stdin_fd = s->relay,
        };
        PcExecResult res;
        pc_exec_result_init(&res);
        PcError err = PC_ERROR_INIT;
        (void) pc_sandbox_exec(pc_sandbox_lease_sandbox(s->lease), &req, &res, &err);
        pc_exec_result_release(&res);
        /* the client reads end-of-file: the browser has exited */
        (void) shutdown(s->relay, SHUT_RDWR);
        return NULL;
}

static void sandbox_kill(PcBrowserProcess *p)
{
        SandboxProc *s = pc_browser_process_data(p);
        uint64_t one = 1;
        (void) !write(s->cancel_fd, &one, sizeof(one));
        (void) pthread_join(s->thread, NULL);
        s->lease = pc_sandbox_lease_release(s->lease);
        close(s->relay);
        close(s->cancel_fd);
        pc_sandbox_env_release(&s->env);
        free(s->script);
        free(s);
}

/* A single-quoted shell word. */
static void add_quoted(PcBuf *b, const char *s)
{
        pc_buf_addch(b, '\'');
        for (; *s; s++) {
                if (*s == '\'')
                        pc_buf_addstr(b, "'\\''");
                else
                        pc_buf_addch(b, *s);
        }
        pc_buf_addch(b, '\'');
}

static int sandbox_start(void *userdata, const char *const *argv, int *ret_fd,
                         PcBrowserProcess **ret_proc, PcError *reterr)
{
        PcSandboxLease **take = userdata;
        if (!take || !*take)
                return pc_error_set(reterr, -EINVAL, "the browser needs the session's sandbox");
        const PcSandboxSpec *spec = pc_sandbox_lease_spec(*take);

        /* cd to a writable place, find Chromium (a clear error when the image lacks it), then
         * exec it with stdin on fd 3 and stdout on fd 4 */
        _cleanup_buf_ PcBuf script = PC_BUF_INIT;
        pc_buf_addstr(&script, "command -v ");
        add_quoted(&script, argv[0]);
        pc_buf_addstr(&script, " >/dev/null 2>&1 || exit 127; mkdir -p /tmp/pincer-browser && "
                               "HOME=/tmp/pincer-browser exec");
        for (size_t i = 0; argv[i]; i++) {
                pc_buf_addch(&script, ' ');
                add_quoted(&script, argv[i]);
        }
        pc_buf_addstr(&script, " 3<&0 4>&1 </dev/null >/dev/null 2>&1");

        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return pc_error_set(reterr, -errno, "socketpair: %s", strerror(errno));
        int cancel = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (cancel < 0) {
                int r = -errno;
                close(sv[0]);
                close(sv[1]);
                return pc_error_set(reterr, r, "eventfd: %s", strerror(-r));
        }
        SandboxProc *s = xcalloc(1, sizeof(*s));
        s->relay = sv[1];
        s->cancel_fd = cancel;
        s->script = pc_buf_detach(&script);
        pc_sandbox_exec_env(spec, NULL, &s->env);
        s->lease = *take;
        int r = -pthread_create(&s->thread, NULL, sandbox_main, s);
        if (r < 0) {
                close(sv[0]);
                close(sv[1]);
                close(cancel);
                pc_sandbox_env_release(&s->env);
                free(s->script);
                free(s);
                return pc_error_set(reterr, r, "cannot start the browser thread: %s", strerror(-r));
        }
        *take = NULL; /* the browser holds the lease now */
        *ret_fd = sv[0];
        *ret_proc = pc_browser_process_new(sandbox_kill, s);
        return 0;
}

void pc_browser_sandbox_launcher(PcSandboxLease **take_lease, PcBrowserLauncher *ret)
{
        *ret = (PcBrowserLauncher){.start = sandbox_start, .userdata = take_lease};
}
