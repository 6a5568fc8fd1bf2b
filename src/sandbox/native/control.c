/* SPDX-License-Identifier: MIT */
/*
 * The control protocol between an exec caller and a sandbox's pid 1, over a unix stream
 * socket. One connection = one command:
 *
 *   → header {u32 magic, u32 body_len} with SCM_RIGHTS (stdin, stdout, stderr of the command:
 *     the caller's pipe ends), then the body: u64 timeout_ms, u32 argc, u32 envc,
 *     then NUL-terminated strings: workdir ("" = default), argv[argc], env[envc]
 *   ← PcNativeReply when the command has exited (or was killed on timeout)
 *
 * The caller reads the command's output from its own pipes, so pid 1 never buffers output
 * and the command never blocks on a slow reader beyond the pipe's capacity: the caller keeps
 * reading (and discarding past the cap) until the reply and the pipes are done.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "native-internal.h"

#define REQUEST_MAGIC 0x31584350u /* "PCX1" */

typedef struct Header {
        uint32_t magic;
        uint32_t body_len;
} Header;

typedef struct BodyHead {
        uint64_t timeout_ms;
        uint32_t argc;
        uint32_t envc;
        uint32_t flags; /* PC_NATIVE_REQUEST_* */
        uint32_t reserved;
} BodyHead;

int pc__native_control_addr(int run_dir_fd, void *ret_sockaddr_un, unsigned *ret_len)
{
        struct sockaddr_un *sa = ret_sockaddr_un;
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", run_dir_fd,
                         PC_NATIVE_CONTROL_SOCK);
        if (n < 0 || (size_t) n >= sizeof(sa->sun_path))
                return -ENAMETOOLONG;
        *ret_len = (unsigned) (offsetof(struct sockaddr_un, sun_path) + (size_t) n + 1);
        return 0;
}

static int read_full(int fd, void *buf, size_t n)
{
        size_t done = 0;
        while (done < n) {
                ssize_t k = read(fd, (char *) buf + done, n - done);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        return -EPIPE;
                done += (size_t) k;
        }
        return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
        size_t done = 0;
        while (done < n) {
                ssize_t k = send(fd, (const char *) buf + done, n - done, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                done += (size_t) k;
        }
        return 0;
}

void pc__native_request_release(PcNativeRequest *r)
{
        free(r->argv);
        free(r->env);
        free(r->blob);
        memset(r, 0, sizeof(*r));
}

/* Splits n NUL-terminated strings off [*p, end). */
static int take_strings(char **p, char *end, uint32_t n, char ***ret)
{
        char **v = xcalloc((size_t) n + 1, sizeof(char *));
        for (uint32_t i = 0; i < n; i++) {
                char *nul = memchr(*p, '\0', (size_t) (end - *p));
                if (!nul) {
                        free(v);
                        return -EBADMSG;
                }
                v[i] = *p;
                *p = nul + 1;
        }
        *ret = v;
        return 0;
}

int pc__native_request_recv(int conn, PcNativeRequest *ret, int ret_fds[3])
{
        Header h;
        union {
                char buf[CMSG_SPACE(3 * sizeof(int))];
                struct cmsghdr align;
        } u;
        struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        ssize_t k;
        do
                k = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        int nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        nfds = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                        int fds[8];
                        memcpy(fds, CMSG_DATA(c), (size_t) (nfds > 8 ? 8 : nfds) * sizeof(int));
                        for (int i = 0; i < nfds && i < 8; i++) {
                                if (i < 3)
                                        ret_fds[i] = fds[i];
                                else
                                        close(fds[i]);
                        }
                }
        if (nfds != 3 || (size_t) k != sizeof(h) || (msg.msg_flags & MSG_CTRUNC)) {
                for (int i = 0; i < nfds && i < 3; i++)
                        close(ret_fds[i]);
                return -EBADMSG;
        }
        int r = -EBADMSG;
        if (h.magic != REQUEST_MAGIC || h.body_len < sizeof(BodyHead) + 2 ||
            h.body_len > PC_NATIVE_REQUEST_MAX)
                goto fail;
        char *blob = xmalloc(h.body_len);
        r = read_full(conn, blob, h.body_len);
        if (r < 0) {
                free(blob);
                goto fail;
        }
        BodyHead bh;
        memcpy(&bh, blob, sizeof(bh));
        PcNativeRequest req = {.blob = blob, .timeout_ms = bh.timeout_ms, .flags = bh.flags};
        char *p = blob + sizeof(bh), *end = blob + h.body_len;
        char **wd = NULL;
        r = -EBADMSG;
        if (bh.argc < 1 || bh.argc > h.body_len || bh.envc > h.body_len ||
            take_strings(&p, end, 1, &wd) < 0 || take_strings(&p, end, bh.argc, &req.argv) < 0 ||
            take_strings(&p, end, bh.envc, &req.env) < 0 || p != end) {
                free(wd);
                pc__native_request_release(&req);
                goto fail;
        }
        req.workdir = wd[0][0] ? wd[0] : NULL;
        free(wd);
        *ret = req;
        return 0;
fail:
        for (int i = 0; i < 3; i++)
                close(ret_fds[i]);
        return r;
}

