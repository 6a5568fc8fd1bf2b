/* SPDX-License-Identifier: MIT */
/*
 * The tools a model is offered, with their JSON schemas (loop.h). Only tools Pincer runs are
 * here; the policy then decides which of them an agent's session sees.
 */
#include <string.h>

#include "base/macro.h"
#include "loop.h"

typedef struct Schema {
        const char *name;
        const char *description;
        const char *parameters; /* JSON */
} Schema;

static const Schema schemas[] = {
        {"exec", "Run a shell command (/bin/sh -lc) in the workspace and return its output.",
         "{\"type\":\"object\",\"properties\":{\"command\":{\"type\":\"string\",\"description\":"
         "\"The shell command.\"},\"workdir\":{\"type\":\"string\",\"description\":\"Working "
         "directory (the workspace or below).\"},\"env\":{\"type\":\"object\","
         "\"additionalProperties\":{\"type\":\"string\"}},\"timeoutSeconds\":{\"type\":"
         "\"integer\",\"minimum\":0},\"yieldMs\":{\"type\":\"integer\",\"minimum\":0,"
         "\"description\":\"Return after this many ms with a process id if still running.\"},"
         "\"background\":{\"type\":\"boolean\",\"description\":\"Start in the background "
         "and return a process id at once.\"}},\"required\":[\"command\"]}"},
        {"process",
         "Follow up on background exec runs of this session: list, poll, log, write "
         "(stdin), send-keys, kill, clear, remove.",
         "{\"type\":\"object\",\"properties\":{\"action\":{\"type\":\"string\",\"enum\":["
         "\"list\",\"poll\",\"log\",\"write\",\"send-keys\",\"kill\",\"clear\",\"remove\"]},"
         "\"sessionId\":{\"type\":\"string\",\"description\":\"The process id exec "
         "returned.\"},\"data\":{\"type\":\"string\"},\"eof\":{\"type\":\"boolean\"},"
         "\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"offset\":{"
         "\"type\":\"integer\",\"minimum\":0},\"limit\":{\"type\":\"integer\",\"minimum\":"
         "1},\"timeout\":{\"type\":\"integer\",\"minimum\":0,\"description\":\"poll: wait "
         "up to this many ms for new output.\"}},\"required\":[\"action\"]}"},
        {"browser",
         "Drive a headless Chromium (inside the sandbox when sandboxed: localhost is your own "
         "servers). navigate returns a snapshot with element refs (e1, e2, ...); act uses them. "
         "screenshot returns a PNG image.",
         "{\"type\":\"object\",\"properties\":{\"action\":{\"type\":\"string\",\"enum\":["
         "\"status\",\"start\",\"stop\",\"tabs\",\"open\",\"focus\",\"close\",\"navigate\","
         "\"snapshot\",\"screenshot\",\"act\",\"console\"]},\"targetUrl\":{\"type\":"
         "\"string\"},\"targetId\":{\"type\":\"string\",\"description\":\"A tab from "
         "tabs.\"},\"fullPage\":{\"type\":\"boolean\"},\"ref\":{\"type\":\"string\","
         "\"description\":\"screenshot: one element.\"},\"interactive\":{\"type\":"
         "\"boolean\"},\"maxChars\":{\"type\":\"integer\",\"minimum\":1},\"level\":{"
         "\"type\":\"string\"},\"timeoutMs\":{\"type\":\"integer\",\"minimum\":1},"
         "\"request\":{\"type\":\"object\",\"description\":\"act: {kind: click|type|fill|"
         "press|hover|scroll|wait|evaluate, ref, text, submit, key, button, doubleClick, "
         "deltaY, timeMs, fn}\",\"properties\":{\"kind\":{\"type\":\"string\"},\"ref\":{"
         "\"type\":\"string\"},\"text\":{\"type\":\"string\"},\"key\":{\"type\":"
         "\"string\"}}}},\"required\":[\"action\"]}"},
        {"read", "Read a text file (or an image) from the workspace.",
         "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"offset\":{"
         "\"type\":\"integer\",\"minimum\":1,\"description\":\"First line (1-based).\"},"
         "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"description\":\"Most lines.\"}},"
         "\"required\":[\"path\"]}"},
        {"write", "Create or replace a file with the given content.",
         "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"content\":{"
         "\"type\":\"string\"}},\"required\":[\"path\",\"content\"]}"},
        {"edit", "Replace one exact, unique piece of text in a file.",
         "{\"type\":\"object\",\"properties\":{\"path\":{\"type\":\"string\"},\"oldText\":{"
         "\"type\":\"string\"},\"newText\":{\"type\":\"string\"}},\"required\":[\"path\","
         "\"oldText\",\"newText\"]}"},
        {"apply_patch", "Apply a patch (*** Begin Patch ... *** End Patch) to workspace files.",
         "{\"type\":\"object\",\"properties\":{\"input\":{\"type\":\"string\",\"description\":"
         "\"The whole patch text.\"}},\"required\":[\"input\"]}"},
        {"session_status", "Show the status of this or another visible session.",
         "{\"type\":\"object\",\"properties\":{\"sessionKey\":{\"type\":\"string\"},\"model\":{"
         "\"type\":\"string\"}}}"},
        {"sessions_list", "List the sessions this session may see.",
         "{\"type\":\"object\",\"properties\":{\"kinds\":{\"type\":\"array\",\"items\":{\"type\":"
         "\"string\"}},\"limit\":{\"type\":\"integer\",\"minimum\":1},\"offset\":{\"type\":"
         "\"integer\",\"minimum\":0},\"activeMinutes\":{\"type\":\"integer\",\"minimum\":1},"
         "\"messageLimit\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":20},\"label\":{"
         "\"type\":\"string\"},\"agentId\":{\"type\":\"string\"},\"search\":{\"type\":"
         "\"string\"}}}"},
        {"sessions_history", "Read the messages of a visible session.",
         "{\"type\":\"object\",\"properties\":{\"sessionKey\":{\"type\":\"string\"},\"limit\":{"
         "\"type\":\"integer\",\"minimum\":1},\"offset\":{\"type\":\"integer\",\"minimum\":0},"
         "\"includeTools\":{\"type\":\"boolean\"}},\"required\":[\"sessionKey\"]}"},
        {"sessions_send", "Send a message to another visible session.",
         "{\"type\":\"object\",\"properties\":{\"sessionKey\":{\"type\":\"string\"},\"label\":{"
         "\"type\":\"string\"},\"agentId\":{\"type\":\"string\"},\"message\":{\"type\":"
         "\"string\"},\"timeoutSeconds\":{\"type\":\"integer\",\"minimum\":0}},\"required\":["
         "\"message\"]}"},
        {"sessions_spawn",
         "Start a sub-agent on a task in a new session of its own; returns at once with the "
         "child session key (read its answer later with sessions_history).",
         "{\"type\":\"object\",\"properties\":{\"task\":{\"type\":\"string\",\"description\":"
         "\"What the sub-agent should do.\"},\"label\":{\"type\":\"string\",\"maxLength\":"
         "100},\"agentId\":{\"type\":\"string\"}},\"required\":[\"task\"]}"},
};

json_t *pc_agent_tool_schemas(const PcPolicyResult *policy)
{
        json_t *out = json_array();
        for (size_t i = 0; i < ELEMENTSOF(schemas); i++) {
                if (policy && !pc_policy_check(policy, schemas[i].name))
                        continue;
                json_t *params = json_loads(schemas[i].parameters, 0, NULL);
                json_array_append_new(out, json_pack("{s:s,s:s,s:o}", "name", schemas[i].name,
                                                     "description", schemas[i].description,
                                                     "parameters", params));
        }
        return out;
}
