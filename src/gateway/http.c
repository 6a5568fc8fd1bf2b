/* SPDX-License-Identifier: MIT */
/*
 * HTTP on the loop thread (gateway spec §1.4, §1.6): routing, auth, limits, the request log.
 * Tool calls are handed to the worker (worker.c); nothing here blocks.
 */
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/macro.h"
#include "gateway-internal.h"
#include "gateway.h"

typedef enum Method {
        M_OTHER,
        M_GET,
        M_HEAD,
        M_POST,
} Method;

/* Per connection (lws user space, zeroed when bound, freed after HTTP_DROP_PROTOCOL). */
typedef struct Conn {
        struct lws *wsi;
        bool counted;
        /* the request */
        Method method;
        const char *method_name;
        char path[128];
        uint64_t start_ns;
        bool want_body;
        uint64_t body_deadline_ns; /* the whole body must have arrived by then */
        bool body_over;
        bool unauthorized;
        PcBuf body;
        PcGatewayJob *job; /* waiting for the worker */
        bool awaiting;     /* a tool call's response is not written yet (counted in n_awaiting) */
        /* the response */
        bool resp_ready;
        bool resp_sent;
        bool close_after;
        int status;
        const char *ctype;
        const char *allow;
        unsigned char *resp; /* LWS_PRE bytes, then the body */
        size_t resp_len;
        /* a streamed response (chat.c): no Content-Length, the body ends with the connection */
        bool streaming;
        bool stream_headers_sent;
        bool stream_end;
        PcBuf stream_out;
} Conn;

static PcGateway *gateway_of(struct lws *wsi)
{
        return lws_context_user(lws_get_context(wsi));
}

static void conn_reset(PcGateway *g, Conn *c)
{
        if (c->awaiting) {
                c->awaiting = false;
                g->n_awaiting--;
                pc__gateway_maybe_stop(g);
        }
        if (c->job)
                c->job->conn = NULL; /* the worker's answer is dropped when it arrives */
        c->job = NULL;
        pc_buf_release(&c->body);
        pc_buf_release(&c->stream_out);
        c->streaming = c->stream_headers_sent = c->stream_end = false;
        free(c->resp);
        c->resp = NULL;
        c->resp_len = 0;
        c->resp_ready = c->resp_sent = c->close_after = false;
        c->want_body = c->body_over = c->unauthorized = false;
        c->allow = NULL;
}

static void respond(Conn *c, int status, const char *ctype, const char *body)
{
        size_t n = strlen(body);
        free(c->resp);
        c->resp = xmalloc(LWS_PRE + n + 1);
        memcpy(c->resp + LWS_PRE, body, n + 1);
        c->resp_len = n;
        c->status = status;
        c->ctype = ctype;
        c->resp_ready = true;
        lws_callback_on_writable(c->wsi);
}

static void respond_error(Conn *c, int status, const char *message, const char *type)
{
        json_t *doc = json_pack("{s:{s:s,s:s}}", "error", "message", message, "type", type);
        char *s = json_dumps(doc, JSON_COMPACT);
        if (!s)
                abort();
        respond(c, status, "application/json", s);
        free(s);
        json_decref(doc);
}

static void log_request(const Conn *c)
{
        uint64_t us = (uv_hrtime() - c->start_ns) / 1000;
        log_info("%s %s %d %llu.%03llums", c->method_name, c->path, c->status,
                 (unsigned long long) (us / 1000), (unsigned long long) (us % 1000));
        pc__gateway_metrics_request(c->path, c->status, us * 1000);
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
        return lws_add_http_header_by_name(wsi, (const unsigned char *) name,
                                           (const unsigned char *) value, (int) strlen(value), p,
                                           end);
}

/* Writes the prepared response; returns what the lws callback returns. */
static int write_response(Conn *c)
{
        if (c->resp_sent) {
                /* Everything buffered went out: now close (413 with a body still coming). */
                return -1;
        }
        PcGateway *g = gateway_of(c->wsi);
        if (g->draining)
                c->close_after = true;
        unsigned char hdr[LWS_PRE + 1024];
        unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
        if (lws_add_http_common_headers(c->wsi, (unsigned) c->status, c->ctype, c->resp_len, &p,
                                        end) ||
            add_header(c->wsi, "x-content-type-options:", "nosniff", &p, end) ||
            add_header(c->wsi, "referrer-policy:", "no-referrer", &p, end) ||
            add_header(c->wsi, "permissions-policy:", "camera=(), geolocation=()", &p, end) ||
            add_header(c->wsi, "cache-control:", "no-store", &p, end) ||
            (c->allow && add_header(c->wsi, "allow:", c->allow, &p, end)) ||
            (c->close_after && add_header(c->wsi, "connection:", "close", &p, end)) ||
            lws_finalize_write_http_header(c->wsi, start, &p, end))
                return -1;
        if (c->method != M_HEAD && c->resp_len > 0 &&
            lws_write(c->wsi, c->resp + LWS_PRE, c->resp_len, LWS_WRITE_HTTP_FINAL) !=
                    (int) c->resp_len)
                return -1;
        c->resp_sent = true;
        log_request(c);
        if (c->close_after) {
                lws_callback_on_writable(c->wsi);
                return 0;
        }
        conn_reset(g, c);
        if (lws_http_transaction_completed(c->wsi))
                return -1;
        return 0;
}

