/* SPDX-License-Identifier: MIT */
/* Calling a provider over libcurl, with streaming, timeouts and retries (provider.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/log.h"
#include "curl-dl.h"
#include "provider.h"
#include "sse.h"

int64_t pc_monotonic_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool pc_fd_readable(int fd)
{
        if (fd <= 0)
                return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/* set by pc_provider_stream() before any call (every thread stores the same pointer) */
static const PcCurl *_Atomic C;

typedef struct Call {
        const PcProvider *p;
        CURL *curl;
        PcSseParser sse;
        PcModelTurn *turn;
        long status;
        PcBuf error_body;  /* a non-2xx answer, up to PC_PROVIDER_MAX_ERROR_BODY */
        int retry_after_s; /* -1: none */
        int parse_r;
        PcError parse_err;
        int64_t last_data_ms; /* the last byte received (or the start) */
        bool idle;            /* the idle timeout fired */
        bool canceled;        /* the run was aborted (PcModelEvents.cancel_fd) */
} Call;

/* curl's LOW_SPEED_* averages over a window of several seconds, so it notices a stall late; the
 * idle timeout is measured from the last byte instead. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
        (void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
        Call *c = userdata;
        if (c->turn->events && pc_fd_readable(c->turn->events->cancel_fd)) {
                c->canceled = true;
                return 1;
        }
        if (pc_monotonic_ms() - c->last_data_ms >= (int64_t) c->p->idle_timeout_s * 1000) {
                c->idle = true;
                return 1;
        }
        return 0;
}

static int on_sse(const char *event, const char *data, size_t len, void *userdata, PcError *reterr)
{
        Call *c = userdata;
        if (c->p->api == PC_MODEL_API_ANTHROPIC_MESSAGES)
                return pc_anthropic_stream_event(c->turn, event, data, len, reterr);
        return pc_openai_stream_event(c->turn, event, data, len, reterr);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
        Call *c = userdata;
        size_t n = size * nmemb;
        c->last_data_ms = pc_monotonic_ms();
        if (c->status == 0)
                C->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
        if (c->status < 200 || c->status >= 300) {
                size_t room = PC_PROVIDER_MAX_ERROR_BODY - c->error_body.len;
                pc_buf_add(&c->error_body, ptr, n < room ? n : room);
                return n;
        }
        c->parse_r = pc_sse_feed(&c->sse, ptr, n, &c->parse_err);
        return c->parse_r < 0 ? 0 : n; /* 0 makes curl stop with CURLE_WRITE_ERROR */
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
        Call *c = userdata;
        size_t n = size * nitems;
        if (n > 12 && strncasecmp(buf, "retry-after:", 12) == 0) {
                char *end;
                long v = strtol(buf + 12, &end, 10);
                if (end != buf + 12 && v >= 0)
                        c->retry_after_s = (int) (v > 3600 ? 3600 : v);
        }
        return n;
}

/* The error body's message, with the key cut out, on one line. */
static void error_excerpt(const Call *c, PcBuf *out)
{
        const char *msg = NULL;
        json_t *doc = c->error_body.len ? json_loadb(c->error_body.buf, c->error_body.len, 0, NULL)
                                        : NULL;
        json_t *e = json_object_get(doc, "error");
        msg = json_string_value(json_object_get(e, "message"));
        if (!msg)
                msg = json_string_value(e);
        if (!msg)
                msg = c->error_body.len ? c->error_body.buf : "";
        size_t n = strnlen(msg, 300);
        pc_buf_add(out, msg, n);
        json_decref(doc);
        for (size_t i = 0; i < out->len; i++)
                if (out->buf[i] == '\n' || out->buf[i] == '\r')
                        out->buf[i] = ' ';
        const char *key = c->p->api_key;
        if (key && strlen(key) >= 4)
                for (char *hit; (hit = strstr(out->buf, key));)
                        memset(hit, '*', strlen(key));
}

