/* SPDX-License-Identifier: MIT */
/* The sessions.list / sessions.history payloads (and the sessions_list / sessions_history tool
 * results built on them), in the spec's shapes (spec 1.3, 3.5, 3.6). */
#include <strings.h>
#include <time.h>

#include "base/alloc.h"
#include "base/redact.h"
#include "sessions.h"
#include "store-internal.h"

#define LIST_DEFAULT_LIMIT    50
#define HISTORY_DEFAULT_LIMIT 200
#define LIST_MAX_MESSAGES     20

static int get_int(const json_t *params, const char *name, json_int_t min, json_int_t max,
                   json_int_t dflt, json_int_t *ret, PcError *reterr)
{
        const json_t *v = json_object_get(params, name);
        if (!v || json_is_null(v)) {
                *ret = dflt;
                return 0;
        }
        double d = json_is_real(v) ? json_real_value(v) : 0.5;
        if (json_is_real(v) && d > -9e15 && d < 9e15 && d == (double) (json_int_t) d)
                *ret = (json_int_t) d;
        else if (json_is_integer(v))
                *ret = json_integer_value(v);
        else
                return pc_error_set(reterr, -EINVAL, "%s must be an integer", name);
        if (*ret < min || *ret > max)
                return pc_error_set(reterr, -EINVAL,
                                    "%s must be between %" JSON_INTEGER_FORMAT
                                    " and %" JSON_INTEGER_FORMAT " (got %" JSON_INTEGER_FORMAT ")",
                                    name, min, max, *ret);
        return 0;
}

static int get_string(const json_t *params, const char *name, const char **ret, PcError *reterr)
{
        const json_t *v = json_object_get(params, name);
        *ret = NULL;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_string(v))
                return pc_error_set(reterr, -EINVAL, "%s must be a string", name);
        *ret = json_string_value(v);
        return 0;
}

static int get_bool(const json_t *params, const char *name, bool dflt, bool *ret, PcError *reterr)
{
        const json_t *v = json_object_get(params, name);
        *ret = dflt;
        if (!v || json_is_null(v))
                return 0;
        if (!json_is_boolean(v))
                return pc_error_set(reterr, -EINVAL, "%s must be true or false", name);
        *ret = json_is_true(v);
        return 0;
}

json_t *pc_session_record_json(const PcSessionRecord *r)
{
        json_t *o = json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s}", "key", r->key, "agentId", r->agent_id, "kind",
                pc_session_list_kind(r->kind), "channel", r->channel ? r->channel : "", "sessionId",
                r->session_id, "updatedAt", (json_int_t) r->updated_at_ms, "createdAt",
                (json_int_t) r->created_at_ms, "displayName", r->label ? r->label : r->key);
        if (r->label)
                json_object_set_new(o, "label", json_string(r->label));
        if (r->spawned_by) {
                json_object_set_new(o, "spawnedBy", json_string(r->spawned_by));
                json_object_set_new(o, "parentSessionKey", json_string(r->spawned_by));
        }
        json_object_set_new(o, "messageCount", json_integer((json_int_t) r->message_count));
        json_object_set_new(o, "toolCallCount", json_integer((json_int_t) r->tool_call_count));
        return o;
}

static bool kind_wanted(const json_t *kinds, const PcSessionRecord *r)
{
        if (!kinds || json_array_size(kinds) == 0)
                return true;
        const char *k = pc_session_list_kind(r->kind);
        size_t i;
        json_t *v;
        json_array_foreach (kinds, i, v)
                if (json_is_string(v) && strcasecmp(json_string_value(v), k) == 0)
                        return true;
        return false;
}

static bool contains(const char *hay, const char *needle)
{
        return hay && strcasestr(hay, needle);
}