/* Writes what a streamed response has buffered; closes the connection after its end. */
static int write_stream(Conn *c)
{
        if (!c->stream_headers_sent) {
                unsigned char hdr[LWS_PRE + 1024];
                unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr) - 1;
                if (lws_add_http_common_headers(c->wsi, (unsigned) c->status, c->ctype,
                                                LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
                    add_header(c->wsi, "x-content-type-options:", "nosniff", &p, end) ||
                    add_header(c->wsi, "cache-control:", "no-store", &p, end) ||
                    add_header(c->wsi, "connection:", "close", &p, end) ||
                    lws_finalize_write_http_header(c->wsi, start, &p, end))
                        return -1;
                c->stream_headers_sent = true;
        }
        if (c->stream_out.len > 0) {
                size_t n = c->stream_out.len < 16384 ? c->stream_out.len : 16384;
                unsigned char buf[LWS_PRE + 16384];
                memcpy(buf + LWS_PRE, c->stream_out.buf, n);
                if (lws_write(c->wsi, buf + LWS_PRE, n, LWS_WRITE_HTTP) != (int) n)
                        return -1;
                memmove(c->stream_out.buf, c->stream_out.buf + n, c->stream_out.len - n);
                pc_buf_setlen(&c->stream_out, c->stream_out.len - n);
        }
        if (c->stream_out.len > 0 || !c->stream_end) {
                if (c->stream_out.len > 0)
                        lws_callback_on_writable(c->wsi);
                return 0;
        }
        log_request(c);
        return -1; /* the end of the body is the end of the connection */
}

void pc__gateway_job_stream(PcGatewayJob *job, int status, const char *ctype, const char *data,
                            size_t len, bool end)
{
        Conn *c = job->conn;
        if (!c)
                return;
        if (!c->streaming) {
                c->streaming = true;
                c->status = status;
                c->ctype = ctype;
        }
        pc_buf_add(&c->stream_out, data, len);
        if (end) {
                c->stream_end = true;
                c->job = NULL;
                job->conn = NULL;
        }
        c->resp_ready = true;
        lws_callback_on_writable(c->wsi);
}

static const char health_body[] = "{\"ok\":true,\"status\":\"live\"}";

static char *trimmed(const char *s)
{
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        size_t n = strlen(s);
        while (n > 0 && strchr(" \t\n\r", s[n - 1]))
                n--;
        return n ? strndup(s, n) : NULL;
}

/* The body of POST /tools/invoke is complete: answer or hand it to the worker. */
static void invoke(PcGateway *g, Conn *c)
{
        if (c->unauthorized) {
                respond_error(c, 401, "Unauthorized", "unauthorized");
                return;
        }
        if (streq(c->path, "/v1/chat/completions")) { /* chat.c */
                PcGatewayJob *j = xcalloc(1, sizeof(*j));
                j->conn = c;
                c->job = j;
                c->awaiting = true;
                g->n_awaiting++;
                pc__gateway_chat_start(g, j, &c->body);
                return;
        }
        json_error_t jerr;
        json_t *doc = json_loadb(c->body.buf, c->body.len, 0, &jerr);
        pc_buf_release(&c->body);
        if (!doc) {
                respond_error(c, 400, "Invalid JSON body", "invalid_request_error");
                return;
        }
        const json_t *name = json_object_get(doc, "name");
        if (!json_is_string(name))
                name = json_object_get(doc, "tool");
        char *tool = json_is_string(name) ? trimmed(json_string_value(name)) : NULL;
        if (!tool) {
                json_decref(doc);
                respond_error(c, 400, "tools.invoke requires body.tool", "invalid_request_error");
                return;
        }
        PcGatewayJob *j = xcalloc(1, sizeof(*j));
        j->tool = tool;
        json_t *args = json_object_get(doc, "args");
        j->args = json_is_object(args) ? json_incref(args) : json_object();
        const char *s = json_string_value(json_object_get(doc, "agentId"));
        j->agent_id = s && *s ? xstrdup(s) : NULL;
        s = json_string_value(json_object_get(doc, "sessionKey"));
        j->session_key = s && *s ? xstrdup(s) : NULL;
        json_decref(doc);
        j->conn = c;
        c->job = j;
        c->awaiting = true;
        g->n_awaiting++;
        if (pc__gateway_worker_submit(g->worker, j) < 0) {
                c->job = NULL;
                c->awaiting = false;
                g->n_awaiting--;
                pc__gateway_job_free(j);
                respond_error(c, 503, "Too many tool calls waiting, retry later", "unavailable");
        }
}

