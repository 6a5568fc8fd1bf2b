/* SPDX-License-Identifier: MIT */
/*
 * The Docker Engine client: addresses, connections with deadlines, plain requests, version
 * negotiation. The container/image wrappers live in containers.c, exec in exec.c, the HTTP parser
 * in http.c, the stream demultiplexer in mux.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "engine-internal.h"

#ifndef PINCER_VERSION
#define PINCER_VERSION "0"
#endif

#define OPEN_TIMEOUT_MS 10000 /* /_ping and /version while opening */

struct PcEngine {
        char *address; /* as given, for messages */
        PcEngineAddr addr;
        char api_version[16]; /* negotiated; "" until then (unversioned paths) */
        char server_version[64];
        int timeout_ms;
};

int64_t pc__now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pc__engine_deadline(const PcEngine *e)
{
        return pc__now_ms() + e->timeout_ms;
}

int pc__remaining_ms(int64_t deadline)
{
        int64_t left = deadline - pc__now_ms();
        if (left <= 0)
                return 0;
        return left > INT32_MAX ? INT32_MAX : (int) left;
}

int pc__wait_fd(int fd, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd pfd = {.fd = fd, .events = events};
                int r = poll(&pfd, 1, pc__remaining_ms(deadline));
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                return pfd.revents;
        }
}

/* ---- Addresses ------------------------------------------------------------------------------ */

static bool is_host_char(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               c == '.' || c == '-' || c == '_' || c == ':';
}

static int parse_tcp(const char *s, const char *h, PcEngineAddr *a, PcError *reterr)
{
        const char *host_end, *rest;
        if (h[0] == '[') {
                h++;
                host_end = strchr(h, ']');
                if (!host_end)
                        goto bad;
                rest = host_end + 1;
        } else {
                host_end = h + strcspn(h, ":/");
                rest = host_end;
        }
        size_t hlen = (size_t) (host_end - h);
        if (hlen == 0 || hlen >= sizeof(a->host))
                goto bad;
        for (size_t i = 0; i < hlen; i++)
                if (!is_host_char(h[i]))
                        goto bad;
        memcpy(a->host, h, hlen);
        a->host[hlen] = '\0';

        strcpy(a->port, "2375");
        if (*rest == ':') {
                rest++;
                size_t plen = strspn(rest, "0123456789");
                if (plen == 0 || plen > 5)
                        goto bad;
                unsigned long port = strtoul(rest, NULL, 10);
                if (port == 0 || port > 65535)
                        goto bad;
                snprintf(a->port, sizeof(a->port), "%lu", port);
                rest += plen;
        }
        if (*rest != '\0' && !streq(rest, "/"))
                goto bad;
        a->transport = PC_ENGINE_TCP;
        return 0;
bad:
        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                 "Docker host '%s' is not tcp://host[:port]", s);
}

int pc__engine_parse_host(const char *s, PcEngineAddr *ret, PcError *reterr)
{
        PcEngineAddr a = {0};
        int r;
        if (startswith(s, "unix://")) {
                const char *path = s + strlen("unix://");
                if (path[0] != '/')
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "Docker host '%s': the socket path must be "
                                                 "absolute (unix:///path)",
                                                 s);
                if (strlen(path) >= sizeof(a.path))
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "Docker host '%s': the socket path is longer "
                                                 "than %zu bytes",
                                                 s, sizeof(a.path) - 1);
                a.transport = PC_ENGINE_UNIX;
                strcpy(a.path, path);
        } else if (startswith(s, "tcp://")) {
                r = parse_tcp(s, s + strlen("tcp://"), &a, reterr);
                if (r < 0)
                        return r;
        } else if (strstr(s, "://")) {
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "Docker host '%s': only unix:// and plain tcp:// "
                                         "are supported",
                                         s);
        } else {
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "Docker host '%s' is not unix:///path or "
                                         "tcp://host:port",
                                         s);
        }
        *ret = a;
        return 0;
}

bool pc__engine_name_is_valid(const char *s)
{
        size_t n = strlen(s);
        if (n == 0 || n > 512 || s[0] == '/' || s[0] == '.' || s[0] == '-' || strstr(s, ".."))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@'))
                        return false;
        }
        return true;
}

void pc__url_escape(PcBuf *b, const char *s)
{
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    c == '.' || c == '_' || c == '~' || c == '-')
                        pc_buf_addch(b, (char) c);
                else
                        pc_buf_addf(b, "%%%02X", c);
        }
}

