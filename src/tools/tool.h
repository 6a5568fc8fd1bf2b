/* SPDX-License-Identifier: MIT */
/*
 * One tool implementation: what dispatch.c (the one choke point) hands a tool after policy,
 * sandbox and session are settled, and what the tool hands back.
 *
 * Tools never decide policy, never pick a sandbox and never write the audit log: dispatch
 * does all three, around every call, for every entry point. A tool only runs.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"
#include "config/config.h"
#include "sandbox/manager.h"
#include "tools/process.h"

/* Where a file tool may read and write: one root per mount, mapping the path the model sees
 * (container path when sandboxed: /workspace, /agent, bind targets; the agent workspace
 * itself when on the host) to a host directory. */
typedef struct PcToolRoot {
        const char *view; /* the path prefix the model uses, e.g. "/workspace" */
        const char *host; /* the host directory it maps to */
        bool writable;    /* false: writes are refused with the spec's read-only message */
} PcToolRoot;

/* An agent run another session's tool starts (sessions_spawn, sessions_send). */
typedef struct PcRunStart {
        const char *agent_id;
        const char *session_key; /* the stored key */
        const char *message;
        bool message_recorded; /* already appended to the transcript (a spawn's task) */
        const char *spawned_by;
        const char *label;
} PcRunStart;

/* How a tool reaches the gateway's agent runs, from a tool worker thread. start returns at
 * once (the run goes on on its own thread, so no worker waits for a worker); wait blocks the
 * calling worker up to timeout_ms. Both are thread-safe. */
typedef struct PcRunHost {
        /* 0 with the run's id in ret_run_id, or a negative errno with reterr (too many runs, a
         * draining gateway). */
        int (*start)(void *userdata, const PcRunStart *req, char *ret_run_id, size_t size,
                     PcError *reterr);
        /* 0 with *ret_reply (the final answer, malloc'd), -ETIMEDOUT, -ECANCELED when
         * cancel_fd (the waiting run's, or 0) became readable, or another negative errno with
         * reterr saying why the run failed. */
        int (*wait)(void *userdata, const char *run_id, int64_t timeout_ms, int cancel_fd,
                    char **ret_reply, PcError *reterr);
        void *userdata;
} PcRunHost;

/* The call as dispatch resolved it. Everything is borrowed for the duration of the call. */
typedef struct PcToolCall {
        const char *tool;   /* normalised tool name ("exec", "read", ...) */
        const json_t *args; /* the arguments object (never NULL; {} when absent) */
        const PcConfig *cfg;
        const PcAgent *agent;
        const char *session_key;
        const json_t *effective; /* pc_config_agent_effective(cfg, agent, false) */
        PcSandboxLease *lease;   /* the session's sandbox, or NULL when on the host */
        const PcToolRoot *roots; /* file roots, most specific first */
        size_t n_roots;
        const char *cwd;  /* the default working directory in the model's view */
        int64_t uid, gid; /* owner for files the tool creates (-1: the caller's) */
        PcStore *store;   /* the state database (sessions, transcripts); NULL: none */
        /* Background processes (exec background/yieldMs, the process tool): the entry point's
         * registry, or NULL where processes cannot outlive the call (the CLI). */
        PcProcessRegistry *processes;
        /* A tool that keeps the lease beyond the call (a background process) takes it from
         * here and sets *take_lease to NULL; dispatch releases what is left. */
        PcSandboxLease **take_lease;
        int cancel_fd;         /* PcInvokeRequest.cancel_fd */
        const PcRunHost *runs; /* PcInvokeRequest.runs */
} PcToolCall;

/* OpenClaw's AgentToolResult: {content: [{type: "text", text}...], details}. A failed tool
 * run is a result with is_error set (the model sees the message), not a PcError; PcError is
 * for "the tool could not run at all" (bad arguments → PC_ERROR_INVALID_ARGUMENT). */
typedef struct PcToolResult {
        json_t *content; /* array of content blocks (owned) */
        json_t *details; /* object or NULL (owned) */
        bool is_error;
        /* for the audit record */
        int exit_code;    /* exec: the exit status; -1 when not applicable */
        size_t bytes_in;  /* what the tool read from its arguments (stdin, file content) */
        size_t bytes_out; /* what it produced */
} PcToolResult;

void pc_tool_result_init(PcToolResult *r);
void pc_tool_result_release(PcToolResult *r);
/* Sets content to one text block (copied) and is_error. */
void pc_tool_result_text(PcToolResult *r, const char *text, bool is_error);

/* The numeric uid/gid of the leased sandbox's user (docker.user, resolved inside the image when
 * it is a name), for the files the tools create; -1 when unknown or when !need (sandbox-ids.c).
 * Also gives a root-owned private workspace to a user given by name. */
void pc_tool_sandbox_ids(PcSandboxLease *lease, bool need, int64_t *ret_uid, int64_t *ret_gid);

typedef int (*PcToolFn)(const PcToolCall *call, PcToolResult *ret, PcError *reterr);

/* The implementations. */
int pc_tool_exec(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_read(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_write(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_edit(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_apply_patch(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_browser(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
int pc_tool_process(const PcToolCall *call, PcToolResult *ret, PcError *reterr);