void pc__gateway_job_done(PcGatewayJob *job, void *userdata)
{
        PcGateway *g = userdata;
        Conn *c = job->conn;
        if (c) {
                c->job = NULL;
                respond(c, job->status, job->ctype ? job->ctype : "application/json", job->body);
        }
        pc__gateway_job_free(job);
        pc__gateway_maybe_stop(g); /* the connection went away: nothing to write */
}

static Method method_of(struct lws *wsi, const char **ret_name)
{
        static const struct {
                enum lws_token_indexes tok;
                const char *name;
                Method m;
        } t[] = {
                {WSI_TOKEN_GET_URI, "GET", M_GET},
                {WSI_TOKEN_HEAD_URI, "HEAD", M_HEAD},
                {WSI_TOKEN_POST_URI, "POST", M_POST},
                {WSI_TOKEN_PUT_URI, "PUT", M_OTHER},
                {WSI_TOKEN_DELETE_URI, "DELETE", M_OTHER},
                {WSI_TOKEN_PATCH_URI, "PATCH", M_OTHER},
                {WSI_TOKEN_OPTIONS_URI, "OPTIONS", M_OTHER},
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (lws_hdr_total_length(wsi, t[i].tok) > 0) {
                        *ret_name = t[i].name;
                        return t[i].m;
                }
        *ret_name = "?";
        return M_OTHER;
}

/* The request path for the log: printable ASCII only, capped. */
static void copy_path(char *dst, size_t n, const char *src)
{
        size_t i = 0;
        for (; src && src[i] && i + 1 < n; i++)
                dst[i] = src[i] > 0x20 && src[i] < 0x7f ? src[i] : '?';
        dst[i] = 0;
}

/* The request line and the headers libwebsockets parsed, in bytes (what PC_GATEWAY_MAX_HEADER_BYTES
 * limits; unknown headers are only bounded by libwebsockets' buffer). */
static size_t header_bytes(struct lws *wsi)
{
        size_t n = 0;
        for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
                int len = lws_hdr_total_length(wsi, (enum lws_token_indexes) t);
                if (len > 0)
                        n += (size_t) len;
        }
        return n;
}

/* GET /metrics: the Prometheus text format, with the same auth as /tools/invoke. */
static void metrics(PcGateway *g, Conn *c, struct lws *wsi)
{
        if (c->method != M_GET && c->method != M_HEAD) {
                c->allow = "GET, HEAD";
                respond(c, 405, "text/plain", "Method Not Allowed");
                return;
        }
        char auth[4200] = "";
        int n = lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION);
        bool ok = pc__gateway_auth_check(&g->auth, n > 0 ? auth : NULL);
        explicit_bzero(auth, sizeof(auth));
        if (!ok) {
                respond_error(c, 401, "Unauthorized", "unauthorized");
                return;
        }
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        pc__gateway_metrics_render(&out, g->n_conns,
                                   g->worker ? pc__gateway_worker_busy(g->worker) : 0);
        respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", out.buf);
}