int pc_sessions_list_json(PcStore *store, const json_t *params, const PcSessionFilter *filter,
                          json_t **ret, PcError *reterr)
{
        PC_STORE_LOCKED(store);
        if (params && !json_is_object(params))
                return pc_error_set(reterr, -EINVAL, "sessions.list params must be an object");
        json_int_t limit, offset, active, msg_limit;
        const char *agent = NULL, *label = NULL, *spawned_by = NULL, *search = NULL;
        const json_t *kinds = json_object_get(params, "kinds");
        int r;
        if ((r = get_int(params, "limit", 1, PC_SESSIONS_PAGE_MAX, LIST_DEFAULT_LIMIT, &limit,
                         reterr)) < 0 ||
            (r = get_int(params, "offset", 0, INT32_MAX, 0, &offset, reterr)) < 0 ||
            (r = get_int(params, "activeMinutes", 0, INT32_MAX, 0, &active, reterr)) < 0 ||
            (r = get_int(params, "messageLimit", 0, LIST_MAX_MESSAGES, 0, &msg_limit, reterr)) <
                    0 ||
            (r = get_string(params, "agentId", &agent, reterr)) < 0 ||
            (r = get_string(params, "label", &label, reterr)) < 0 ||
            (r = get_string(params, "spawnedBy", &spawned_by, reterr)) < 0 ||
            (r = get_string(params, "search", &search, reterr)) < 0)
                return r;
        if (kinds && !json_is_array(kinds) && !json_is_null(kinds))
                return pc_error_set(reterr, -EINVAL,
                                    "kinds must be an array of main, group, cron, hook, node, "
                                    "other");

        PcSessionRecord *rows = NULL;
        size_t n = 0;
        r = pc_store_session_list(store, agent, &rows, &n, reterr);
        if (r < 0)
                return r;
        int64_t since = 0;
        if (active > 0) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                since = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 - active * 60000;
        }
        json_t *list = json_array();
        json_int_t skipped = 0;
        for (size_t i = 0; i < n && (json_int_t) json_array_size(list) < limit; i++) {
                const PcSessionRecord *s = &rows[i];
                if ((filter && filter->visible && !filter->visible(s, filter->userdata)) ||
                    !kind_wanted(kinds, s) || s->updated_at_ms < since ||
                    (label && !streq_ptr(s->label, label)) ||
                    (spawned_by && !streq_ptr(s->spawned_by, spawned_by)) ||
                    (search && !contains(s->key, search) && !contains(s->label, search)))
                        continue;
                if (skipped++ < offset)
                        continue;
                json_t *o = pc_session_record_json(s);
                if (msg_limit > 0) {
                        json_t *msgs = NULL;
                        bool more = false;
                        r = pc_store_transcript_messages(store, s->key, false, 0,
                                                         (size_t) msg_limit, &msgs, &more, reterr);
                        if (r < 0) {
                                json_decref(o);
                                json_decref(list);
                                pc_session_records_free(rows, n);
                                return r;
                        }
                        json_object_set_new(o, "messages", msgs);
                }
                json_array_append_new(list, o);
        }
        pc_session_records_free(rows, n);
        *ret = json_pack("{s:I,s:o,s:s}", "count", (json_int_t) json_array_size(list), "sessions",
                         list, "path", pc_store_path(store));
        return 0;
}

/* Cuts long text blocks and strips tool blocks; returns false when nothing is left. */
static bool sanitize_message(json_t *m, bool include_tools, bool *truncated, bool *redacted)
{
        json_t *content = json_object_get(m, "content");
        if (json_is_string(content) && json_string_length(content) > PC_HISTORY_MAX_BLOCK_CHARS) {
                json_object_set_new(
                        m, "content",
                        json_stringn(json_string_value(content), PC_HISTORY_MAX_BLOCK_CHARS));
                *truncated = true;
        }
        json_t *kept = json_array();
        size_t i;
        json_t *b;
        json_array_foreach (content, i, b) {
                const char *type = json_string_value(json_object_get(b, "type"));
                if (!include_tools && type && streq(type, "toolCall"))
                        continue;
                json_t *copy = json_deep_copy(b);
                json_t *args = json_object_get(copy, "arguments");
                if (json_is_object(args)) {
                        /* Secrets a caller passed (env, tokens) stay out of the answer. */
                        json_t *before = json_deep_copy(args);
                        pc_redact_json(args);
                        *redacted = *redacted || !json_equal(before, args);
                        json_decref(before);
                }
                json_t *text = json_object_get(copy, "text");
                if (json_is_string(text) && json_string_length(text) > PC_HISTORY_MAX_BLOCK_CHARS) {
                        json_object_set_new(
                                copy, "text",
                                json_stringn(json_string_value(text), PC_HISTORY_MAX_BLOCK_CHARS));
                        *truncated = true;
                }
                json_array_append_new(kept, copy);
        }
        if (json_is_array(content))
                json_object_set_new(m, "content", kept);
        else
                json_decref(kept);
        return !json_is_array(json_object_get(m, "content")) ||
               json_array_size(json_object_get(m, "content")) > 0;
}