static struct curl_slist *build_headers(const PcProvider *p)
{
        struct curl_slist *h = NULL;
        h = C->slist_append(h, "Content-Type: application/json");
        h = C->slist_append(h, "Accept: text/event-stream");
        if (p->api == PC_MODEL_API_ANTHROPIC_MESSAGES) {
                h = C->slist_append(h, "anthropic-version: 2023-06-01");
                if (p->api_key && p->auth_header) {
                        _cleanup_free_ char *line = xasprintf("x-api-key: %s", p->api_key);
                        h = C->slist_append(h, line);
                        explicit_bzero(line, strlen(line));
                }
        } else if (p->api_key && p->auth_header) {
                _cleanup_free_ char *line = xasprintf("Authorization: Bearer %s", p->api_key);
                h = C->slist_append(h, line);
                explicit_bzero(line, strlen(line));
        }
        const char *name;
        json_t *v;
        json_object_foreach (p->headers, name, v)
                if (json_is_string(v) && !strpbrk(name, ":\r\n") &&
                    !strpbrk(json_string_value(v), "\r\n")) {
                        _cleanup_free_ char *line = xasprintf("%s: %s", name, json_string_value(v));
                        h = C->slist_append(h, line);
                }
        return h;
}

typedef enum Outcome { OK, FAIL, RETRY } Outcome;

static Outcome attempt(const PcProvider *p, const char *url, const char *body, int64_t deadline_ms,
                       PcModelTurn *turn, int *ret_retry_after, PcError *reterr)
{
        Call c = {.p = p, .turn = turn, .retry_after_s = -1};
        pc_buf_init(&c.error_body);
        pc_sse_init(&c.sse, on_sse, &c);
        c.curl = C->easy_init();
        if (!c.curl) {
                pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -ENOMEM, "cannot start an HTTP call");
                return FAIL;
        }
        struct curl_slist *headers = build_headers(p);
        C->easy_setopt(c.curl, CURLOPT_URL, url);
        C->easy_setopt(c.curl, CURLOPT_POSTFIELDS, body);
        C->easy_setopt(c.curl, CURLOPT_HTTPHEADER, headers);
        C->easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, on_body);
        C->easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
        C->easy_setopt(c.curl, CURLOPT_HEADERFUNCTION, on_header);
        C->easy_setopt(c.curl, CURLOPT_HEADERDATA, &c);
        C->easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
        C->easy_setopt(c.curl, CURLOPT_CONNECTTIMEOUT, (long) PC_PROVIDER_CONNECT_TIMEOUT);
        C->easy_setopt(c.curl, CURLOPT_NOPROGRESS, 0L);
        C->easy_setopt(c.curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        C->easy_setopt(c.curl, CURLOPT_XFERINFODATA, &c);
        C->easy_setopt(c.curl, CURLOPT_PROTOCOLS_STR, "http,https");
        C->easy_setopt(c.curl, CURLOPT_USERAGENT, "pincer");
        int64_t start = pc_monotonic_ms();
        c.last_data_ms = start;
        if (deadline_ms > 0)
                C->easy_setopt(c.curl, CURLOPT_TIMEOUT_MS,
                               (long) (deadline_ms > start ? deadline_ms - start : 1));
        CURLcode rc = C->easy_perform(c.curl);
        if (c.status == 0)
                C->easy_getinfo(c.curl, CURLINFO_RESPONSE_CODE, &c.status);
        int64_t elapsed = pc_monotonic_ms() - start;
        Outcome out = FAIL;
        _cleanup_buf_ PcBuf excerpt = {0};
        pc_buf_init(&excerpt);
        const char *where = p->id;

        if (rc == CURLE_WRITE_ERROR && c.parse_r < 0) {
                *reterr = c.parse_err;
                pc_error_prefix(reterr, "provider %s", where);
        } else if (rc == CURLE_ABORTED_BY_CALLBACK && c.canceled) {
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ECANCELED,
                                  "the run was aborted while provider %s was answering", where);
        } else if (rc == CURLE_ABORTED_BY_CALLBACK && c.idle) {
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                  "provider %s sent nothing for %d s (idle timeout; raise "
                                  "models.providers.%s.timeoutSeconds if the model is slow)",
                                  where, p->idle_timeout_s, where);
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
                bool deadline = deadline_ms > 0 && pc_monotonic_ms() >= deadline_ms;
                if (deadline)
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                          "the run hit its time limit (agents.defaults."
                                          "timeoutSeconds) while waiting for provider %s",
                                          where);
                else if (c.status == 0 &&
                         elapsed < (int64_t) PC_PROVIDER_CONNECT_TIMEOUT * 1000 + 500)
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                          "provider %s at %s did not accept a connection within "
                                          "%d s",
                                          where, p->base_url, PC_PROVIDER_CONNECT_TIMEOUT);
                else
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ETIMEDOUT,
                                          "the call to provider %s timed out", where);
        } else if (rc != CURLE_OK) {
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EIO,
                                  "cannot reach provider %s at %s: %s", where, p->base_url,
                                  C->easy_strerror(rc));
                if (!turn->received &&
                    (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                     rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR))
                        out = RETRY;
                if (turn->received)
                        pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                          "provider %s's stream broke off before the answer was "
                                          "complete: %s",
                                          where, C->easy_strerror(rc));
        } else if (c.status == 401 || c.status == 403) {
                error_excerpt(&c, &excerpt);
                pc_error_set_kind(reterr, PC_ERROR_PERMISSION_DENIED, -EACCES,
                                  "provider %s rejected the API key (HTTP %ld: %s); check "
                                  "models.providers.%s.apiKey or the environment variable it "
                                  "names",
                                  where, c.status, excerpt.len ? excerpt.buf : "", where);
        } else if (c.status == 404 ||
                   (c.status == 400 && c.error_body.len && strstr(c.error_body.buf, "model") &&
                    (strstr(c.error_body.buf, "not_found") ||
                     strstr(c.error_body.buf, "not found") ||
                     strstr(c.error_body.buf, "does not exist")))) {
                error_excerpt(&c, &excerpt);
                pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -ENOENT,
                                  "provider %s does not know model \"%s\" (HTTP %ld: %s); check "
                                  "the agent's model and models.providers.%s.baseUrl",
                                  where, p->model, c.status, excerpt.len ? excerpt.buf : "", where);
        } else if (c.status == 429 || c.status >= 500) {
                error_excerpt(&c, &excerpt);
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EIO,
                                  "provider %s answered HTTP %ld: %s", where, c.status,
                                  excerpt.len ? excerpt.buf : "");
                out = RETRY;
        } else if (c.status < 200 || c.status >= 300) {
                error_excerpt(&c, &excerpt);
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EIO,
                                  "provider %s refused the request (HTTP %ld: %s)", where, c.status,
                                  excerpt.len ? excerpt.buf : "");
        } else if (!turn->done) {
                pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                  "provider %s's stream ended before the answer was complete "
                                  "(no %s)",
                                  where,
                                  p->api == PC_MODEL_API_ANTHROPIC_MESSAGES ? "message_stop"
                                                                            : "[DONE]");
        } else
                out = OK;
        *ret_retry_after = c.retry_after_s;
        C->slist_free_all(headers);
        C->easy_cleanup(c.curl);
        pc_sse_release(&c.sse);
        pc_buf_release(&c.error_body);
        return out;
}

