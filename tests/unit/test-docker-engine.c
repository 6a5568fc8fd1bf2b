/* SPDX-License-Identifier: MIT */
/*
 * The Docker Engine client against a fake engine: a thread serving a unix socket in a temp
 * dir, replying to each connection with a scripted step (canned bytes, a stall, an upgraded
 * echo). Covers framing (Content-Length, chunked, close-delimited), limits, errors, version
 * negotiation, the exec stream (plain and upgraded), demultiplexing, caps and the timeout
 * kill; plus the parsers directly.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "test-util.h"

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/docker/engine-internal.h"
#include "sandbox/docker/engine.h"

/* ---- The fake engine ------------------------------------------------------------------------ */

typedef enum FakeMode {
        F_REPLY, /* send the reply, close */
        F_DRIP,  /* send the reply one byte at a time, close */
        F_STALL, /* send the reply, then wait until the client closes */
        F_ECHO,  /* send the reply (a 101 head), echo stdin as stdout frames until EOF, close */
} FakeMode;

#define MAX_STEPS 32

typedef struct FakeStep {
        FakeMode mode;
        char *expect; /* prefix of the request line, or NULL */
        char *reply;
        size_t reply_len;
} FakeStep;

typedef struct Fake {
        char dir[64];
        char sock[128];
        char host[160];
        int lfd;
        pthread_t thread;
        FakeStep steps[MAX_STEPS];
        size_t n_steps;
        char *reqs[MAX_STEPS]; /* each request's head and body */
        size_t n_reqs;
        char failure[512];
} Fake;

_printf_(2, 3) static void fake_fail(Fake *f, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        if (!f->failure[0])
                vsnprintf(f->failure, sizeof(f->failure), fmt, ap);
        va_end(ap);
}

static void add_step(Fake *f, FakeMode mode, const char *expect, char *reply, size_t len)
{
        assert_true(f->n_steps < MAX_STEPS);
        f->steps[f->n_steps++] = (FakeStep){
                .mode = mode,
                .expect = expect ? xstrdup(expect) : NULL,
                .reply = reply,
                .reply_len = len ? len : strlen(reply),
        };
}

/* A reply with a Content-Length body. */
static char *http(int status, const char *headers, const char *body)
{
        return xasprintf("HTTP/1.1 %d Whatever\r\n%sContent-Length: %zu\r\n\r\n%s", status,
                         headers ? headers : "", strlen(body), body);
}

static char *json_reply(int status, const char *body)
{
        return http(status, "Content-Type: application/json\r\nApi-Version: 1.41\r\n", body);
}

static void frame(PcBuf *b, int type, const char *data, size_t n)
{
        unsigned char h[8] = {(unsigned char) type,
                              0,
                              0,
                              0,
                              (unsigned char) (n >> 24),
                              (unsigned char) (n >> 16),
                              (unsigned char) (n >> 8),
                              (unsigned char) n};
        pc_buf_add(b, h, 8);
        pc_buf_add(b, data, n);
}

static void send_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k <= 0)
                        return; /* the client went away: fine, it may have given up on purpose */
                p += k;
                n -= (size_t) k;
        }
}

/* Reads one request (head + Content-Length body). */
static char *read_request(int fd)
{
        PcBuf b = PC_BUF_INIT;
        char c[4096];
        size_t need = SIZE_MAX;
        while (b.len < need) {
                ssize_t n = recv(fd, c, sizeof(c), 0);
                if (n <= 0)
                        break;
                pc_buf_add(&b, c, (size_t) n);
                char *end = strstr(b.buf, "\r\n\r\n");
                if (end && need == SIZE_MAX) {
                        const char *cl = strcasestr(b.buf, "Content-Length:");
                        size_t body = cl && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
                        need = (size_t) (end + 4 - b.buf) + body;
                }
        }
        return pc_buf_detach(&b);
}

static void serve_echo(int fd)
{
        char buf[65536];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n <= 0)
                        return;
                PcBuf out = PC_BUF_INIT;
                frame(&out, 1, buf, (size_t) n);
                send_all(fd, out.buf, out.len);
                pc_buf_release(&out);
        }
}

static void *fake_main(void *userdata)
{
        Fake *f = userdata;
        for (size_t i = 0; i < f->n_steps; i++) {
                struct pollfd pfd = {.fd = f->lfd, .events = POLLIN};
                if (poll(&pfd, 1, 10000) <= 0) {
                        fake_fail(f, "fake engine: no connection for step %s", "(timeout)");
                        return NULL;
                }
                int fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
                if (fd < 0)
                        return NULL;
                struct timeval tv = {.tv_sec = 10};
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                FakeStep *s = &f->steps[i];
                char *req = read_request(fd);
                f->reqs[f->n_reqs++] = req;
                if (s->expect && !startswith(req, s->expect))
                        fake_fail(f, "fake engine: unexpected request: %.200s", req);
                switch (s->mode) {
                case F_REPLY:
                        send_all(fd, s->reply, s->reply_len);
                        break;
                case F_DRIP:
                        for (size_t k = 0; k < s->reply_len; k++)
                                send_all(fd, s->reply + k, 1);
                        break;
                case F_STALL: {
                        send_all(fd, s->reply, s->reply_len);
                        char c;
                        while (recv(fd, &c, 1, 0) > 0)
                                ;
                        break;
                }
                case F_ECHO:
                        send_all(fd, s->reply, s->reply_len);
                        serve_echo(fd);
                        break;
                }
                close(fd);
        }
        return NULL;
}

static void fake_init(Fake *f)
{
        memset(f, 0, sizeof(*f));
        strcpy(f->dir, "/tmp/pincer-docker-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
        snprintf(f->host, sizeof(f->host), "unix://%s", f->sock);
        f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->lfd >= 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, f->sock);
        assert_int_equal(bind(f->lfd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->lfd, 16), 0);
}

