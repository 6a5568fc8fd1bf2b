/* SPDX-License-Identifier: MIT */
/*
 * The one choke point (pincer.md item 1): the only function that runs a tool for an agent.
 * Every entry point (the CLI's `pincer tools invoke` now; HTTP /tools/invoke, WebSocket and
 * the agent loop later) calls pc_dispatch_invoke(), which in this order:
 *
 *   1. resolves the agent and the session key (unknown agent, or a session of another agent:
 *      invalid_request);
 *   2. decides whether the session is sandboxed (sandbox.mode and the main-session rule);
 *   3. evaluates the tool policy for that agent, session and sandboxing, and refuses a tool the
 *      policy removes (tool_call_blocked, with the rule that removed it), one the entry point
 *      hides (the HTTP deny list) or one Pincer does not have (not_found);
 *   4. takes a lease on the session's sandbox (created or recreated as needed), or, when the
 *      session is not sandboxed, refuses host execution of exec unless tools.exec.host is
 *      "gateway" (no host exec by default);
 *   5. runs the tool with the file roots of that sandbox (or of the agent workspace);
 *   6. releases the lease (unless a background exec kept it for its process: process.h);
 *   7. records the call and its result (or refusal) in the session's transcript, in one
 *      transaction (tool-sessions.h), and appends exactly one audit record, whatever
 *      happened (audit.h).
 *
 * Not thread-safe: calls run one at a time on the thread that owns the manager (the CLI's
 * main thread; in the gateway, its tool worker), because the backends' exec is synchronous.
 */
#pragma once

#include "sandbox/manager.h"
#include "tool.h"

typedef struct PcInvokeRequest {
        const char *tool;        /* as the caller wrote it ("Bash" works) */
        const json_t *args;      /* object or NULL */
        const char *agent_id;    /* NULL: the agent of session_key, else the default agent */
        const char *session_key; /* NULL: the agent's main session; a bare "x" → agent:<id>:x */
        const char *caller;      /* "cli", "http", "ws", "agent": recorded in the audit */
        bool owner;              /* the caller is an owner (shared-secret HTTP, the CLI) */
        /* The entry point's own filter, applied after the policy (OpenClaw's order): a tool it
         * hides is not_found (404) and audited as such. NULL: nothing hidden. The gateway's HTTP
         * deny list is one. */
        bool (*hidden)(const PcConfig *cfg, const char *tool);
        /* The entry point's background processes (process.h), or NULL: exec background/yieldMs
         * and the process tool are then refused (the CLI). Used on the manager's thread. */
        PcProcessRegistry *processes;
        /* > 0: an eventfd of the agent run making the call; once readable (chat.abort) a
         * foreground exec's process tree is killed. Borrowed. */
        int cancel_fd;
        /* The gateway's agent runs, for sessions_spawn and sessions_send; NULL: those tools
         * answer that no agent runtime is reachable from this entry point. */
        const PcRunHost *runs;
} PcInvokeRequest;

/* OpenClaw's response of POST /tools/invoke, ready to serialise. */
typedef struct PcInvokeResponse {
        int status;             /* 200, 400, 403, 404, 500, 503 */
        const char *error_type; /* NULL on success; "invalid_request", "tool_call_blocked",
                                   "not_found", "tool_error", "unavailable" */
        char message[1024];     /* the error message when error_type is set */
        char tool[64];          /* the normalised tool name */
        PcToolResult result;    /* status 200 */
} PcInvokeResponse;

void pc_invoke_response_release(PcInvokeResponse *r);
/* {"ok":true,"result":{content,details}} or {"ok":false,"toolName":..,"error":{type,message}}. */
json_t *pc_invoke_response_json(const PcInvokeResponse *r);

/* cfg and manager are borrowed. Always fills *ret; returns 0 even for refusals (they are
 * responses), or a negative errno only when the audit record could not be written. */
int pc_dispatch_invoke(const PcConfig *cfg, PcSandboxManager *manager, const PcInvokeRequest *req,
                       PcInvokeResponse *ret, PcError *reterr);
