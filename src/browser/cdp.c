/* SPDX-License-Identifier: MIT */
#include "cdp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"

struct PcCdp {
        int rfd, wfd;
        bool dead;
        int64_t next_id;
        PcBuf in;    /* bytes read and not yet split into messages */
        size_t scan; /* in.buf[0..scan) holds no NUL */
        PcCdpEventFn on_event;
        void *userdata;
        /* the armed event wait */
        char *want_method, *want_session;
        bool seen;
};

void pc_cdp_message_release(PcCdpMessage *m)
{
        json_decref(m->root);
        *m = (PcCdpMessage){.id = -1};
}

int pc_cdp_message_parse(const char *data, size_t len, PcCdpMessage *ret, PcError *reterr)
{
        *ret = (PcCdpMessage){.id = -1};
        if (len > PC_CDP_MESSAGE_MAX)
                return pc_error_set(reterr, -E2BIG, "CDP message of %zu bytes exceeds %u", len,
                                    PC_CDP_MESSAGE_MAX);
        json_error_t jerr;
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return pc_error_set(reterr, -EBADMSG, "CDP message is not JSON: %s", jerr.text);
        if (!json_is_object(root)) {
                json_decref(root);
                return pc_error_set(reterr, -EBADMSG, "CDP message is not an object");
        }
        json_t *id = json_object_get(root, "id");
        json_t *method = json_object_get(root, "method");
        json_t *sid = json_object_get(root, "sessionId");
        PcCdpMessage m = {.root = root, .id = -1};
        if (sid && !json_is_string(sid))
                goto bad;
        m.session_id = json_string_value(sid);
        if (id) {
                if (!json_is_integer(id) || json_integer_value(id) < 0)
                        goto bad;
                m.id = json_integer_value(id);
                json_t *res = json_object_get(root, "result");
                json_t *err = json_object_get(root, "error");
                if (err) {
                        if (!json_is_object(err))
                                goto bad;
                        const char *msg = json_string_value(json_object_get(err, "message"));
                        m.error = msg ? msg : "unknown CDP error";
                } else if (res && json_is_object(res)) {
                        m.result = res;
                } else {
                        goto bad;
                }
        } else {
                if (!json_is_string(method))
                        goto bad;
                m.method = json_string_value(method);
                json_t *params = json_object_get(root, "params");
                if (params && !json_is_object(params))
                        goto bad;
                if (!params) {
                        params = json_object();
                        json_object_set_new(root, "params", params);
                }
                m.params = params;
        }
        *ret = m;
        return 0;
bad:
        json_decref(root);
        return pc_error_set(reterr, -EBADMSG,
                            "CDP message has neither a valid response (id, result|error) nor a "
                            "valid event (method, params)");
}

PcCdp *pc_cdp_new(int read_fd, int write_fd, PcCdpEventFn on_event, void *userdata)
{
        PcCdp *c = xcalloc(1, sizeof(*c));
        c->rfd = read_fd;
        c->wfd = write_fd;
        c->next_id = 1;
        pc_buf_init(&c->in);
        c->on_event = on_event;
        c->userdata = userdata;
        (void) fcntl(read_fd, F_SETFL, fcntl(read_fd, F_GETFL) | O_NONBLOCK);
        if (write_fd != read_fd)
                (void) fcntl(write_fd, F_SETFL, fcntl(write_fd, F_GETFL) | O_NONBLOCK);
        return c;
}

void pc_cdp_free(PcCdp *c)
{
        if (!c)
                return;
        if (c->rfd >= 0)
                close(c->rfd);
        if (c->wfd >= 0 && c->wfd != c->rfd)
                close(c->wfd);
        pc_buf_release(&c->in);
        free(c->want_method);
        free(c->want_session);
        free(c);
}

bool pc_cdp_alive(const PcCdp *c)
{
        return c && !c->dead;
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
        int64_t d = deadline - now_ms();
        return d < 0 ? 0 : d > 60 * 60 * 1000 ? 60 * 60 * 1000 : (int) d;
}

static int write_all(PcCdp *c, const char *data, size_t len, int64_t deadline, PcError *reterr)
{
        while (len > 0) {
                ssize_t n = send(c->wfd, data, len, MSG_NOSIGNAL);
                if (n < 0 && errno == ENOTSOCK)
                        n = write(c->wfd, data, len);
                if (n > 0) {
                        data += n;
                        len -= (size_t) n;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN) {
                        /* Keep reading meanwhile: a browser (or the exec relaying for it) may
                         * only take our command once its own output has gone somewhere. */
                        struct pollfd p[2] = {{.fd = c->wfd, .events = POLLOUT},
                                              {.fd = c->rfd, .events = POLLIN}};
                        int t = left_ms(deadline);
                        if (t == 0 || poll(p, 2, t) == 0)
                                return pc_error_set(reterr, -ETIMEDOUT,
                                                    "the browser does not read its commands");
                        if ((p[1].revents & POLLIN) && c->in.len <= PC_CDP_MESSAGE_MAX) {
                                pc_buf_grow(&c->in, 64 * 1024);
                                ssize_t k = read(c->rfd, c->in.buf + c->in.len,
                                                 c->in.alloc - c->in.len - 1);
                                if (k > 0) {
                                        c->in.len += (size_t) k;
                                        c->in.buf[c->in.len] = '\0';
                                }
                        }
                        continue;
                }
                c->dead = true;
                return pc_error_set(reterr, -EPIPE, "the browser has exited");
        }
        return 0;
}

static void dispatch(PcCdp *c, const PcCdpMessage *m)
{
        if (c->want_method && !c->seen && streq(m->method, c->want_method) &&
            streq_ptr(m->session_id, c->want_session))
                c->seen = true;
        if (c->on_event)
                c->on_event(c->userdata, m);
}