/* The two requests pc_engine_open() makes. */
static void add_open_steps(Fake *f, const char *api, const char *min_api)
{
        add_step(f, F_REPLY, "GET /_ping HTTP/1.1",
                 http(200, "Api-Version: 1.41\r\nContent-Type: text/plain\r\n", "OK"), 0);
        char *v = xasprintf("{\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\":\"%s\","
                            "\"MinAPIVersion\":\"%s\",\"Os\":\"linux\"}",
                            api, min_api);
        add_step(f, F_REPLY, "GET /version HTTP/1.1", json_reply(200, v), 0);
        free(v);
}

static void fake_start(Fake *f)
{
        assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

/* Joins the server and checks it saw what it expected. */
static void fake_finish(Fake *f)
{
        shutdown(f->lfd, SHUT_RDWR);
        pthread_join(f->thread, NULL);
        close(f->lfd);
        unlink(f->sock);
        rmdir(f->dir);
        for (size_t i = 0; i < f->n_steps; i++) {
                free(f->steps[i].expect);
                free(f->steps[i].reply);
        }
        if (f->failure[0])
                fail_msg("%s", f->failure);
}

static void fake_free_reqs(Fake *f)
{
        for (size_t i = 0; i < f->n_reqs; i++)
                free(f->reqs[i]);
        f->n_reqs = 0;
}

static PcEngine *fake_open(Fake *f)
{
        PcError err = PC_ERROR_INIT;
        PcEngine *e = NULL;
        int r = pc_engine_open(f->host, &e, &err);
        if (r < 0)
                fail_msg("open: %s", err.msg);
        pc_engine_set_timeout(e, 3000);
        return e;
}

/* ---- Opening ------------------------------------------------------------------------------ */

static void test_parse_host(void **state)
{
        PcEngineAddr a;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc__engine_parse_host("unix:///var/run/docker.sock", &a, &err), 0);
        assert_int_equal(a.transport, PC_ENGINE_UNIX);
        assert_string_equal(a.path, "/var/run/docker.sock");
        assert_int_equal(pc__engine_parse_host("tcp://127.0.0.1:2376", &a, &err), 0);
        assert_int_equal(a.transport, PC_ENGINE_TCP);
        assert_string_equal(a.host, "127.0.0.1");
        assert_string_equal(a.port, "2376");
        assert_int_equal(pc__engine_parse_host("tcp://docker.local", &a, &err), 0);
        assert_string_equal(a.port, "2375");
        assert_int_equal(pc__engine_parse_host("tcp://[::1]:99/", &a, &err), 0);
        assert_string_equal(a.host, "::1");
        assert_string_equal(a.port, "99");

        const char *bad[] = {"unix://relative",      "tcp://",        "tcp://h:0",
                             "tcp://h:99999",        "tcp://h:12x",   "tcp://[::1",
                             "tcp://h/path",         "ssh://me@host", "npipe:////./pipe",
                             "/var/run/docker.sock", "tcp://a b:1",   "https://h:2376"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = (PcError) PC_ERROR_INIT;
                assert_int_equal(pc__engine_parse_host(bad[i], &a, &err), -EINVAL);
                assert_int_equal(err.kind, PC_ERROR_INVALID_ARGUMENT);
                assert_non_null(strstr(err.msg, bad[i]));
        }
        char longpath[200];
        snprintf(longpath, sizeof(longpath), "unix:///%0150d", 0);
        assert_int_equal(pc__engine_parse_host(longpath, &a, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "longer than"));
}

static void test_open_absent(void **state)
{
        char dir[] = "/tmp/pincer-docker-XXXXXX";
        assert_non_null(mkdtemp(dir));
        _cleanup_free_ char *host = xasprintf("unix://%s/none.sock", dir);
        PcError err = PC_ERROR_INIT;
        PcEngine *e = NULL;
        assert_int_equal(pc_engine_open(host, &e, &err), -ENOENT);
        assert_null(e);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        _cleanup_free_ char *want =
                xasprintf("Docker engine unavailable at %s: No such file or directory", host);
        assert_non_null(strstr(err.msg, want));
        assert_non_null(strstr(err.msg, "scripts/docker-env.sh"));

        /* A socket nobody listens on: refused. */
        _cleanup_free_ char *path = xasprintf("%s/dead.sock", dir);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, path);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        close(fd);
        _cleanup_free_ char *host2 = xasprintf("unix://%s", path);
        assert_int_equal(pc_engine_open(host2, &e, &err), -ECONNREFUSED);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_non_null(strstr(err.msg, "Connection refused"));
        unlink(path);
        rmdir(dir);

        /* DOCKER_HOST is used when no host is given; TLS is refused. */
        setenv("DOCKER_HOST", "tcp://127.0.0.1:1", 1);
        setenv("DOCKER_TLS_VERIFY", "1", 1);
        assert_int_equal(pc_engine_open(NULL, &e, &err), -EPROTONOSUPPORT);
        assert_non_null(strstr(err.msg, "DOCKER_TLS_VERIFY"));
        unsetenv("DOCKER_TLS_VERIFY");
        assert_int_equal(pc_engine_open(NULL, &e, &err), -ECONNREFUSED);
        assert_non_null(strstr(err.msg, "tcp://127.0.0.1:1"));
        unsetenv("DOCKER_HOST");
}

static void test_open_negotiates(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.43", "1.12");
        add_step(&f, F_REPLY, "GET /v1.41/_ping HTTP/1.1", http(200, NULL, "OK"), 0);
        fake_start(&f);
        PcEngine *e = fake_open(&f);
        assert_string_equal(pc_engine_api_version(e), "1.41");
        assert_string_equal(pc_engine_server_version(e), "20.10.24+dfsg1");
        assert_string_equal(pc_engine_address(e), f.host);
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_engine_ping(e, &err), 0);
        pc_engine_free(e);
        fake_finish(&f);
        /* Requests carry Host, a user agent and ask for the connection to close. */
        assert_non_null(strstr(f.reqs[0], "\r\nHost: docker\r\n"));
        assert_non_null(strstr(f.reqs[0], "\r\nConnection: close\r\n"));
        fake_free_reqs(&f);

        /* An engine at 1.40 is spoken to at 1.40. */
        fake_init(&f);
        add_open_steps(&f, "1.40", "1.12");
        fake_start(&f);
        e = fake_open(&f);
        assert_string_equal(pc_engine_api_version(e), "1.40");
        pc_engine_free(e);
        fake_finish(&f);
        fake_free_reqs(&f);
}

