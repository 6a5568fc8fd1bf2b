/* SPDX-License-Identifier: MIT */
/*
 * Shared inside src/sandbox/native/ only: the runtime pieces of the native backend.
 *
 *   spawn.c    fork → setsid → join the v1 cgroups → [setns the userns] → unshare the
 *              namespaces → fork pid 1 into the cgroup2 group
 *   userns.c   the user namespace of sandbox.native.userns, created and mapped by the host
 *   mount.c    the mount sources, opened (and idmapped) by the host before the fork, and the
 *              filesystem of the new pid 1 (section 6 of the design notes, steps 2-7)
 *   init.c     pid 1: accepts exec requests on the control socket, forks and watches each
 *              command itself, reaps orphans
 *   caps.c     the privilege drop of each exec (steps 9-11)
 *   control.c  the request protocol, both sides
 *   login-env.c pid 1's cache of login environments (the exec tool's `sh -lc`)
 *
 * Everything that runs in a forked child returns -errno and never logs.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "base/error.h"
#include "cgroup.h"
#include "plan.h"
#include "sandbox/sandbox.h"
#include "seccomp.h"

#define PC_NATIVE_CONTROL_SOCK "control.sock"
#define PC_NATIVE_STATE_FILE   "state.json"
#define PC_NATIVE_INIT_COMM    "pincer-init"
/* The stack pid 1's command children use until they exec (init.c spawn_child). */
#define PC_NATIVE_SPAWN_STACK (256u * 1024u)
/* A request's argv + env + workdir, encoded; bigger requests are refused. */
#define PC_NATIVE_REQUEST_MAX (4u * 1024u * 1024u)

/* What pid 1 needs to run each exec; lives in pid 1's memory (copied by fork). */
typedef struct PcNativeInit {
        const PcNativePlan *plan;
        const char *rootfs;  /* host path of the image's root filesystem */
        const char *run_dir; /* host path of <state dir>/run/native/<name> */
        uid_t uid;           /* spec->user resolved in the image */
        gid_t gid;
        const char *home; /* the user's home in the image's passwd, else "/" */
        const PcSeccompFilter *filter;
        /* pid 1 loads filter once for itself and every command inherits it (loading it per
         * exec cost about 0.2 ms: the kernel checks, JITs and builds its syscall cache for each
         * new filter); false: each command loads it (a user's profile may deny what pid 1
         * needs: accept4, clone, wait4, kill, ...) */
        bool filter_in_init;
} PcNativeInit;

/* spawn.c: starts the sandbox's pid 1, detached from the caller (its parent is the host's
 * init or subreaper), in the cgroups of join (cgroup.h; opened by the caller). The control
 * socket is bound at <run_dir>/control.sock before. Returns the host pid of pid 1 once its
 * filesystem is ready, or -errno with reterr quoting the setup step that failed. */
int pc__native_spawn(const PcNativeInit *init, const PcCgroupJoin *join, pid_t *ret_pid,
                     PcError *reterr);

/* userns.c: a new user namespace with the map "0 PC_NATIVE_USERNS_BASE PC_NATIVE_USERNS_COUNT"
 * for uids and gids, written by this (privileged) process; returns its fd (O_CLOEXEC), which
 * keeps it alive, for setns() and MOUNT_ATTR_IDMAP. */
int pc__native_userns_new(int *ret_fd, PcError *reterr);

/* userns.c: refuses (with a hint) when /etc/subuid or /etc/subgid delegates part of the
 * sandboxes' host id range to someone. */
int pc__native_userns_check_host(PcError *reterr);

/* The host-side sources of a sandbox's mounts, opened by the creator in the host's mount
 * namespace before the fork: detached mounts (open_tree(OPEN_TREE_CLONE)) with private
 * propagation and the plan's flags, idmapped with the sandbox's user namespace when it has
 * one (only a process privileged in the host's namespace may idmap a mount). */
typedef struct PcNativeSources {
        int run_dir_fd; /* O_PATH of the run dir: pid 1 (its cwd) may not be able to look the
                           path up */
        int lower_fd;   /* the image's root filesystem */
        int *fds;       /* per plan mount: a detached mount, or -1 (tmpfs) */
        size_t n;
} PcNativeSources;

/* mount.c: opens them; userns_fd < 0: no idmap. */
int pc__native_sources_open(const PcNativeInit *init, int userns_fd, PcNativeSources *ret,
                            PcError *reterr);
void pc__native_sources_close(PcNativeSources *s);

/* mount.c: in the new mount namespace, builds the root from the sources and the plan's
 * mounts and pivots into it. On failure returns -errno and writes the step into msg. */
int pc__native_setup_root(const PcNativeInit *init, const PcNativeSources *src, char *msg,
                          size_t msg_size);

/* mount.c: brings the loopback interface of the current network namespace up. */
int pc__native_loopback_up(void);

