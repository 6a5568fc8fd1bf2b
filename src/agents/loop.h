/* SPDX-License-Identifier: MIT */
/*
 * The agent loop (spec 4.1): one user message for one session, run to the model's final answer.
 *
 *   1. resolves the agent and the session key (as the choke point does) and waits for the
 *      session's run lock, so runs of one session never overlap and later ones queue (a lock
 *      file per session under <state>/agents/<id>/runs/, so the CLI and the gateway queue on
 *      the same lock);
 *   2. resolves the agent's model (agents.*.model: a ref or {primary, fallbacks}) to providers;
 *   3. evaluates the tool policy for the session and offers only the tools it allows, each with
 *      its JSON schema (tool-schemas.c);
 *   4. builds the system prompt (prompt.c) and loads the transcript;
 *   5. appends the user message, then repeats: stream the model's turn (falling back to the next
 *      model when one fails before answering), append the assistant message, run each tool call
 *      through the choke point with caller "agent" (policy, sandbox and audit apply exactly as
 *      for /tools/invoke; a refusal or a call with arguments that are not a JSON object comes
 *      back to the model as an error result), append each toolResult;
 *   6. stops at an answer without tool calls, at PC_AGENT_MAX_TOOL_ROUNDS rounds, or at the
 *      run's time limit (agents.defaults.timeoutSeconds).
 * Every message is appended to the transcript as soon as it exists; a failed model call is
 * recorded as an assistant message with stopReason "error" and errorMessage (and left out of
 * later requests), so the transcript stays a valid conversation.
 */
#pragma once

#include "policy/policy.h"
#include "provider.h"
#include "sandbox/manager.h"
#include "tools/dispatch.h"

#define PC_AGENT_MAX_TOOL_ROUNDS   32
#define PC_AGENT_MAX_MESSAGE_BYTES (1024u * 1024u)
#define PC_AGENT_HISTORY_MAX       PC_TRANSCRIPT_PAGE_MAX

typedef struct PcAgentEvents {
        /* the session key the run uses, as stored, once resolved (before the run waits for the
         * session's lock) */
        void (*session)(const char *key, void *userdata);
        void (*text_delta)(const char *text, size_t len, void *userdata);
        void (*tool_start)(const char *tool, const char *call_id, const json_t *args,
                           void *userdata);
        void (*tool_end)(const char *tool, const char *call_id, bool is_error, const char *text,
                         void *userdata);
        void *userdata;
} PcAgentEvents;

/* How a tool call reaches the choke point: pc_dispatch_invoke() on the manager's thread (the
 * CLI), or a hop to the gateway's tool worker. */
typedef int (*PcAgentInvokeFn)(void *userdata, const PcInvokeRequest *req, PcInvokeResponse *ret,
                               PcError *reterr);

typedef struct PcAgentRunRequest {
        const char *agent_id;    /* NULL: the agent of session_key, else the default agent */
        const char *session_key; /* NULL: the agent's main session */
        const char *message;     /* the user's text */
        const char *caller;      /* recorded in the audit of each tool call: "agent" */
        bool owner;
        PcStore *store;         /* transcripts (the caller's connection) */
        PcAgentInvokeFn invoke; /* NULL: pc_dispatch_invoke(cfg, manager, ...) */
        void *invoke_userdata;
        PcSandboxManager *manager; /* for the default invoke */
        /* > 0: an eventfd that becomes readable to abort the run (chat.abort): the model call
         * stops, the running tool's process is killed (PcInvokeRequest.cancel_fd), no further
         * tool runs, and the run ends with -ECANCELED after recording an assistant message
         * with stopReason "aborted". */
        int cancel_fd;
        /* A session the run creates: its spawnedBy and label (sessions_spawn), or NULL. */
        const char *spawned_by;
        const char *label;
        /* The user message is already the last one of the transcript (sessions_spawn records
         * the task before the run starts): it is not appended again. */
        bool message_recorded;
} PcAgentRunRequest;

typedef struct PcAgentRunResult {
        char *agent_id;
        char *session_key; /* as stored */
        char *session_id;  /* the session row's sessionId, once the transcript has one */
        char *model;       /* the ref that answered */
        char *text;        /* the final answer */
        unsigned tool_calls;
        json_int_t input_tokens, output_tokens;
} PcAgentRunResult;

void pc_agent_run_result_release(PcAgentRunResult *r);

/* Returns 0 with *ret filled, or a negative errno with reterr saying what failed and what to
 * do; ret->session_key is set as soon as it is known, also on failure. */
int pc_agent_run(const PcConfig *cfg, const PcAgentRunRequest *req, const PcAgentEvents *events,
                 PcAgentRunResult *ret, PcError *reterr);

/* The tools offered to the model: [{name, description, parameters}] filtered by policy (NULL:
 * all). New reference. */
json_t *pc_agent_tool_schemas(const PcPolicyResult *policy);

/* The system prompt for a run (prompt.c). New string. */
char *pc_agent_system_prompt(const PcConfig *cfg, const PcAgent *agent, const json_t *effective,
                             const char *session_key, const char *model_ref, bool sandboxed,
                             const json_t *tools);