static void test_open_refuses_old_engine(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.39", "1.12");
        fake_start(&f);
        PcError err = PC_ERROR_INIT;
        PcEngine *e = NULL;
        assert_int_equal(pc_engine_open(f.host, &e, &err), -EPROTONOSUPPORT);
        fake_finish(&f);
        fake_free_reqs(&f);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_non_null(strstr(err.msg, "speaks API 1.39 (Docker 20.10.24+dfsg1)"));
        assert_non_null(strstr(err.msg, "needs API 1.40 or newer"));

        /* An engine that no longer speaks 1.41. */
        fake_init(&f);
        add_open_steps(&f, "1.50", "1.44");
        fake_start(&f);
        assert_int_equal(pc_engine_open(f.host, &e, &err), -EPROTONOSUPPORT);
        fake_finish(&f);
        fake_free_reqs(&f);
        assert_non_null(strstr(err.msg, "needs API 1.44 or newer; Pincer speaks API 1.41"));
}

/* ---- Framing, limits and errors ------------------------------------------------------------- */

/* Opens an engine, runs GET /x against one reply step, returns the result. */
static int one_request(FakeMode mode, char *reply, size_t len, PcEngineResponse *resp, PcError *err)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, mode, "GET /v1.41/x HTTP/1.1", reply, len);
        fake_start(&f);
        PcEngine *e = fake_open(&f);
        pc_engine_set_timeout(e, 500);
        int r = pc_engine_request(e, "GET", "/x", NULL, resp, err);
        pc_engine_free(e);
        fake_finish(&f);
        fake_free_reqs(&f);
        return r;
}