/* caps.c: bounding set, ambient set, securebits, groups, uid/gid, then the permitted,
 * effective and inheritable sets: only the capabilities in keep stay, and only for uid 0.
 * Async-signal-safe. Returns 0 or -errno. */
int pc__native_drop_privileges(uint64_t keep, uid_t uid, gid_t gid);

/* init.c: the pid-1 loop on listen_fd; never returns. */
_noreturn_ void pc__native_init_main(const PcNativeInit *init, int listen_fd);

/* The value of name in a "K=V" vector, or NULL. Also runs in pid 1's CLONE_VM children
 * (init.c), hence not instrumented. */
static inline _no_sanitize_address_ const char *pc__native_env_get(char *const *env,
                                                                   const char *name)
{
        size_t n = strlen(name);
        for (; env && *env; env++)
                if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
                        return *env + n + 1;
        return NULL;
}

/* login-env.c: pid 1's cache of the environments login shells produce. */
#define PC_LOGIN_CACHE_ENTRIES    16
#define PC_LOGIN_PROBE_TIMEOUT_MS 10000u
#define PC_LOGIN_PROBE_MAX_OUTPUT PC_NATIVE_REQUEST_MAX

typedef struct PcLoginCache PcLoginCache;

typedef struct PcLoginDecision {
        bool hit;   /* run `argv0 -c SCRIPT` with env and umask instead of `argv0 -lc SCRIPT` */
        char **env; /* borrowed from the cache until its next call */
        mode_t umask;
        void *probe; /* not NULL: start a probe (pc__login_probe_script) with the request's
                        environment and working directory, then pc__login_probe_started() */
} PcLoginDecision;

/* The script a probe runs with `argv0 -lc`: its stdout and stderr go to one pipe. */
extern const char *const pc__login_probe_script;

PcLoginCache *pc__login_cache_new(void);
/* For a request `argv0 -lc SCRIPT` with the complete environment envp in workdir. */
void pc__login_cache_decide(PcLoginCache *c, const char *argv0, char **envp, const char *workdir,
                            PcLoginDecision *ret);
/* Right before a probe starts: records the state of the login files; false (and the entry
 * is dropped) when the cache does not apply any more (a $HOME/.profile appeared). */
bool pc__login_probe_prepare(PcLoginCache *c, void *probe);
/* pid <= 0 or fd < 0: the probe could not start (the key is then not cached). fd is the
 * read end of its output pipe, non-blocking; the cache owns it. */
void pc__login_probe_started(PcLoginCache *c, void *probe, pid_t pid, int fd, uint64_t now_ms);
/* Fills exactly PC_LOGIN_CACHE_ENTRIES pollfds (fd -1 where no probe runs). */
size_t pc__login_cache_pollfds(const PcLoginCache *c, struct pollfd *p, size_t max);
/* The nearest probe deadline in ms, 0: none. */
uint64_t pc__login_cache_deadline(const PcLoginCache *c);
/* After poll: reads the probes' output, finishes them, kills the ones past their deadline. */
void pc__login_cache_step(PcLoginCache *c, const struct pollfd *p, size_t n, uint64_t now_ms);

/* The request is `/bin/sh -lc SCRIPT` and pid 1 may use its login environment cache. */
#define PC_NATIVE_REQUEST_LOGIN_CACHE (1u << 0)

/* control.c: one decoded request (the server side). */
typedef struct PcNativeRequest {
        char *workdir; /* NULL: the plan's */
        char **argv;   /* NULL-terminated, at least one */
        char **env;    /* "K=V", NULL-terminated */
        uint64_t timeout_ms;
        uint32_t flags; /* PC_NATIVE_REQUEST_* */
        char *blob;     /* the storage the strings point into */
} PcNativeRequest;

typedef struct PcNativeReply {
        int32_t exit_code; /* -1 when killed by a signal */
        int32_t signal;
        int32_t timed_out;
        int32_t error; /* -errno when the command could not be started at all, else 0 */
} PcNativeReply;

void pc__native_request_release(PcNativeRequest *r);
/* Reads one request and its three fds (stdin, stdout, stderr) from conn. */
int pc__native_request_recv(int conn, PcNativeRequest *ret, int ret_fds[3]);
int pc__native_reply_send(int conn, const PcNativeReply *reply);

/* The client side: connects to <run_dir>/control.sock (run_dir_fd is an O_PATH or directory
 * fd of the run dir, so long state-dir paths work), sends req with pipes, relays stdin, reads
 * stdout/stderr with the cap, and fills ret. -ENOENT / -ECONNREFUSED when no helper listens. */
int pc__native_control_exec(int run_dir_fd, const PcExecRequest *req, PcExecResult *ret,
                            PcError *reterr);

/* The address of <dir_fd>/control.sock through /proc/self/fd (short, whatever the path). */
int pc__native_control_addr(int run_dir_fd, void *ret_sockaddr_un, unsigned *ret_len);