int pc__native_reply_send(int conn, const PcNativeReply *reply)
{
        return write_full(conn, reply, sizeof(*reply));
}

/* ---- the client ------------------------------------------------------------------------ */

static uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static int send_request(int sock, const PcExecRequest *req, const int fds[3])
{
        PcBuf body = PC_BUF_INIT;
        size_t argc = 0;
        while (req->argv[argc])
                argc++;
        BodyHead bh = {.timeout_ms = req->timeout_ms,
                       .argc = (uint32_t) argc,
                       .envc = (uint32_t) req->n_env,
                       .flags = req->login_shell ? PC_NATIVE_REQUEST_LOGIN_CACHE : 0};
        pc_buf_add(&body, &bh, sizeof(bh));
        pc_buf_add(&body, req->workdir ? req->workdir : "",
                   strlen(req->workdir ? req->workdir : "") + 1);
        for (size_t i = 0; i < argc; i++)
                pc_buf_add(&body, req->argv[i], strlen(req->argv[i]) + 1);
        for (size_t i = 0; i < req->n_env; i++) {
                pc_buf_addf(&body, "%s=%s", req->env[i].key, req->env[i].value);
                pc_buf_addch(&body, '\0');
        }
        int r = -E2BIG;
        if (body.len > PC_NATIVE_REQUEST_MAX)
                goto out;
        Header h = {.magic = REQUEST_MAGIC, .body_len = (uint32_t) body.len};
        union {
                char buf[CMSG_SPACE(3 * sizeof(int))];
                struct cmsghdr align;
        } u;
        memset(&u, 0, sizeof(u));
        struct iovec iov = {.iov_base = &h, .iov_len = sizeof(h)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = u.buf,
                             .msg_controllen = sizeof(u.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(3 * sizeof(int));
        memcpy(CMSG_DATA(c), fds, 3 * sizeof(int));
        ssize_t k;
        do
                k = sendmsg(sock, &msg, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        r = k < 0 ? -errno : (size_t) k != sizeof(h) ? -EIO : 0;
        if (r == 0)
                r = write_full(sock, body.buf, body.len);
out:
        pc_buf_release(&body);
        return r;
}

/* Appends what fd has to out (up to cap, the rest is discarded), or hands it to the request's
 * on_output. Returns 1 at EOF, 0 when it would block, -errno on error. */
static int drain(int fd, const PcExecRequest *req, int stream, PcBuf *out, size_t cap,
                 bool *truncated)
{
        char buf[65536];
        for (;;) {
                ssize_t k = read(fd, buf, sizeof(buf));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == EAGAIN ? 0 : -errno;
                if (k == 0)
                        return 1;
                if (req->on_output) {
                        req->on_output(req->userdata, stream, buf, (size_t) k);
                        continue;
                }
                size_t room = out->len < cap ? cap - out->len : 0;
                size_t take = (size_t) k < room ? (size_t) k : room;
                pc_buf_add(out, buf, take);
                if (take < (size_t) k)
                        *truncated = true;
        }
}

int pc__native_control_exec(int run_dir_fd, const PcExecRequest *req, PcExecResult *ret,
                            PcError *reterr)
{
        uint64_t start = now_us();
        struct sockaddr_un sa;
        unsigned salen;
        int r = pc__native_control_addr(run_dir_fd, &sa, &salen);
        if (r < 0)
                return pc_error_set(reterr, r, "control socket address: %s", strerror(-r));
        _cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (sock < 0)
                return pc_error_set(reterr, -errno, "socket: %s", strerror(errno));
        if (connect(sock, (struct sockaddr *) &sa, salen) < 0) {
                r = -errno;
                return pc_error_set(reterr, r == -ECONNREFUSED ? -ENOENT : r,
                                    "the sandbox's init does not answer: %s", strerror(-r));
        }

        int in[2] = {-EBADF, -EBADF}, out[2], err[2];
        if (pipe2(out, O_CLOEXEC) < 0)
                return pc_error_set(reterr, -errno, "pipe: %s", strerror(errno));
        if (pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                close(out[0]);
                close(out[1]);
                return pc_error_set(reterr, r, "pipe: %s", strerror(-r));
        }
        if (req->stdin_fd > 0) {
                in[0] = req->stdin_fd; /* borrowed: passed to the command as is */
        } else if (req->stdin_data) {
                if (pipe2(in, O_CLOEXEC) < 0)
                        in[0] = -errno;
                else /* only our end: the command's stdin stays blocking */
                        (void) fcntl(in[1], F_SETFL, O_NONBLOCK);
        } else
                in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (in[0] < 0) {
                r = in[0];
                close(out[0]);
                close(out[1]);
                close(err[0]);
                close(err[1]);
                return pc_error_set(reterr, r, "stdin: %s", strerror(-r));
        }
        int fds[3] = {in[0], out[1], err[1]};
        r = send_request(sock, req, fds);
        if (req->stdin_fd <= 0)
                close(in[0]);
        close(out[1]);
        close(err[1]);
        _cleanup_close_ int out_fd = out[0], err_fd = err[0], in_fd = in[1];
        if (r < 0)
                return pc_error_set(reterr, r, "sending the command to the sandbox: %s",
                                    strerror(-r));
        (void) fcntl(out_fd, F_SETFL, O_NONBLOCK);
        (void) fcntl(err_fd, F_SETFL, O_NONBLOCK);

        size_t cap = req->max_output ? req->max_output : PC_EXEC_DEFAULT_MAX_OUTPUT;
        const char *in_p = req->stdin_data;
        size_t in_left = req->stdin_len;
        if (in_fd >= 0 && in_left == 0)
                in_fd = (close(in_fd), -EBADF);
        PcNativeReply reply;
        size_t got = 0;
        bool out_eof = false, err_eof = false;
        int cancel_fd = req->cancel_fd > 0 ? req->cancel_fd : -1;
        /* The helper enforces the timeout; this is the backstop if it dies. */
        uint64_t deadline = req->timeout_ms ? start + (req->timeout_ms + 10000) * 1000 : 0;
        while (got < sizeof(reply) || !out_eof || !err_eof) {
                struct pollfd p[5] = {
                        {.fd = got < sizeof(reply) ? sock : -1, .events = POLLIN},
                        {.fd = out_eof ? -1 : out_fd, .events = POLLIN},
                        {.fd = err_eof ? -1 : err_fd, .events = POLLIN},
                        {.fd = in_fd, .events = POLLOUT},
                        {.fd = got < sizeof(reply) ? cancel_fd : -1, .events = POLLIN},
                };
                int timeout = -1;
                if (got == sizeof(reply))
                        timeout = 0; /* exited: take what is buffered, do not wait for
                                        background processes that keep the pipes open */
                else if (deadline) {
                        uint64_t now = now_us();
                        if (now >= deadline)
                                return pc_error_set(reterr, -ETIMEDOUT,
                                                    "the sandbox's init did not answer in time");
                        timeout = (int) ((deadline - now) / 1000) + 1;
                }
                int n = poll(p, 5, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return pc_error_set(reterr, -errno, "poll: %s", strerror(errno));
                if (p[1].revents || (got == sizeof(reply) && !out_eof)) {
                        r = drain(out_fd, req, 1, &ret->out, cap, &ret->out_truncated);
                        out_eof = r != 0 || got == sizeof(reply);
                }
                if (p[2].revents || (got == sizeof(reply) && !err_eof)) {
                        r = drain(err_fd, req, 2, &ret->err, cap, &ret->err_truncated);
                        err_eof = r != 0 || got == sizeof(reply);
                }
                if (p[3].revents) {
                        ssize_t k = write(in_fd, in_p, in_left);
                        if (k > 0) {
                                in_p += k;
                                in_left -= (size_t) k;
                        }
                        if ((k < 0 && errno != EAGAIN && errno != EINTR) || in_left == 0)
                                in_fd = (close(in_fd), -EBADF);
                }
                if (p[4].revents) {
                        /* Hanging up our side makes pid 1 kill the process group;
                         * its reply still arrives. */
                        (void) shutdown(sock, SHUT_WR);
                        ret->canceled = true;
                        cancel_fd = -1;
                }
                if (p[0].revents) {
                        ssize_t k = read(sock, (char *) &reply + got, sizeof(reply) - got);
                        if (k < 0 && errno == EINTR)
                                continue;
                        if (k <= 0)
                                return pc_error_set(reterr, k < 0 ? -errno : -EIO,
                                                    "the sandbox's init closed the connection "
                                                    "(was the sandbox destroyed?)");
                        got += (size_t) k;
                        if (got == sizeof(reply) && in_fd >= 0)
                                in_fd = (close(in_fd), -EBADF);
                }
        }
        if (reply.error < 0)
                return pc_error_set(reterr, reply.error, "could not start the command: %s",
                                    strerror(-reply.error));
        ret->exit_code = reply.exit_code;
        ret->signal = reply.signal;
        ret->timed_out = reply.timed_out != 0;
        ret->duration_us = now_us() - start;
        return 0;
}