static void test_content_length(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(one_request(F_DRIP, json_reply(200, "{\"Id\":\"abc\"}"), 0, &r, &err), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(json_string_value(json_object_get(r.json, "Id")), "abc");
        assert_string_equal(r.body.buf, "{\"Id\":\"abc\"}");
        pc_engine_response_release(&r);
}

static void test_chunked(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        char *reply = xstrdup("HTTP/1.1 200 OK\r\n"
                              "Content-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "5;ext=1\r\n[1, 2\r\n"
                              "A\r\n, 3, 4, 5]\r\n"
                              "0\r\nX-Trailer: yes\r\n\r\n");
        assert_int_equal(one_request(F_DRIP, reply, 0, &r, &err), 0);
        assert_string_equal(r.body.buf, "[1, 2, 3, 4, 5]");
        assert_int_equal(json_array_size(r.json), 5);
        pc_engine_response_release(&r);
}

static void test_close_delimited(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        char *reply = xstrdup("HTTP/1.0 200 OK\nContent-Type: text/plain\n\nhello\nworld");
        assert_int_equal(one_request(F_REPLY, reply, 0, &r, &err), 0);
        assert_string_equal(r.body.buf, "hello\nworld");
        assert_null(r.json);
        pc_engine_response_release(&r);

        /* 204 has no body even without a length. */
        assert_int_equal(
                one_request(F_STALL, xstrdup("HTTP/1.1 204 No Content\r\n\r\n"), 0, &r, &err), 0);
        assert_int_equal(r.status, 204);
        assert_int_equal(r.body.len, 0);
        pc_engine_response_release(&r);
}

static void test_error_bodies(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(one_request(F_REPLY,
                                     json_reply(404, "{\"message\":\"No such container: nope\"}"),
                                     0, &r, &err),
                         -ENOENT);
        assert_int_equal(r.status, 404);
        assert_int_equal(err.kind, PC_ERROR_NOT_FOUND);
        assert_string_equal(err.msg,
                            "Docker engine: No such container: nope (HTTP 404 from GET /x)");
        pc_engine_response_release(&r);

        assert_int_equal(one_request(F_REPLY,
                                     json_reply(409, "{\"message\":\"Conflict. The container "
                                                     "name \\\"/a\\\" is already in use\"}"),
                                     0, &r, &err),
                         -EBUSY);
        assert_int_equal(err.kind, PC_ERROR_CONFLICT);
        assert_non_null(strstr(err.msg, "is already in use"));
        pc_engine_response_release(&r);

        /* Not JSON: the text is quoted with its control characters escaped. */
        assert_int_equal(one_request(F_REPLY, http(500, NULL, "boom\x1b[31m\nmore\n"), 0, &r, &err),
                         -EIO);
        assert_int_equal(err.kind, PC_ERROR_INTERNAL);
        assert_string_equal(err.msg, "Docker engine: boom\\x1b[31m\\nmore (HTTP 500 from GET /x)");
        pc_engine_response_release(&r);

        assert_int_equal(one_request(F_REPLY, http(400, NULL, ""), 0, &r, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "no message"));
        assert_int_equal(err.kind, PC_ERROR_INVALID_ARGUMENT);
        pc_engine_response_release(&r);
}

static void test_oversized(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        /* Announced too large: refused before reading. */
        char *reply =
                xasprintf("HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n{", PC_ENGINE_MAX_BODY + 1);
        assert_int_equal(one_request(F_REPLY, reply, 0, &r, &err), -E2BIG);
        assert_int_equal(err.kind, PC_ERROR_INTERNAL);
        assert_non_null(strstr(err.msg, "exceeds the limit of 16777216 bytes"));
        pc_engine_response_release(&r);

        /* Close-delimited and too large: cut off at the limit. */
        static const char head[] = "HTTP/1.1 200 OK\r\n\r\n";
        size_t len = strlen(head) + PC_ENGINE_MAX_BODY + 100;
        char *big = xmalloc(len + 1);
        memset(big, 'x', len);
        memcpy(big, head, strlen(head));
        big[len] = '\0';
        assert_int_equal(one_request(F_REPLY, big, len, &r, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "exceeds the limit"));
        pc_engine_response_release(&r);

        /* Too many headers, and a head too long. */
        PcBuf h = PC_BUF_INIT;
        pc_buf_addstr(&h, "HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < PC_HTTP_MAX_HEADERS + 1; i++)
                pc_buf_addf(&h, "X-H%d: v\r\n", i);
        pc_buf_addstr(&h, "\r\n");
        assert_int_equal(one_request(F_REPLY, pc_buf_detach(&h), 0, &r, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "more than 100 header lines"));
        pc_engine_response_release(&r);

        pc_buf_addstr(&h, "HTTP/1.1 200 OK\r\nX-Big: ");
        for (int i = 0; i < PC_HTTP_MAX_HEAD; i++)
                pc_buf_addch(&h, 'a');
        pc_buf_addstr(&h, "\r\n\r\n");
        assert_int_equal(one_request(F_REPLY, pc_buf_detach(&h), 0, &r, &err), -E2BIG);
        assert_non_null(strstr(err.msg, "response head exceeds 65536 bytes"));
        pc_engine_response_release(&r);
}

static void test_garbage_and_truncation(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(one_request(F_REPLY, xstrdup("SSH-2.0-OpenSSH_9.2\r\n\r\n"), 0, &r, &err),
                         -EBADMSG);
        assert_int_equal(err.kind, PC_ERROR_INTERNAL);
        assert_non_null(strstr(err.msg, "bad reply to GET /x: not an HTTP/1.x status line"));
        pc_engine_response_release(&r);

        assert_int_equal(one_request(F_REPLY,
                                     xstrdup("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123"),
                                     0, &r, &err),
                         -EBADMSG);
        assert_non_null(strstr(err.msg, "closed after 4 of 100 body bytes"));
        pc_engine_response_release(&r);

        assert_int_equal(one_request(F_REPLY, xstrdup(""), 1, &r, &err), -EBADMSG);
        /* no reply at all: the engine went away (503 to the client), not a bad reply */
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_non_null(strstr(err.msg, "closed the connection without answering"));
        pc_engine_response_release(&r);

        assert_int_equal(one_request(F_REPLY,
                                     xstrdup("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                             "zz\r\n"),
                                     0, &r, &err),
                         -EBADMSG);
        assert_non_null(strstr(err.msg, "malformed chunk size"));
        pc_engine_response_release(&r);
}

static void test_timeout(void **state)
{
        PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        PcError err = PC_ERROR_INIT;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* Half a head, then silence. */
        assert_int_equal(one_request(F_STALL, xstrdup("HTTP/1.1 200 OK\r\nContent-"), 0, &r, &err),
                         -ETIMEDOUT);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        assert_true(ms >= 450 && ms < 3000);
        assert_int_equal(err.kind, PC_ERROR_UNAVAILABLE);
        assert_non_null(strstr(err.msg, "did not answer GET /x in time"));
        pc_engine_response_release(&r);
}

/* ---- Wrappers ------------------------------------------------------------------------------- */

static void test_wrappers(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, F_REPLY, "POST /v1.41/containers/create?name=pincer-t1 HTTP/1.1",
                 json_reply(201, "{\"Id\":\"c0ffee\",\"Warnings\":[]}"), 0);
        add_step(&f, F_REPLY, "POST /v1.41/containers/c0ffee/start HTTP/1.1",
                 xstrdup("HTTP/1.1 204 No Content\r\n\r\n"), 0);
        add_step(&f, F_REPLY, "POST /v1.41/containers/c0ffee/start HTTP/1.1",
                 xstrdup("HTTP/1.1 304 Not Modified\r\n\r\n"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/containers/c0ffee/json HTTP/1.1",
                 json_reply(200, "{\"Id\":\"c0ffee\",\"State\":{\"Running\":true}}"), 0);
        add_step(&f, F_REPLY,
                 "GET /v1.41/containers/json?all=1&filters="
                 "%7B%22label%22%3A%5B%22pincer.test%3D1%22%5D%7D HTTP/1.1",
                 json_reply(200, "[{\"Id\":\"c0ffee\"}]"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/images/openclaw-sandbox:bookworm-slim/json HTTP/1.1",
                 json_reply(200, "{\"Id\":\"sha256:1\"}"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/images/nope:1/json HTTP/1.1",
                 json_reply(404, "{\"message\":\"No such image: nope:1\"}"), 0);
        add_step(&f, F_REPLY,
                 "POST /v1.41/commit?container=c0ffee&repo=localhost%3A5000%2Fsnap&tag=v1 "
                 "HTTP/1.1",
                 json_reply(201, "{\"Id\":\"sha256:2\"}"), 0);
        add_step(&f, F_REPLY, "DELETE /v1.41/images/localhost:5000/snap:v1?force=1 HTTP/1.1",
                 json_reply(200, "[{\"Untagged\":\"localhost:5000/snap:v1\"}]"), 0);
        add_step(&f, F_REPLY, "DELETE /v1.41/containers/c0ffee?force=1&v=1 HTTP/1.1",
                 xstrdup("HTTP/1.1 204 No Content\r\n\r\n"), 0);
        add_step(&f, F_REPLY, "DELETE /v1.41/containers/c0ffee?force=1&v=1 HTTP/1.1",
                 json_reply(404, "{\"message\":\"No such container: c0ffee\"}"), 0);
        fake_start(&f);

        PcEngine *e = fake_open(&f);
        PcError err = PC_ERROR_INIT;
        json_t *config = json_pack("{s:s,s:{s:s}}", "Image", "openclaw-sandbox:bookworm-slim",
                                   "Labels", "pincer.test", "1");
        _cleanup_free_ char *id = NULL;
        assert_int_equal(pc_engine_container_create(e, "pincer-t1", config, &id, &err), 0);
        assert_string_equal(id, "c0ffee");
        json_decref(config);
        assert_int_equal(pc_engine_container_start(e, id, &err), 0);
        assert_int_equal(pc_engine_container_start(e, id, &err), 0);
        json_t *j = NULL;
        assert_int_equal(pc_engine_container_inspect(e, id, &j, &err), 0);
        assert_true(json_is_true(json_object_get(json_object_get(j, "State"), "Running")));
        json_decref(j);
        assert_int_equal(pc_engine_container_list(e, "pincer.test=1", &j, &err), 0);
        assert_int_equal(json_array_size(j), 1);
        json_decref(j);
        assert_int_equal(pc_engine_image_inspect(e, "openclaw-sandbox:bookworm-slim", NULL, &err),
                         0);
        assert_int_equal(pc_engine_image_inspect(e, "nope:1", NULL, &err), -ENOENT);
        assert_int_equal(err.kind, PC_ERROR_NOT_FOUND);
        _cleanup_free_ char *image = NULL;
        assert_int_equal(pc_engine_commit(e, id, "localhost:5000/snap:v1", NULL, &image, &err), 0);
        assert_string_equal(image, "sha256:2");
        assert_int_equal(pc_engine_image_remove(e, "localhost:5000/snap:v1", true, &err), 0);
        assert_int_equal(pc_engine_container_remove(e, id, &err), 0);
        assert_int_equal(pc_engine_container_remove(e, id, &err), -ENOENT);

        /* Names that could escape the path are refused before any request. */
        assert_int_equal(pc_engine_container_start(e, "../../images/x", &err), -EINVAL);
        assert_int_equal(pc_engine_container_inspect(e, "a b", &j, &err), -EINVAL);
        assert_int_equal(pc_engine_image_remove(e, "x?force=1", false, &err), -EINVAL);
        assert_int_equal(pc_engine_commit(e, id, "img@sha256:00", NULL, NULL, &err), -EINVAL);
        PcEngineResponse resp;
        assert_int_equal(pc_engine_request(e, "GET", "/x\r\nEvil: 1", NULL, &resp, &err), -EINVAL);
        pc_engine_response_release(&resp);
        pc_engine_free(e);
        fake_finish(&f);

        /* The create body is the config, as JSON. */
        assert_non_null(strstr(f.reqs[2], "Content-Type: application/json\r\n"));
        assert_non_null(strstr(f.reqs[2], "\"Labels\":{\"pincer.test\":\"1\"}"));
        assert_non_null(strstr(f.reqs[3], "Content-Length: 0\r\n"));
        fake_free_reqs(&f);
}

/* ---- Exec ----------------------------------------------------------------------------------- */

static char *stream_reply(const char *head, const PcBuf *frames, size_t *len)
{
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, head);
        pc_buf_add(&b, frames->buf, frames->len);
        *len = b.len;
        return pc_buf_detach(&b);
}

#define RAW_200 "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n"
#define RAW_101                                                                                    \
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"             \
        "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n"

/* The tag an exec create request carried. */
static char *tag_of(const char *req)
{
        const char *t = strstr(req, PC_ENGINE_EXEC_TAG_ENV "=");
        assert_non_null(t);
        t += strlen(PC_ENGINE_EXEC_TAG_ENV "=");
        return xstrndup(t, 32);
}

static void test_exec_plain(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec HTTP/1.1",
                 json_reply(201, "{\"Id\":\"e1\"}"), 0);
        PcBuf frames = PC_BUF_INIT;
        frame(&frames, 1, "h", 1);
        frame(&frames, 2, "err\n", 4);
        frame(&frames, 1, "", 0);
        frame(&frames, 1, "i\n", 2);
        size_t len;
        char *reply = stream_reply(RAW_200, &frames, &len);
        add_step(&f, F_DRIP, "POST /v1.41/exec/e1/start HTTP/1.1", reply, len);
        add_step(&f, F_REPLY, "GET /v1.41/exec/e1/json HTTP/1.1",
                 json_reply(200, "{\"Running\":false,\"ExitCode\":3,\"Pid\":4242}"), 0);
        pc_buf_release(&frames);
        fake_start(&f);

        PcEngine *e = fake_open(&f);
        const char *argv[] = {"sh", "-c", "echo hi; echo err >&2; exit 3", NULL};
        const char *env[] = {"LANG=C.UTF-8", NULL};
        PcEngineExecRequest req = {.argv = argv, .env = env, .workdir = "/work", .user = "1000"};
        PcEngineExecResult res;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), 0);
        assert_string_equal(res.out.buf, "hi\n");
        assert_string_equal(res.err.buf, "err\n");
        assert_int_equal(res.exit_code, 3);
        assert_false(res.timed_out);
        assert_false(res.out_truncated);
        assert_string_equal(res.exec_id, "e1");
        pc_engine_exec_result_release(&res);
        pc_engine_free(e);
        fake_finish(&f);

        const char *create = f.reqs[2];
        assert_non_null(strstr(create, "\"AttachStdin\":false"));
        assert_non_null(strstr(create, "\"AttachStdout\":true"));
        assert_non_null(strstr(create, "\"Tty\":false"));
        assert_non_null(
                strstr(create, "\"Cmd\":[\"sh\",\"-c\",\"echo hi; echo err >&2; exit 3\"]"));
        assert_non_null(strstr(create, "\"Env\":[\"LANG=C.UTF-8\",\"PINCER_EXEC_TAG="));
        assert_non_null(strstr(create, "\"WorkingDir\":\"/work\""));
        assert_non_null(strstr(create, "\"User\":\"1000\""));
        assert_null(strstr(f.reqs[3], "Upgrade"));
        assert_non_null(strstr(f.reqs[3], "{\"Detach\":false,\"Tty\":false}"));
        fake_free_reqs(&f);
}

static void test_exec_stdin_upgrade(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec HTTP/1.1",
                 json_reply(201, "{\"Id\":\"e2\"}"), 0);
        add_step(&f, F_ECHO, "POST /v1.41/exec/e2/start HTTP/1.1", xstrdup(RAW_101), 0);
        add_step(&f, F_REPLY, "GET /v1.41/exec/e2/json HTTP/1.1",
                 json_reply(200, "{\"Running\":false,\"ExitCode\":0}"), 0);
        fake_start(&f);

        /* 4 MiB: far more than the socket buffers, so it only completes if reading and
         * writing interleave. */
        size_t n = 4u << 20;
        _cleanup_free_ char *data = xmalloc(n);
        for (size_t i = 0; i < n; i++)
                data[i] = (char) ('a' + i % 26);
        PcEngine *e = fake_open(&f);
        const char *argv[] = {"cat", NULL};
        PcEngineExecRequest req = {.argv = argv,
                                   .stdin_data = data,
                                   .stdin_len = n,
                                   .output_cap = 8u << 20,
                                   .timeout_ms = 10000};
        PcEngineExecResult res;
        PcError err = PC_ERROR_INIT;
        int r = pc_engine_exec(e, "box", &req, &res, &err);
        if (r < 0)
                fail_msg("exec: %s", err.msg);
        assert_int_equal(res.out.len, n);
        assert_memory_equal(res.out.buf, data, n);
        assert_int_equal(res.exit_code, 0);
        pc_engine_exec_result_release(&res);
        pc_engine_free(e);
        fake_finish(&f);
        assert_non_null(strstr(f.reqs[2], "\"AttachStdin\":true"));
        assert_non_null(strstr(f.reqs[3], "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"));
        assert_null(strstr(f.reqs[3], "Connection: close"));
        fake_free_reqs(&f);
}

static void test_exec_caps(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, F_REPLY, NULL, json_reply(201, "{\"Id\":\"e3\"}"), 0);
        PcBuf frames = PC_BUF_INIT;
        char block[1000];
        memset(block, 'o', sizeof(block));
        for (int i = 0; i < 100; i++)
                frame(&frames, 1, block, sizeof(block));
        memset(block, 'e', sizeof(block));
        frame(&frames, 2, block, 999);
        size_t len;
        /* Chunked, for once: the body framing and the stream framing are independent. */
        PcBuf chunked = PC_BUF_INIT;
        pc_buf_addstr(&chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (size_t off = 0; off < frames.len; off += 777) {
                size_t k = frames.len - off < 777 ? frames.len - off : 777;
                pc_buf_addf(&chunked, "%zx\r\n", k);
                pc_buf_add(&chunked, frames.buf + off, k);
                pc_buf_addstr(&chunked, "\r\n");
        }
        pc_buf_addstr(&chunked, "0\r\n\r\n");
        len = chunked.len;
        add_step(&f, F_REPLY, "POST /v1.41/exec/e3/start", pc_buf_detach(&chunked), len);
        add_step(&f, F_REPLY, NULL, json_reply(200, "{\"Running\":false,\"ExitCode\":0}"), 0);
        pc_buf_release(&frames);
        fake_start(&f);

        PcEngine *e = fake_open(&f);
        const char *argv[] = {"yes", NULL};
        PcEngineExecRequest req = {.argv = argv, .output_cap = 1000};
        PcEngineExecResult res;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), 0);
        assert_int_equal(res.out.len, 1000);
        assert_true(res.out_truncated);
        assert_int_equal(res.out_total, 100000);
        assert_int_equal(res.err.len, 999);
        assert_false(res.err_truncated);
        assert_int_equal(res.err_total, 999);
        pc_engine_exec_result_release(&res);
        pc_engine_free(e);
        fake_finish(&f);
        fake_free_reqs(&f);
}

