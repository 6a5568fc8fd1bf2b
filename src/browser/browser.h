/* SPDX-License-Identifier: MIT */
/*
 * The browser behind the `browser` tool (docs/browser.md): one headless Chromium per key (a
 * sandbox's name, or the agent for an unsandboxed session), driven over CDP on its
 * --remote-debugging-pipe fds.
 *
 *   launch.c    starting and killing Chromium: on the host (fork/exec) or inside a sandbox
 *               (a long-running sandbox exec whose stdin/stdout carry the pipe)
 *   cdp.c       the CDP client (messages, commands, events)
 *   session.c   the registry of running browsers, tabs, console messages, restart after a
 *               crash, idle stop
 *   actions.c   the tool's actions (status, start, stop, tabs, open, focus, close, navigate,
 *               snapshot, screenshot, act, console)
 *   snapshot.c  the page script behind snapshot and element refs
 *
 * Thread-safe: each browser has its own lock, held for one action.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "sandbox/manager.h"

/* How a browser process is started. The host launcher is pc_browser_host_launcher(); the
 * sandbox one lives in launch.c too but needs a sandbox. */
typedef struct PcBrowserProcess PcBrowserProcess;
typedef struct PcBrowserLauncher {
        /* Runs argv (argv[0] looked up in PATH) with the CDP pipe: the browser reads commands
         * from fd 3 and writes to fd 4; *ret_fd is the other end (one socket). */
        int (*start)(void *userdata, const char *const *argv, int *ret_fd,
                     PcBrowserProcess **ret_proc, PcError *reterr);
        void *userdata;
        /* Frees userdata when the browser is gone (NULL: nothing to free). */
        void (*release)(void *userdata);
} PcBrowserLauncher;

/* Kills the process tree and waits for it. */
void pc_browser_process_kill(PcBrowserProcess *p);

/* The host launcher: fork/exec in a new process group, killed with the group. */
extern const PcBrowserLauncher pc_browser_host_launcher;

/* The sandbox launcher: argv runs through the sandbox backend's exec, on a thread of its own.
 * The browser takes *take_lease when it starts (and sets it to NULL): the lease is held while
 * Chromium runs, so the sandbox is not pruned under it, and given back when it exits. Removing
 * the sandbox ends the exec and so the browser. */
void pc_browser_sandbox_launcher(PcSandboxLease **take_lease, PcBrowserLauncher *ret);

typedef struct PcBrowserOptions {
        const char *key;         /* the registry key: one browser per key */
        const char *where;       /* "sandbox" or "host", reported by status */
        const char *executable;  /* the Chromium binary (host: path or name; sandbox: name) */
        const char *profile_dir; /* NULL: a private temporary directory (host only) */
        bool headless;
        bool no_sandbox;       /* --no-sandbox (Chromium's own sandbox off) */
        bool evaluate_enabled; /* act kind "evaluate" */
        bool auto_start;       /* actions start the browser when it is not running */
        int start_timeout_ms;
        int action_timeout_ms;
        const char *const *extra_args; /* NULL-terminated or NULL */
        int idle_stop_ms;              /* 0: never */
        const char *missing_hint;      /* said when the binary is missing */
        PcBrowserLauncher launcher;    /* copied; release() is called by the registry */
} PcBrowserOptions;

/* The result of one action, as OpenClaw's AgentToolResult: content blocks and details. */
typedef struct PcBrowserResult {
        json_t *content; /* array */
        json_t *details; /* object or NULL */
        bool is_error;
} PcBrowserResult;

void pc_browser_result_release(PcBrowserResult *r);

/* Runs one action ({action, ...} as the tool's arguments). Bad arguments are
 * PC_ERROR_INVALID_ARGUMENT; a browser that cannot start or a page error is a result with
 * is_error. Takes over o->launcher (released even on error). */
int pc_browser_invoke(const PcBrowserOptions *o, const json_t *args, PcBrowserResult *ret,
                      PcError *reterr);

/* Stops the browser of key, if any (its sandbox is going away). */
void pc_browser_stop_key(const char *key);
/* Stops every browser (the gateway is stopping) and idle ones (now_only_idle). */
void pc_browser_stop_all(void);
void pc_browser_stop_idle(void);