/* Reads until one complete message is available or the deadline passes (deadline 0: do not
 * wait). Returns 1 with *ret filled, 0 on timeout, or a negative errno. */
static int read_message(PcCdp *c, int64_t deadline, PcCdpMessage *ret, PcError *reterr)
{
        for (;;) {
                char *nul = c->in.len > c->scan
                                    ? memchr(c->in.buf + c->scan, '\0', c->in.len - c->scan)
                                    : NULL;
                if (nul) {
                        size_t n = (size_t) (nul - c->in.buf);
                        int r = pc_cdp_message_parse(c->in.buf, n, ret, reterr);
                        memmove(c->in.buf, nul + 1, c->in.len - n - 1);
                        pc_buf_setlen(&c->in, c->in.len - n - 1);
                        c->scan = 0;
                        if (c->in.len == 0 && c->in.alloc > 4u * 1024u * 1024u) {
                                /* do not keep a screenshot's worth of buffer per browser */
                                pc_buf_release(&c->in);
                                pc_buf_init(&c->in);
                        }
                        if (r < 0) {
                                c->dead = true;
                                return pc_error_prefix(reterr, "browser protocol error: ");
                        }
                        return 1;
                }
                c->scan = c->in.len;
                if (c->in.len > PC_CDP_MESSAGE_MAX) {
                        c->dead = true;
                        return pc_error_set(reterr, -E2BIG,
                                            "the browser sent a message larger than %u bytes",
                                            PC_CDP_MESSAGE_MAX);
                }
                if (c->dead)
                        return pc_error_set(reterr, -EPIPE, "the browser has exited");
                pc_buf_grow(&c->in, 256 * 1024);
                ssize_t n = read(c->rfd, c->in.buf + c->in.len, c->in.alloc - c->in.len - 1);
                if (n > 0) {
                        c->in.len += (size_t) n;
                        c->in.buf[c->in.len] = '\0';
                        continue;
                }
                if (n == 0) {
                        c->dead = true;
                        return pc_error_set(reterr, -EPIPE, "the browser has exited");
                }
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN) {
                        c->dead = true;
                        return pc_error_set(reterr, -errno, "reading from the browser: %s",
                                            strerror(errno));
                }
                int t = deadline ? left_ms(deadline) : 0;
                if (t == 0)
                        return 0;
                struct pollfd p = {.fd = c->rfd, .events = POLLIN};
                if (poll(&p, 1, t) == 0)
                        return 0;
        }
}

int pc_cdp_call(PcCdp *c, const char *session_id, const char *method, json_t *params,
                int timeout_ms, json_t **ret_result, PcError *reterr)
{
        if (!params)
                params = json_object();
        if (c->dead) {
                json_decref(params);
                return pc_error_set(reterr, -EPIPE, "the browser has exited");
        }
        int64_t id = c->next_id++;
        json_t *msg = json_pack("{s:I,s:s,s:o}", "id", (json_int_t) id, "method", method, "params",
                                params);
        if (session_id)
                json_object_set_new(msg, "sessionId", json_string(session_id));
        char *text = json_dumps(msg, JSON_COMPACT);
        json_decref(msg);
        int64_t deadline = now_ms() + timeout_ms;
        int r = write_all(c, text, strlen(text) + 1, deadline, reterr);
        free(text);
        if (r < 0)
                return r;
        for (;;) {
                PcCdpMessage m;
                r = read_message(c, deadline, &m, reterr);
                if (r < 0)
                        return r;
                if (r == 0)
                        return pc_error_set(reterr, -ETIMEDOUT,
                                            "the browser did not answer %s within %d ms", method,
                                            timeout_ms);
                if (m.id < 0) {
                        dispatch(c, &m);
                        pc_cdp_message_release(&m);
                        continue;
                }
                if (m.id != id) {
                        /* the late answer of a command that timed out earlier */
                        pc_cdp_message_release(&m);
                        continue;
                }
                if (m.error) {
                        r = pc_error_set(reterr, -EIO, "%s: %s", method, m.error);
                        pc_cdp_message_release(&m);
                        return r;
                }
                if (ret_result)
                        *ret_result = json_incref(m.result);
                pc_cdp_message_release(&m);
                return 0;
        }
}

void pc_cdp_expect(PcCdp *c, const char *session_id, const char *method)
{
        free(c->want_method);
        free(c->want_session);
        c->want_method = xstrdup(method);
        c->want_session = session_id ? xstrdup(session_id) : NULL;
        c->seen = false;
}

int pc_cdp_wait(PcCdp *c, int timeout_ms, PcError *reterr)
{
        int64_t deadline = now_ms() + timeout_ms;
        while (c->want_method && !c->seen) {
                PcCdpMessage m;
                int r = read_message(c, deadline, &m, reterr);
                if (r < 0)
                        return r;
                if (r == 0)
                        return pc_error_set(reterr, -ETIMEDOUT, "no %s within %d ms",
                                            c->want_method, timeout_ms);
                if (m.id < 0)
                        dispatch(c, &m);
                pc_cdp_message_release(&m);
        }
        return 0;
}

void pc_cdp_drain(PcCdp *c)
{
        PcError err = PC_ERROR_INIT;
        PcCdpMessage m;
        /* bounded: a page that logs without end must not keep us here */
        int64_t until = now_ms() + PC_CDP_DRAIN_MS;
        while (!c->dead && now_ms() < until && read_message(c, 0, &m, &err) > 0) {
                if (m.id < 0)
                        dispatch(c, &m);
                pc_cdp_message_release(&m);
        }
}