int pc__engine_invalid_name(const char *what, const char *s, PcError *reterr)
{
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        pc_buf_add_escaped(&q, s, 80);
        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL, "invalid %s '%s'",
                                 what, q.buf);
}

/* ---- Connections ---------------------------------------------------------------------------- */

static int connect_addr(int family, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
        _cleanup_close_ int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (connect(fd, sa, len) == 0)
                        return TAKE_FD(fd);
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN && family == AF_UNIX) {
                        /* The listener's backlog is full: try again shortly. */
                        if (pc__remaining_ms(deadline) == 0)
                                return -ETIMEDOUT;
                        (void) poll(NULL, 0, 5);
                        continue;
                }
                if (errno != EINPROGRESS)
                        return -errno;
                break;
        }
        int r = pc__wait_fd(fd, POLLOUT, deadline);
        if (r < 0)
                return r;
        int soerr = 0;
        socklen_t sl = sizeof(soerr);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                return -errno;
        if (soerr != 0)
                return -soerr;
        return TAKE_FD(fd);
}

static int unreachable(PcEngine *e, int r, PcError *reterr)
{
        if (r == -EACCES || r == -EPERM)
                return pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, r,
                                         "Docker engine at %s: permission denied (the user "
                                         "needs access to the socket, e.g. through the 'docker' "
                                         "group)",
                                         e->address);
        if (r == -ETIMEDOUT)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, r,
                                         "Docker engine unavailable at %s: no connection within "
                                         "the timeout (is dockerd hung?)",
                                         e->address);
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, r,
                                 "Docker engine unavailable at %s: %s (start it with "
                                 "scripts/docker-env.sh, or point DOCKER_HOST at a running "
                                 "engine)",
                                 e->address, strerror(-r));
}

int pc__engine_connect(PcEngine *e, int64_t deadline, PcError *reterr)
{
        int r;
        if (e->addr.transport == PC_ENGINE_UNIX) {
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                memcpy(sa.sun_path, e->addr.path, strlen(e->addr.path) + 1); /* fits: parsed */
                r = connect_addr(AF_UNIX, (const struct sockaddr *) &sa, sizeof(sa), deadline);
        } else {
                struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                                         .ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG};
                struct addrinfo *res = NULL;
                int g = getaddrinfo(e->addr.host, e->addr.port, &hints, &res);
                if (g != 0)
                        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EHOSTUNREACH,
                                                 "Docker engine unavailable at %s: %s", e->address,
                                                 gai_strerror(g));
                r = -EHOSTUNREACH;
                for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
                        r = connect_addr(ai->ai_family, ai->ai_addr, ai->ai_addrlen, deadline);
                        if (r >= 0 || r == -ETIMEDOUT)
                                break;
                }
                freeaddrinfo(res);
        }
        if (r < 0)
                return unreachable(e, r, reterr);
        return r;
}

int pc__write_all(int fd, const char *p, size_t n, int64_t deadline)
{
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        int r = pc__wait_fd(fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int pc__engine_io_error(PcEngine *e, const char *method, const char *path, int r,
                        const PcHttpParser *p, PcError *reterr)
{
        if (r == -ETIMEDOUT)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, r,
                                         "Docker engine at %s did not answer %s %s in time",
                                         e->address, method, path);
        if (r == -EBADMSG && p && p->status == 0 && p->head.len == 0)
                /* not a bad reply but none at all: the engine went away mid-request */
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, r,
                                         "Docker engine at %s closed the connection without "
                                         "answering %s %s: it stopped or restarted; retry once "
                                         "it answers again (scripts/docker-env.sh starts it)",
                                         e->address, method, path);
        if ((r == -EBADMSG || r == -E2BIG) && p && p->err[0])
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, r,
                                         "Docker engine at %s: bad reply to %s %s: %s", e->address,
                                         method, path, p->err);
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, r,
                                 "Docker engine at %s: connection lost during %s %s: %s",
                                 e->address, method, path, strerror(-r));
}

static bool path_is_valid(const char *path)
{
        size_t n = strlen(path);
        if (n == 0 || n > 8192 || path[0] != '/')
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) path[i] <= 0x20 || (unsigned char) path[i] >= 0x7f)
                        return false;
        return true;
}