int pc_sessions_history_json(PcStore *store, const json_t *params, json_t **ret, PcError *reterr)
{
        PC_STORE_LOCKED(store);
        if (!json_is_object(params))
                return pc_error_set(reterr, -EINVAL, "sessions.history params must be an object");
        const char *key = NULL;
        json_int_t limit, offset;
        bool include_tools;
        int r;
        if ((r = get_string(params, "sessionKey", &key, reterr)) < 0 ||
            (r = get_int(params, "limit", 1, PC_TRANSCRIPT_PAGE_MAX, HISTORY_DEFAULT_LIMIT, &limit,
                         reterr)) < 0 ||
            (r = get_int(params, "offset", 0, INT32_MAX, 0, &offset, reterr)) < 0 ||
            (r = get_bool(params, "includeTools", false, &include_tools, reterr)) < 0)
                return r;
        if (!key || !*key)
                return pc_error_set(reterr, -EINVAL, "sessionKey is required");
        PcSessionRecord rec = {0};
        r = pc_store_session_get(store, key, &rec, reterr);
        if (r < 0)
                return r;
        json_t *msgs = NULL;
        bool more = false;
        r = pc_store_transcript_messages(store, key, include_tools, (size_t) offset, (size_t) limit,
                                         &msgs, &more, reterr);
        if (r < 0) {
                pc_session_record_clear(&rec);
                return r;
        }
        /* Newest first until the byte budget is spent; the older rest is dropped. */
        bool content_truncated = false, redacted = false;
        size_t bytes = 0, n = json_array_size(msgs), dropped = 0;
        json_t *kept_rev = json_array();
        for (size_t i = n; i > 0; i--) {
                json_t *m = json_deep_copy(json_array_get(msgs, i - 1));
                if (!sanitize_message(m, include_tools, &content_truncated, &redacted)) {
                        json_decref(m);
                        continue;
                }
                char *text = json_dumps(m, JSON_COMPACT);
                size_t len = text ? strlen(text) : 0;
                free(text);
                if (bytes + len > PC_HISTORY_MAX_BYTES) {
                        json_decref(m);
                        dropped = i;
                        break;
                }
                bytes += len;
                json_array_append_new(kept_rev, m);
        }
        json_decref(msgs);
        json_t *out = json_array();
        for (size_t i = json_array_size(kept_rev); i > 0; i--)
                json_array_append(out, json_array_get(kept_rev, i - 1));
        json_decref(kept_rev);
        json_t *doc = json_pack("{s:s,s:s,s:o,s:b,s:I,s:b,s:b,s:I}", "sessionKey", rec.key,
                                "sessionId", rec.session_id, "messages", out, "truncated",
                                dropped > 0, "droppedMessages", (json_int_t) dropped,
                                "contentTruncated", content_truncated, "contentRedacted", redacted,
                                "bytes", (json_int_t) bytes);
        if (more || dropped > 0)
                json_object_set_new(doc, "nextOffset",
                                    json_integer(offset + (json_int_t) json_array_size(out)));
        pc_session_record_clear(&rec);
        *ret = doc;
        return 0;
}