static void test_exec_timeout_kills(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec", json_reply(201, "{\"Id\":\"e4\"}"),
                 0);
        PcBuf frames = PC_BUF_INIT;
        frame(&frames, 1, "partial", 7);
        size_t len;
        char *reply = stream_reply(RAW_200, &frames, &len);
        add_step(&f, F_STALL, "POST /v1.41/exec/e4/start", reply, len);
        pc_buf_reset(&frames);
        /* The kill exec. */
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec", json_reply(201, "{\"Id\":\"k1\"}"),
                 0);
        frame(&frames, 1, "1\n", 2);
        reply = stream_reply(RAW_200, &frames, &len);
        add_step(&f, F_REPLY, "POST /v1.41/exec/k1/start", reply, len);
        add_step(&f, F_REPLY, "GET /v1.41/exec/k1/json",
                 json_reply(200, "{\"Running\":false,\"ExitCode\":0}"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/exec/e4/json",
                 json_reply(200, "{\"Running\":true,\"ExitCode\":null}"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/exec/e4/json",
                 json_reply(200, "{\"Running\":false,\"ExitCode\":137}"), 0);
        pc_buf_release(&frames);
        fake_start(&f);

        PcEngine *e = fake_open(&f);
        const char *argv[] = {"sleep", "30", NULL};
        PcEngineExecRequest req = {.argv = argv, .timeout_ms = 300, .user = "sandbox"};
        PcEngineExecResult res;
        PcError err = PC_ERROR_INIT;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        assert_true(ms >= 300 && ms < 3000);
        assert_true(res.timed_out);
        assert_false(res.still_running);
        assert_int_equal(res.exit_code, 137);
        assert_string_equal(res.out.buf, "partial");
        pc_engine_exec_result_release(&res);
        pc_engine_free(e);
        fake_finish(&f);

        /* The kill runs as the same user, through /bin/sh, with the exec's own tag. */
        _cleanup_free_ char *tag = tag_of(f.reqs[2]);
        const char *kill = f.reqs[4];
        assert_non_null(strstr(kill, "\"Cmd\":[\"/bin/sh\",\"-c\","));
        assert_non_null(strstr(kill, "\"User\":\"sandbox\""));
        _cleanup_free_ char *arg = xasprintf("\"pincer-kill\",\"%s\"]", tag);
        assert_non_null(strstr(kill, arg));
        assert_non_null(strstr(kill, "\"Env\":[]")); /* no tag in its own environment */
        fake_free_reqs(&f);
}

static void test_exec_errors(void **state)
{
        Fake f;
        fake_init(&f);
        add_open_steps(&f, "1.41", "1.12");
        /* The container is not running. */
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec",
                 json_reply(409, "{\"message\":\"Container box is not running\"}"), 0);
        /* A broken stream: the process is killed, then the error is reported. */
        add_step(&f, F_REPLY, NULL, json_reply(201, "{\"Id\":\"e5\"}"), 0);
        add_step(&f, F_REPLY, "POST /v1.41/exec/e5/start",
                 xstrdup(RAW_200 "\x07garbage-not-a-frame"), 0);
        add_step(&f, F_REPLY, "POST /v1.41/containers/box/exec",
                 json_reply(404, "{\"message\":\"gone\"}"), 0);
        add_step(&f, F_REPLY, "GET /v1.41/exec/e5/json",
                 json_reply(200, "{\"Running\":false,\"ExitCode\":1}"), 0);
        /* exec start refused. */
        add_step(&f, F_REPLY, NULL, json_reply(201, "{\"Id\":\"e6\"}"), 0);
        add_step(&f, F_REPLY, "POST /v1.41/exec/e6/start",
                 json_reply(404, "{\"message\":\"No such exec instance: e6\"}"), 0);
        add_step(&f, F_REPLY, NULL, json_reply(404, "{\"message\":\"gone\"}"), 0);
        add_step(&f, F_REPLY, NULL, json_reply(404, "{\"message\":\"gone\"}"), 0);
        fake_start(&f);

        PcEngine *e = fake_open(&f);
        const char *argv[] = {"true", NULL};
        PcEngineExecRequest req = {.argv = argv};
        PcEngineExecResult res;
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), -EBUSY);
        assert_int_equal(err.kind, PC_ERROR_CONFLICT);
        assert_non_null(strstr(err.msg, "Container box is not running"));
        pc_engine_exec_result_release(&res);

        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "malformed stream frame header 07"));
        assert_int_equal(res.exit_code, 1);
        pc_engine_exec_result_release(&res);

        assert_int_equal(pc_engine_exec(e, "box", &req, &res, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "No such exec instance: e6"));
        pc_engine_exec_result_release(&res);

        /* Validation, before any request. */
        const char *empty[] = {NULL};
        const char *bad_env[] = {"NOEQUALS", NULL};
        const char *tag_env[] = {"PINCER_EXEC_TAG=x", NULL};
        const char *bad_utf8[] = {"\xff\xfe", NULL};
        PcEngineExecRequest bad = {.argv = empty};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "argv is empty"));
        bad = (PcEngineExecRequest){.argv = argv, .env = bad_env};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "env[0] is not KEY=value"));
        bad = (PcEngineExecRequest){.argv = argv, .env = tag_env};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "reserved"));
        bad = (PcEngineExecRequest){.argv = bad_utf8};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EILSEQ);
        bad = (PcEngineExecRequest){.argv = argv, .output_cap = PC_ENGINE_EXEC_MAX_OUTPUT + 1};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -E2BIG);
        bad = (PcEngineExecRequest){.argv = argv, .timeout_ms = -1};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EINVAL);
        bad = (PcEngineExecRequest){.argv = argv, .stdin_len = 5};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -EINVAL);
        bad = (PcEngineExecRequest){
                .argv = argv, .stdin_data = "", .stdin_len = PC_ENGINE_EXEC_MAX_STDIN + 1};
        assert_int_equal(pc_engine_exec(e, "box", &bad, &res, &err), -E2BIG);
        assert_int_equal(pc_engine_exec(e, "../x", &req, &res, &err), -EINVAL);
        pc_engine_exec_result_release(&res);
        pc_engine_free(e);
        fake_finish(&f);
        fake_free_reqs(&f);
}