static int check_request_line(const char *method, const char *path, PcError *reterr)
{
        if (!method[0] || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method))
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EINVAL, "invalid HTTP method");
        if (!path_is_valid(path))
                return pc__engine_invalid_name("Engine API path", path, reterr);
        return 0;
}

int pc__engine_send(PcEngine *e, int fd, const char *method, const char *path, json_t *body,
                    const char *extra_headers, int64_t deadline, PcError *reterr)
{
        int r = check_request_line(method, path, reterr);
        if (r < 0)
                return r;

        _cleanup_free_ char *json = NULL;
        if (body) {
                json = json_dumps(body, JSON_COMPACT);
                if (!json)
                        return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EINVAL,
                                                 "cannot serialise the body of %s %s", method,
                                                 path);
        }

        _cleanup_buf_ PcBuf req = PC_BUF_INIT;
        pc_buf_addf(&req, "%s %s%s%s HTTP/1.1\r\n", method, e->api_version[0] ? "/v" : "",
                    e->api_version, path);
        if (e->addr.transport == PC_ENGINE_UNIX)
                pc_buf_addstr(&req, "Host: docker\r\n");
        else if (strchr(e->addr.host, ':'))
                pc_buf_addf(&req, "Host: [%s]:%s\r\n", e->addr.host, e->addr.port);
        else
                pc_buf_addf(&req, "Host: %s:%s\r\n", e->addr.host, e->addr.port);
        pc_buf_addstr(&req, "User-Agent: pincer/" PINCER_VERSION "\r\n");
        pc_buf_addstr(&req, extra_headers ? extra_headers : "Connection: close\r\n");
        if (json)
                pc_buf_addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                            strlen(json));
        else if (streq(method, "POST") || streq(method, "PUT"))
                pc_buf_addstr(&req, "Content-Length: 0\r\n");
        pc_buf_addstr(&req, "\r\n");
        if (json)
                pc_buf_addstr(&req, json);

        log_debug("docker: %s %s", method, path);
        r = pc__write_all(fd, req.buf, req.len, deadline);
        if (r < 0)
                return pc__engine_io_error(e, method, path, r, NULL, reterr);
        return 0;
}

int pc__engine_recv(int fd, PcHttpParser *p, int64_t deadline)
{
        char buf[16384];
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        int r = pc__wait_fd(fd, POLLIN, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n == 0)
                        return pc__http_parser_eof(p);
                size_t used;
                int r = pc__http_parser_feed(p, buf, (size_t) n, &used);
                if (r != 0)
                        return r;
        }
}

/* ---- Requests ------------------------------------------------------------------------------- */

void pc_engine_response_release(PcEngineResponse *r)
{
        if (!r)
                return;
        json_decref(r->json);
        r->json = NULL;
        pc_buf_release(&r->body);
        r->status = 0;
}

static int append_body(void *userdata, const char *data, size_t n)
{
        pc_buf_add(userdata, data, n);
        return 0;
}

int pc__engine_status_error(const char *method, const char *path, int status, const char *body,
                            size_t body_len, PcError *reterr)
{
        json_t *j = body_len > 0 ? json_loadb(body, body_len, 0, NULL) : NULL;
        const char *msg = json_string_value(json_object_get(j, "message"));
        _cleanup_buf_ PcBuf text = PC_BUF_INIT;
        if (msg) {
                pc_buf_add_escaped(&text, msg, 300);
        } else if (body_len > 0) {
                _cleanup_free_ char *copy = xstrndup(body, body_len < 300 ? body_len : 300);
                size_t n = strlen(copy);
                while (n > 0 && (copy[n - 1] == '\n' || copy[n - 1] == '\r' || copy[n - 1] == ' '))
                        copy[--n] = '\0';
                pc_buf_add_escaped(&text, copy, 300);
        } else {
                pc_buf_addstr(&text, "no message");
        }
        json_decref(j);

        PcErrorKind kind;
        int code;
        switch (status) {
        case 400:
                kind = PC_ERROR_INVALID_ARGUMENT, code = -EINVAL;
                break;
        case 401:
        case 403:
                kind = PC_ERROR_PERMISSION_DENIED, code = -EACCES;
                break;
        case 404:
                kind = PC_ERROR_NOT_FOUND, code = -ENOENT;
                break;
        case 409:
                kind = PC_ERROR_CONFLICT, code = -EBUSY;
                break;
        case 503:
                kind = PC_ERROR_UNAVAILABLE, code = -EAGAIN;
                break;
        default:
                kind = PC_ERROR_INTERNAL, code = -EIO;
        }
        return pc_error_set_kind(reterr, kind, code, "Docker engine: %s (HTTP %d from %s %s)",
                                 text.buf, status, method, path);
}

