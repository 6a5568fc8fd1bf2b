/* SPDX-License-Identifier: MIT */
/*
 * Sessions in the tools layer: recording each call in its session's transcript
 * (tool-session-record.c) and the session tools (tool-sessions.c: session_status,
 * sessions_list, sessions_history, sessions_send, sessions_spawn; docs/tools.md).
 */
#pragma once

#include "dispatch.h"
#include "store/sessions.h"

/* The key a session is stored under: session_key with the main-session aliases ("main",
 * "agent:<id>:main", the legacy "agent:main:main") mapped to the agent's main key, which is
 * "global" under session.scope "global" (the sandbox's canonicalisation). */
char *pc_tool_session_canonical_key(const PcConfig *cfg, const PcAgent *agent,
                                    const char *session_key);

/*
 * Appends the finished call to the transcript of session_key (creating the session row on
 * first use), in one transaction: an assistant message holding the toolCall block
 * {type:"toolCall", id, name, arguments} and the toolResult message {role:"toolResult",
 * toolCallId, toolName, content, details?, isError, timestamp} (spec 2.2). A refused call is
 * recorded too, with the refusal as an error result. store NULL: nothing is recorded.
 * Called once, by pc_dispatch_invoke(), after the call and before it answers.
 */
int pc_tool_session_record(PcStore *store, const PcConfig *cfg, const PcAgent *agent,
                           const char *session_key, const PcInvokeRequest *req,
                           const PcInvokeResponse *resp, PcError *reterr);

/* The session tools. They run in the gateway against the store, never in a sandbox:
 * pc_tool_session_in_gateway() tells dispatch which tools those are. */
bool pc_tool_session_in_gateway(const char *tool);
int pc_tool_session_status(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_sessions_list(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_sessions_history(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_sessions_send(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_sessions_spawn(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
