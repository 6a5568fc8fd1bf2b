/* SPDX-License-Identifier: MIT */
/*
 * The fake sandbox backend: runs nothing, records every call, and fails on request. For fast
 * tests of everything above the backends (manager, tools, gateway) without Docker or
 * namespaces. Sandboxes "exist" in the fake's own table, so create/inspect/destroy behave like
 * a real engine (create of an existing name is -EEXIST; inspect of an unknown name is MISSING).
 *
 * Usage: PcFakeBackend *fb = pc_fake_backend_new(); pc_sandbox_new(&pc_fake_sandbox_ops, fb,
 * name); ... inspect fb->calls; pc_fake_backend_free(fb). The backend must outlive the
 * handles that use it. The ops may run on several threads (background execs); the fields
 * below are for the test's thread while no exec runs, except pc_fake_backend_count().
 */
#pragma once

#include "sandbox/sandbox.h"

typedef enum PcFakeOp {
        PC_FAKE_CREATE,
        PC_FAKE_EXEC,
        PC_FAKE_DESTROY,
        PC_FAKE_INSPECT,
        PC_FAKE_STATS,
        _PC_FAKE_OP_MAX,
} PcFakeOp;

const char *pc_fake_op_to_string(PcFakeOp op);

/* One recorded call. */
typedef struct PcFakeCall {
        PcFakeOp op;
        char *name;        /* the sandbox name */
        char *config_hash; /* create: the spec's hash; else NULL */
        char *argv;        /* exec: the argv joined with ' '; else NULL */
        char *workdir;     /* exec: the request's workdir or NULL */
        size_t n_env;      /* exec: how many variables the request carried */
        int result;        /* what the call returned */
} PcFakeCall;

/* One sandbox the fake believes exists. */
typedef struct PcFakeSandbox {
        char *name;
        char config_hash[PC_SHA256_HEX_SIZE];
        PcSandboxState state;
        char *spec_json; /* what create received: pc_sandbox_spec_to_json(spec, false), compact
                            with sorted keys */
} PcFakeSandbox;

typedef struct PcFakeBackend {
        PcFakeCall *calls;
        size_t n_calls;
        PcFakeSandbox *sandboxes;
        size_t n_sandboxes;

        /* Failure injection: when fail[op] is a negative errno, the next call of that op fails
         * with it (message fail_msg[op] or a default) and fail[op] is reset to 0, unless
         * fail_sticky[op] is set. */
        int fail[_PC_FAKE_OP_MAX];
        bool fail_sticky[_PC_FAKE_OP_MAX];
        char fail_msg[_PC_FAKE_OP_MAX][128];

        /* What exec returns: exit status, and stdout/stderr copied into the result. */
        int exec_exit_code;
        char *exec_stdout;
        char *exec_stderr;
} PcFakeBackend;

extern const PcSandboxOps pc_fake_sandbox_ops;

PcFakeBackend *pc_fake_backend_new(void);
PcFakeBackend *pc_fake_backend_free(PcFakeBackend *fb);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcFakeBackend *, pc_fake_backend_free);

/* Sets what the next exec calls produce (strings copied; NULL = empty). */
void pc_fake_backend_set_exec_result(PcFakeBackend *fb, int exit_code, const char *out,
                                     const char *err);

/* Makes op fail with code (a negative errno) once, or on every call when sticky. */
void pc_fake_backend_fail(PcFakeBackend *fb, PcFakeOp op, int code, bool sticky, const char *msg);

/* Pretends a sandbox exists (left by an earlier run), with the given hash and state. */
void pc_fake_backend_add_existing(PcFakeBackend *fb, const char *name, const char *config_hash,
                                  PcSandboxState state);

/* The sandbox the fake holds under name, or NULL. */
const PcFakeSandbox *pc_fake_backend_find(const PcFakeBackend *fb, const char *name);

/* How many recorded calls of op there are. */
size_t pc_fake_backend_count(const PcFakeBackend *fb, PcFakeOp op);