static bool looks_like_json(const PcHttpParser *p, const PcBuf *body)
{
        const char *ct = pc__http_parser_header(p, "Content-Type");
        if (ct && strncasecmp(ct, "application/json", strlen("application/json")) == 0)
                return true;
        size_t i = strspn(body->buf, " \t\r\n");
        return body->buf[i] == '{' || body->buf[i] == '[';
}

int pc__engine_request_until(PcEngine *e, const char *method, const char *path, json_t *body,
                             int64_t deadline, PcEngineResponse *ret, PcError *reterr)
{
        *ret = (PcEngineResponse) PC_ENGINE_RESPONSE_INIT;
        int r = check_request_line(method, path, reterr);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = pc__engine_connect(e, deadline, reterr);
        if (fd < 0)
                return fd;
        r = pc__engine_send(e, fd, method, path, body, NULL, deadline, reterr);
        if (r < 0)
                return r;

        PcHttpParser p;
        pc__http_parser_init(&p, PC_ENGINE_MAX_BODY, append_body, &ret->body);
        r = pc__engine_recv(fd, &p, deadline);
        if (r >= 0 && p.state == PC_HTTP_UPGRADED) {
                snprintf(p.err, sizeof(p.err), "unexpected 101 (no upgrade was asked for)");
                r = -EBADMSG;
        }
        if (r < 0) {
                r = pc__engine_io_error(e, method, path, r, &p, reterr);
                pc__http_parser_release(&p);
                return r;
        }
        ret->status = p.status;
        if (ret->body.len > 0 && looks_like_json(&p, &ret->body))
                ret->json = json_loadb(ret->body.buf, ret->body.len, JSON_DECODE_ANY, NULL);
        pc__http_parser_release(&p);
        log_debug("docker: %s %s -> %d (%zu bytes)", method, path, ret->status, ret->body.len);

        if ((ret->status >= 200 && ret->status < 300) || ret->status == 304)
                return 0;
        return pc__engine_status_error(method, path, ret->status, ret->body.buf, ret->body.len,
                                       reterr);
}

int pc_engine_request(PcEngine *e, const char *method, const char *path, json_t *body,
                      PcEngineResponse *ret, PcError *reterr)
{
        return pc__engine_request_until(e, method, path, body, pc__engine_deadline(e), ret, reterr);
}

int pc__engine_expect(PcEngine *e, const char *method, const char *path, const PcEngineResponse *r,
                      json_type type, PcError *reterr)
{
        if (r->json && json_typeof(r->json) == type)
                return 0;
        return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EBADMSG,
                                 "Docker engine at %s: unexpected reply to %s %s (expected a JSON "
                                 "%s)",
                                 e->address, method, path,
                                 type == JSON_OBJECT ? "object" : "array");
}

/* ---- Opening and version negotiation -------------------------------------------------------- */

static int parse_api_version(const char *s, int *ret_major, int *ret_minor)
{
        unsigned maj, min;
        int n = 0;
        if (!s || sscanf(s, "%3u.%3u%n", &maj, &min, &n) != 2 || s[n] != '\0')
                return -EINVAL;
        *ret_major = (int) maj;
        *ret_minor = (int) min;
        return 0;
}

static int version_cmp(int amaj, int amin, int bmaj, int bmin)
{
        if (amaj != bmaj)
                return amaj < bmaj ? -1 : 1;
        return amin < bmin ? -1 : amin > bmin;
}

