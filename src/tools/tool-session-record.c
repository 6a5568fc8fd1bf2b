/* SPDX-License-Identifier: MIT */
/* Each call through the choke point, recorded in its session's transcript (tool-sessions.h). */
#include <stdatomic.h>
#include <time.h>

#include "base/alloc.h"
#include "policy/policy.h"
#include "tool-sessions.h"

static int64_t wall_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* OpenClaw's usage object, all zero: no model produced these calls. */
static json_t *zero_usage(void)
{
        return json_pack("{s:i,s:i,s:i,s:i,s:i,s:{s:i,s:i,s:i,s:i,s:i}}", "input", 0, "output", 0,
                         "cacheRead", 0, "cacheWrite", 0, "totalTokens", 0, "cost", "input", 0,
                         "output", 0, "cacheRead", 0, "cacheWrite", 0, "total", 0);
}

char *pc_tool_session_canonical_key(const PcConfig *cfg, const PcAgent *agent,
                                    const char *session_key)
{
        _cleanup_free_ char *main_key = pc_policy_session_main_key(cfg, agent);
        return pc_sandbox_canonical_session_key(session_key, agent->id, streq(main_key, "global"));
}

/* now, or one past the last id handed out: concurrent calls in the same millisecond get
 * distinct ids of the spec's shape instead of two toolCalls with one id in a transcript. */
static int64_t unique_ms(int64_t now)
{
        static _Atomic int64_t last;
        int64_t prev = atomic_load(&last), next;
        do
                next = now > prev ? now : prev + 1;
        while (!atomic_compare_exchange_weak(&last, &prev, next));
        return next;
}

int pc_tool_session_record(PcStore *store, const PcConfig *cfg, const PcAgent *agent,
                           const char *session_key, const PcInvokeRequest *req,
                           const PcInvokeResponse *resp, PcError *reterr)
{
        if (!store || !session_key || !*session_key || !*resp->tool)
                return 0;
        /* The agent loop records the model's own toolCall and toolResult (agents/loop.h). */
        if (streq_ptr(req->caller, "agent"))
                return 0;
        int64_t now = wall_ms();
        const char *caller = req->caller ? req->caller : "unknown";
        /* The spec's tool-call ids: http-<ms> for HTTP, rpc-<ms> for the WebSocket. */
        _cleanup_free_ char *call_id = xasprintf("%s-%lld", streq(caller, "ws") ? "rpc" : caller,
                                                 (long long) unique_ms(now));
        json_t *args =
                req->args && json_is_object(req->args) ? json_deep_copy(req->args) : json_object();
        json_t *assistant = json_pack(
                "{s:s,s:[{s:s,s:s,s:s,s:o}],s:s,s:s,s:s,s:o,s:s,s:I}", "role", "assistant",
                "content", "type", "toolCall", "id", call_id, "name", resp->tool, "arguments", args,
                "api", "pincer-tools-invoke", "provider", "pincer", "model", caller, "usage",
                zero_usage(), "stopReason", "toolUse", "timestamp", (json_int_t) now);

        json_t *result;
        if (resp->error_type) {
                result = json_pack("{s:s,s:s,s:s,s:[{s:s,s:s}],s:{s:i,s:s},s:b,s:I}", "role",
                                   "toolResult", "toolCallId", call_id, "toolName", resp->tool,
                                   "content", "type", "text", "text", resp->message, "details",
                                   "status", resp->status, "errorType", resp->error_type, "isError",
                                   1, "timestamp", (json_int_t) now);
        } else {
                result = json_pack("{s:s,s:s,s:s,s:O,s:b,s:I}", "role", "toolResult", "toolCallId",
                                   call_id, "toolName", resp->tool, "content",
                                   resp->result.content ? resp->result.content : json_array(),
                                   "isError", resp->result.is_error, "timestamp", (json_int_t) now);
                if (!resp->result.content)
                        json_decref(json_object_get(result, "content"));
                if (resp->result.details)
                        json_object_set(result, "details", resp->result.details);
        }
        _cleanup_free_ char *main_key = pc_policy_session_main_key(cfg, agent);
        _cleanup_free_ char *key = pc_tool_session_canonical_key(cfg, agent, session_key);
        PcSessionInit init = {.key = key, .agent_id = agent->id, .main_key = main_key};
        json_t *const msgs[] = {assistant, result};
        int r = pc_store_transcript_append(store, &init, msgs, 2, now, reterr);
        json_decref(assistant);
        json_decref(result);
        return r;
}