/* ---- The parsers directly ------------------------------------------------------------------- */

static int collect(void *userdata, const char *data, size_t n)
{
        pc_buf_add(userdata, data, n);
        return 0;
}

/* Feeds s in pieces of step bytes; returns the final result. */
static int parse_in_steps(const char *s, size_t len, size_t step, PcBuf *body, PcHttpParser *p)
{
        pc__http_parser_init(p, 1000, collect, body);
        int r = 0;
        for (size_t off = 0; off < len && r == 0; off += step) {
                size_t k = len - off < step ? len - off : step;
                size_t used;
                r = pc__http_parser_feed(p, s + off, k, &used);
        }
        if (r == 0)
                r = pc__http_parser_eof(p);
        return r;
}

static void test_http_parser(void **state)
{
        static const struct {
                const char *in;
                int result;
                int status;
                const char *body; /* or the error text */
        } cases[] = {
                {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 1,
                 200, "ok"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n"
                 "2\r\nab\r\n0\r\n\r\n",
                 1, 200, "ab"},
                {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", 1, 200,
                 "ok"},
                {"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 1, 304, ""},
                {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok", -EBADMSG,
                 200, "conflicting Content-Length"},
                {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", -EBADMSG, 200,
                 "malformed Content-Length"},
                {"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", -E2BIG, 200,
                 "out of range"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", -EBADMSG, 200,
                 "unsupported Transfer-Encoding"},
                {"HTTP/1.1 200 OK\r\n folded\r\n\r\n", -EBADMSG, 200, "folded"},
                {"HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n", -EBADMSG, 200, "malformed header line"},
                {"HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n", -EBADMSG, 200, "control character"},
                {"HTTP/1.1 2000 OK\r\n\r\n", -EBADMSG, 0, "malformed status code"},
                {"HTTP/1.1 099 Low\r\n\r\n", -EBADMSG, 0, "out of range"},
                {"HTTP/2 200\r\n\r\n", -EBADMSG, 0, "not an HTTP/1.x status line"},
                {"\r\n\r\n", -EBADMSG, 0, "empty status line"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "11111111111111111\r\n",
                 -E2BIG, 200, "chunk size out of range"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", -EBADMSG, 200,
                 "missing CRLF after chunk data"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", -E2BIG, 200,
                 "exceeds the limit of 1000"},
                {"HTTP/1.1 200 OK\r\n\r\n0123456789", 1, 200, "0123456789"},
                {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab", -EBADMSG, 200,
                 "closed inside a chunked body"},
                {"HTTP/1.1 200 OK\r\nConte", -EBADMSG, 0, "closed inside the reply's head"},
                {"HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n\x01\x00", 1, 101, ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                /* The result must not depend on how the input is split. */
                for (size_t step = 1; step <= 7; step += 6) {
                        PcBuf body = PC_BUF_INIT;
                        PcHttpParser p;
                        int r = parse_in_steps(cases[i].in, strlen(cases[i].in), step, &body, &p);
                        if (r != cases[i].result)
                                fail_msg("case %zu step %zu: %d (%s)", i, step, r, p.err);
                        if (r > 0) {
                                assert_int_equal(p.status, cases[i].status);
                                assert_string_equal(body.buf, cases[i].body);
                        } else if (!strstr(p.err, cases[i].body)) {
                                fail_msg("case %zu: error '%s' lacks '%s'", i, p.err,
                                         cases[i].body);
                        }
                        pc__http_parser_release(&p);
                        pc_buf_release(&body);
                }
        }

        /* Header lookup is case-insensitive; values are trimmed. */
        const char *s = "HTTP/1.1 200 OK\r\nAPI-Version:  1.41 \r\nContent-Length: 0\r\n\r\n";
        PcHttpParser p;
        pc__http_parser_init(&p, 0, NULL, NULL);
        size_t used;
        assert_int_equal(pc__http_parser_feed(&p, s, strlen(s), &used), 1);
        assert_int_equal(used, strlen(s));
        assert_string_equal(pc__http_parser_header(&p, "api-version"), "1.41");
        assert_null(pc__http_parser_header(&p, "Server"));
        pc__http_parser_release(&p);

        /* After a 101 head, the rest of the input is not consumed. */
        s = "HTTP/1.1 101 UPGRADED\r\n\r\nRAW";
        pc__http_parser_init(&p, 0, NULL, NULL);
        assert_int_equal(pc__http_parser_feed(&p, s, strlen(s), &used), 1);
        assert_int_equal(used, strlen(s) - 3);
        pc__http_parser_release(&p);
}

static void test_mux(void **state)
{
        PcBuf frames = PC_BUF_INIT;
        frame(&frames, 1, "hello ", 6);
        frame(&frames, 2, "oops", 4);
        frame(&frames, 0, "in", 2); /* stdin echo goes to stdout */
        frame(&frames, 1, "world", 5);
        frame(&frames, 3, "engine trouble", 14);

        for (size_t step = 1; step <= frames.len; step++) {
                PcBuf out = PC_BUF_INIT, err = PC_BUF_INIT;
                PcMux m;
                pc__mux_init(&m, &out, &err, 8);
                for (size_t off = 0; off < frames.len; off += step) {
                        size_t k = frames.len - off < step ? frames.len - off : step;
                        assert_int_equal(pc__mux_feed(&m, frames.buf + off, k), 0);
                }
                assert_int_equal(pc__mux_finish(&m), 0);
                assert_string_equal(out.buf, "hello in");
                assert_true(m.truncated[0]);
                assert_int_equal(m.total[0], 13);
                assert_string_equal(err.buf, "oops");
                assert_false(m.truncated[1]);
                assert_string_equal(m.syserr.buf, "engine trouble");
                pc__mux_release(&m);
                pc_buf_release(&out);
                pc_buf_release(&err);
        }

        PcBuf out = PC_BUF_INIT, err = PC_BUF_INIT;
        PcMux m;
        pc__mux_init(&m, &out, &err, 100);
        assert_int_equal(pc__mux_feed(&m, "\x01\x00\x00\x00\x00\x00\x00\x05hel", 11), 0);
        assert_int_equal(pc__mux_finish(&m), -EBADMSG);
        assert_non_null(strstr(m.err, "inside a frame"));
        pc__mux_release(&m);
        pc__mux_init(&m, &out, &err, 100);
        assert_int_equal(pc__mux_feed(&m, "\x01\x00\x01\x00\x00\x00\x00\x05", 8), -EBADMSG);
        assert_non_null(strstr(m.err, "malformed stream frame header 01 00 01 00"));
        pc__mux_release(&m);
        pc_buf_release(&out);
        pc_buf_release(&err);
        pc_buf_release(&frames);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_host),
                cmocka_unit_test(test_open_absent),
                cmocka_unit_test(test_open_negotiates),
                cmocka_unit_test(test_open_refuses_old_engine),
                cmocka_unit_test(test_content_length),
                cmocka_unit_test(test_chunked),
                cmocka_unit_test(test_close_delimited),
                cmocka_unit_test(test_error_bodies),
                cmocka_unit_test(test_oversized),
                cmocka_unit_test(test_garbage_and_truncation),
                cmocka_unit_test(test_timeout),
                cmocka_unit_test(test_wrappers),
                cmocka_unit_test(test_exec_plain),
                cmocka_unit_test(test_exec_stdin_upgrade),
                cmocka_unit_test(test_exec_caps),
                cmocka_unit_test(test_exec_timeout_kills),
                cmocka_unit_test(test_exec_errors),
                cmocka_unit_test(test_http_parser),
                cmocka_unit_test(test_mux),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