static int negotiate(PcEngine *e, int64_t deadline, PcError *reterr)
{
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        int k = pc__engine_request_until(e, "GET", "/version", NULL, deadline, &r, reterr);
        if (k < 0)
                return k;
        k = pc__engine_expect(e, "GET", "/version", &r, JSON_OBJECT, reterr);
        if (k < 0)
                return k;

        const char *api = json_string_value(json_object_get(r.json, "ApiVersion"));
        const char *min_api = json_string_value(json_object_get(r.json, "MinAPIVersion"));
        const char *version = json_string_value(json_object_get(r.json, "Version"));
        snprintf(e->server_version, sizeof(e->server_version), "%s", version ? version : "?");

        int amaj = 0, amin = 0, wmaj = 0, wmin = 0, lmaj = 0, lmin = 0;
        if (parse_api_version(api, &amaj, &amin) < 0)
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EBADMSG,
                                         "Docker engine at %s: /version has no valid ApiVersion",
                                         e->address);
        (void) parse_api_version(PC_ENGINE_API_VERSION, &wmaj, &wmin);
        (void) parse_api_version(PC_ENGINE_API_VERSION_MIN, &lmaj, &lmin);
        if (version_cmp(amaj, amin, lmaj, lmin) < 0)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTONOSUPPORT,
                                         "Docker engine at %s speaks API %d.%d (Docker %s); "
                                         "Pincer needs API %s or newer (Docker 19.03 or newer)",
                                         e->address, amaj, amin, e->server_version,
                                         PC_ENGINE_API_VERSION_MIN);
        if (version_cmp(amaj, amin, wmaj, wmin) > 0)
                amaj = wmaj, amin = wmin;

        int mmaj = 0, mmin = 0;
        if (parse_api_version(min_api, &mmaj, &mmin) == 0 &&
            version_cmp(mmaj, mmin, amaj, amin) > 0)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTONOSUPPORT,
                                         "Docker engine at %s (Docker %s) needs API %d.%d or "
                                         "newer; Pincer speaks API %d.%d",
                                         e->address, e->server_version, mmaj, mmin, amaj, amin);
        snprintf(e->api_version, sizeof(e->api_version), "%d.%d", amaj, amin);
        return 0;
}

int pc_engine_open(const char *docker_host, PcEngine **ret, PcError *reterr)
{
        const char *host = docker_host && *docker_host ? docker_host : getenv("DOCKER_HOST");
        if (!host || !*host)
                host = PC_ENGINE_DEFAULT_HOST;

        PcEngineAddr addr;
        int r = pc__engine_parse_host(host, &addr, reterr);
        if (r < 0)
                return r;
        const char *tls = getenv("DOCKER_TLS_VERIFY");
        if (addr.transport == PC_ENGINE_TCP && tls && *tls)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EPROTONOSUPPORT,
                                         "Docker host '%s': DOCKER_TLS_VERIFY is set, but Pincer "
                                         "does not speak TLS to the engine (use unix:// or plain "
                                         "tcp:// on a trusted network)",
                                         host);

        _cleanup_(pc_engine_freep) PcEngine *e = xcalloc(1, sizeof(*e));
        e->address = xstrdup(host);
        e->addr = addr;
        e->timeout_ms = PC_ENGINE_DEFAULT_TIMEOUT_MS;

        int64_t deadline = pc__now_ms() + OPEN_TIMEOUT_MS;
        _cleanup_(pc_engine_response_release) PcEngineResponse ping = PC_ENGINE_RESPONSE_INIT;
        r = pc__engine_request_until(e, "GET", "/_ping", NULL, deadline, &ping, reterr);
        if (r < 0)
                return r;
        r = negotiate(e, deadline, reterr);
        if (r < 0)
                return r;
        log_debug("docker: %s is Docker %s, speaking API %s", e->address, e->server_version,
                  e->api_version);
        *ret = TAKE_PTR(e);
        return 0;
}

PcEngine *pc_engine_free(PcEngine *e)
{
        if (!e)
                return NULL;
        free(e->address);
        free(e);
        return NULL;
}

const char *pc_engine_address(const PcEngine *e)
{
        return e->address;
}

const char *pc_engine_api_version(const PcEngine *e)
{
        return e->api_version;
}

const char *pc_engine_server_version(const PcEngine *e)
{
        return e->server_version;
}

void pc_engine_set_timeout(PcEngine *e, int timeout_ms)
{
        if (timeout_ms < 1)
                timeout_ms = 1;
        if (timeout_ms > PC_ENGINE_EXEC_MAX_TIMEOUT)
                timeout_ms = PC_ENGINE_EXEC_MAX_TIMEOUT;
        e->timeout_ms = timeout_ms;
}

int pc_engine_ping(PcEngine *e, PcError *reterr)
{
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        return pc_engine_request(e, "GET", "/_ping", NULL, &r, reterr);
}