static int on_http(PcGateway *g, Conn *c, struct lws *wsi, const char *uri)
{
        conn_reset(g, c);
        c->wsi = wsi;
        c->start_ns = uv_hrtime();
        c->method = method_of(wsi, &c->method_name);
        copy_path(c->path, sizeof(c->path), uri);

        if (g->draining) {
                c->close_after = true;
                respond_error(c, 503, "Gateway is shutting down", "unavailable");
                return 0;
        }
        /* Beyond the cap only the liveness check is answered (a static body, then the
         * connection closes): a flood of connections must not make a supervisor's probe
         * restart a gateway that is alive. */
        bool health = streq(c->path, "/health") || streq(c->path, "/healthz");
        if (g->n_conns > PC_GATEWAY_MAX_CONNECTIONS) {
                c->close_after = true;
                if (!health || (c->method != M_GET && c->method != M_HEAD)) {
                        respond_error(c, 503, "Too many connections", "unavailable");
                        return 0;
                }
        }
        if (header_bytes(wsi) > PC_GATEWAY_MAX_HEADER_BYTES) {
                c->close_after = true;
                respond_error(c, 431, "Request header fields too large (at most 8192 bytes in all)",
                              "invalid_request_error");
                return 0;
        }
        if (health) {
                if (c->method == M_GET || c->method == M_HEAD)
                        respond(c, 200, "application/json", health_body);
                else {
                        c->allow = "GET, HEAD";
                        respond(c, 405, "text/plain", "Method Not Allowed");
                }
                return 0;
        }
        if (streq(c->path, "/metrics")) {
                metrics(g, c, wsi);
                return 0;
        }
        if (!streq(c->path, "/tools/invoke") && !streq(c->path, "/v1/chat/completions")) {
                respond_error(c, 404, "Not Found", "not_found");
                return 0;
        }
        if (c->method != M_POST) {
                c->allow = "POST";
                respond(c, 405, "text/plain", "Method Not Allowed");
                return 0;
        }
        char auth[4200] = "";
        int n = lws_hdr_copy(wsi, auth, sizeof(auth), WSI_TOKEN_HTTP_AUTHORIZATION);
        c->unauthorized = !pc__gateway_auth_check(&g->auth, n > 0 ? auth : NULL);
        explicit_bzero(auth, sizeof(auth));

        char cl[32] = "";
        unsigned long long len = 0;
        if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
                len = strtoull(cl, NULL, 10);
        if (len > PC_GATEWAY_MAX_BODY) {
                c->close_after = true;
                respond_error(c, 413, "Payload too large", "invalid_request_error");
                return 0;
        }
        if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0) {
                /* libwebsockets 4.1 does not decode chunked request bodies. */
                c->close_after = true;
                respond_error(c, 411,
                              "Content-Length required: chunked request bodies are not "
                              "supported; send the body with a Content-Length header (at most "
                              "2 MB)",
                              "invalid_request_error");
                return 0;
        }
        if (len == 0) {
                invoke(g, c); /* no body coming */
                return 0;
        }
        c->want_body = true;
        c->body_deadline_ns = c->start_ns + (uint64_t) PC_GATEWAY_IO_TIMEOUT_S * 1000000000u;
        return 0;
}

static int on_body(Conn *c, const void *in, size_t len)
{
        if (!c->want_body || c->body_over)
                return 0;
        /* libwebsockets restarts its timeout on every read: a body trickling in a byte at a
         * time is cut here. */
        if (uv_hrtime() > c->body_deadline_ns) {
                c->body_over = true;
                pc_buf_release(&c->body);
                c->close_after = true;
                respond_error(c, 408, "Request body not received within 30 s", "timeout");
                return 0;
        }
        if (c->body.len + len > PC_GATEWAY_MAX_BODY) {
                c->body_over = true;
                pc_buf_release(&c->body);
                c->close_after = true;
                respond_error(c, 413, "Payload too large", "invalid_request_error");
                return 0;
        }
        if (!c->unauthorized)
                pc_buf_add(&c->body, in, len);
        return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
        PcGateway *g = gateway_of(wsi);
        Conn *c = user;
        switch (reason) {
        case LWS_CALLBACK_HTTP_BIND_PROTOCOL:
                if (c && !c->counted) {
                        c->counted = true;
                        pc_buf_init(&c->body);
                        pc_buf_init(&c->stream_out);
                        g->n_conns++;
                }
                return 0;
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        case LWS_CALLBACK_CLOSED_HTTP:
                if (c) {
                        conn_reset(g, c);
                        if (c->counted) {
                                c->counted = false;
                                g->n_conns--;
                        }
                }
                return 0;
        case LWS_CALLBACK_HTTP:
                return on_http(g, c, wsi, in);
        case LWS_CALLBACK_HTTP_BODY:
                return on_body(c, in, len);
        case LWS_CALLBACK_HTTP_BODY_COMPLETION:
                if (c->want_body && !c->body_over) {
                        c->want_body = false;
                        invoke(g, c);
                }
                return 0;
        case LWS_CALLBACK_HTTP_WRITEABLE:
                if (!c || !c->resp_ready)
                        return 0;
                return c->streaming ? write_stream(c) : write_response(c);
        default:
                return lws_callback_http_dummy(wsi, reason, user, in, len);
        }
}

static const struct lws_protocols protocols[] = {
        {"http", callback, sizeof(Conn), 0, 0, NULL, 0},
        {NULL, NULL, 0, 0, 0, NULL, 0},
};

const struct lws_protocols *const pc__gateway_protocols = protocols;