int pc_provider_stream(const PcProvider *p, const json_t *body, int64_t deadline_ms,
                       PcModelTurn *turn, PcError *reterr)
{
        const PcCurl *api = pc_curl(reterr);
        if (!api)
                return -ENOENT;
        C = api;
        _cleanup_free_ char *url = xasprintf(
                "%s%s", p->base_url,
                p->api == PC_MODEL_API_ANTHROPIC_MESSAGES ? "/v1/messages" : "/chat/completions");
        _cleanup_free_ char *text = json_dumps(body, JSON_COMPACT);
        const PcModelEvents *events = turn->events;
        for (int i = 0;; i++) {
                int retry_after = -1;
                Outcome o = attempt(p, url, text, deadline_ms, turn, &retry_after, reterr);
                if (o == OK)
                        return 0;
                if (o == FAIL || i >= PC_PROVIDER_MAX_RETRIES || turn->received ||
                    (events && pc_fd_readable(events->cancel_fd)))
                        return reterr->code < 0 ? reterr->code : -EIO;
                int64_t wait = retry_after >= 0
                                       ? (int64_t) (retry_after > 60 ? 60 : retry_after) * 1000
                                       : (int64_t) 1000 << i;
                if (deadline_ms > 0 && pc_monotonic_ms() + wait >= deadline_ms)
                        return reterr->code < 0 ? reterr->code : -EIO;
                log_info("provider %s: %s; retrying in %lld ms (%d of %d)", p->id, reterr->msg,
                         (long long) wait, i + 1, PC_PROVIDER_MAX_RETRIES);
                pc_model_turn_release(turn);
                pc_model_turn_init(turn, events);
                struct timespec ts = {.tv_sec = wait / 1000, .tv_nsec = (wait % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
}
