/* SPDX-License-Identifier: MIT */
/*
 * The sandbox manager's pure core: everything that decides WHAT sandbox a session gets, and
 * the small vtable the backends (docker, native, fake) implement to execute that decision.
 * Normative behaviour: OpenClaw's sandbox spec sections 1.3-1.11, 2.3 and 2.8, with Pincer's
 * deliberate differences (docs/sandbox.md, shared design "Where Pincer deliberately differs").
 *
 *   session key ──► PcSandboxSession      is it sandboxed? which agent? (spec 1.3)
 *               ──► scope key, name       session / agent / shared, slug, 63-char cap (1.4)
 *   effective agent config ──► PcSandboxSpec
 *                                         the normalised, backend-neutral create spec:
 *                                         workspace layout and mounts (1.5, 1.6), docker.*
 *                                         (1.8), bind safety (1.9), network (1.10), env
 *                                         sanitisation (1.11), user (2.3), config hash (2.8)
 *   PcSandboxSpec ──► PcSandboxOps        a backend creates / execs / destroys / inspects it
 *
 * Nothing here starts a process or talks to Docker. The only I/O is on the host filesystem:
 * mkdir of the workspace directories, stat of the workspace (user resolution) and realpath
 * of bind sources (symlink-escape checks).
 *
 * Errors follow docs/design/errors.md: primitives return -errno; operations a user sees take
 * a caller-owned PcError last. Nothing here logs above debug level. Single-threaded: the loop
 * thread owns every object; nothing is shared behind the caller's back.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/sha256.h"
#include "config/config.h"

typedef struct PcSandboxSpec PcSandboxSpec;

/* ---- enums ----------------------------------------------------------------------------- */

typedef enum PcSandboxMode {
        PC_SANDBOX_MODE_OFF,
        PC_SANDBOX_MODE_NON_MAIN,
        PC_SANDBOX_MODE_ALL,
        _PC_SANDBOX_MODE_MAX,
        _PC_SANDBOX_MODE_INVALID = -EINVAL,
} PcSandboxMode;

typedef enum PcSandboxScope {
        PC_SANDBOX_SCOPE_SESSION,
        PC_SANDBOX_SCOPE_AGENT,
        PC_SANDBOX_SCOPE_SHARED,
        _PC_SANDBOX_SCOPE_MAX,
        _PC_SANDBOX_SCOPE_INVALID = -EINVAL,
} PcSandboxScope;

typedef enum PcWorkspaceAccess {
        PC_WORKSPACE_ACCESS_NONE,
        PC_WORKSPACE_ACCESS_RO,
        PC_WORKSPACE_ACCESS_RW,
        _PC_WORKSPACE_ACCESS_MAX,
        _PC_WORKSPACE_ACCESS_INVALID = -EINVAL,
} PcWorkspaceAccess;

typedef enum PcMountKind {
        PC_MOUNT_WORKSPACE, /* the workspace dir, at the workdir */
        PC_MOUNT_AGENT,     /* the agent workspace, at /agent (workspaceAccess "ro" only) */
        PC_MOUNT_BIND,      /* a docker.binds entry */
        _PC_MOUNT_KIND_MAX,
        _PC_MOUNT_KIND_INVALID = -EINVAL,
} PcMountKind;

/* The config strings ("off", "non-main", ...) ↔ enums. from_string returns _INVALID (-EINVAL)
 * for unknown text; to_string returns NULL for out-of-range values. */
const char *pc_sandbox_mode_to_string(PcSandboxMode m);
PcSandboxMode pc_sandbox_mode_from_string(const char *s);
const char *pc_sandbox_scope_to_string(PcSandboxScope s);
PcSandboxScope pc_sandbox_scope_from_string(const char *s);
const char *pc_workspace_access_to_string(PcWorkspaceAccess a);
PcWorkspaceAccess pc_workspace_access_from_string(const char *s);
const char *pc_mount_kind_to_string(PcMountKind k);

/* ---- small value types ----------------------------------------------------------------- */

/* A name/value pair (environment variables, labels). Owned by the array that holds it. */
typedef struct PcKeyValue {
        char *key;
        char *value;
} PcKeyValue;

typedef struct PcSandboxTmpfs {
        char *path;    /* absolute container path */
        char *options; /* text after the first ':' ("size=64m,mode=1777"), or NULL */
} PcSandboxTmpfs;

typedef struct PcSandboxUlimit {
        char *name;   /* nofile, nproc, ... */
        int64_t soft; /* -1 = unlimited */
        int64_t hard; /* -1 = unlimited; a single configured value sets both */
} PcSandboxUlimit;

typedef struct PcSandboxMount {
        PcMountKind kind;
        char *source;   /* host path: normalised, and for binds resolved as the kernel walks
                           it, following symlinks (the path that passed the safety checks);
                           it may not exist yet */
        char *target;   /* normalised absolute container path */
        bool read_only; /* binds: options contain "ro" */
        char *options;  /* binds: the raw option text after the second ':' ("ro,z"), or NULL;
                           managed mounts: NULL (SELinux relabelling is the backend's call) */
} PcSandboxMount;

/* ---- 1.3: is a session sandboxed? ------------------------------------------------------ */

/* The agent id of a key "agent:<id>:<rest>" (case-insensitive; at least three non-empty
 * ':'-separated parts), normalised with pc_agent_id_normalize(). Returns a new string, or
 * NULL when the key carries no agent (then the default agent owns it). */
char *pc_session_key_agent_id(const char *session_key);

/* The agent's main session key: "global" when global_scope (session.scope "global"), else
 * "agent:<agent_id>:main" (session.mainKey is always "main"). Returns a new string. */
char *pc_sandbox_main_session_key(const char *agent_id, bool global_scope);

/* OpenClaw's canonicalizeMainSessionAlias: the trimmed key, except that the aliases "main",
 * "agent:<agent_id>:main" and the legacy "agent:main:main" become the agent's main key (or
 * "global" under global scope). The comparison is exact (case-sensitive), so an odd-cased
 * alias is not main and stays sandboxed under "non-main". Returns a new string. */
char *pc_sandbox_canonical_session_key(const char *session_key, const char *agent_id,
                                       bool global_scope);

/* The decision itself: off → false, all → true, non-main → canonical_key differs from
 * main_key. An empty (or NULL) canonical key is never sandboxed. */
bool pc_sandbox_mode_sandboxes(PcSandboxMode mode, const char *canonical_key, const char *main_key);

/* The resolved view of one session. Owned by the caller; release with
 * pc_sandbox_session_release(). */
typedef struct PcSandboxSession {
        char *session_key;   /* trimmed input */
        char *agent_id;      /* from the key, else the default agent */
        char *main_key;      /* the agent's main session key, or "global" */
        char *canonical_key; /* session_key after alias canonicalisation */
        PcSandboxMode mode;  /* the agent's effective sandbox.mode */
        bool sandboxed;
} PcSandboxSession;

void pc_sandbox_session_release(PcSandboxSession *s);

/* Resolves a session against the effective configuration of its agent (the JSON of
 * pc_config_agent_effective(cfg, agent, false): reads id, mainSessionKey, sandbox.mode).
 * The caller must have picked the agent that owns the key. Returns 0, or -EINVAL (with
 * reterr) when the effective view lacks those fields. */
int pc_sandbox_session_from_effective(const json_t *effective, const char *session_key,
                                      PcSandboxSession *ret, PcError *reterr);

/* Picks the agent from the key (or the default agent), then as above. Returns 0, or
 * -ENOENT when the key names an agent the configuration does not have. */
int pc_sandbox_session_resolve(const PcConfig *cfg, const char *session_key, PcSandboxSession *ret,
                               PcError *reterr);

/* ---- 1.4: scope keys, slugs, names ----------------------------------------------------- */

#define PC_SANDBOX_NAME_MAX       63 /* Docker's limit, applied to every backend */
#define PC_SANDBOX_DEFAULT_PREFIX "pincer-sbx-"
#define PC_SANDBOX_SLUG_BASE_MAX  32

/* session: the trimmed session key ("main" when empty); agent: "agent:<agent_id>"; shared:
 * "shared". Returns a new string. */
char *pc_sandbox_scope_key(PcSandboxScope scope, const char *session_key, const char *agent_id);

/* slug(s): t = trim(s) or "session"; h = the first 8 hex digits of SHA-256(t); safe = lower
 * case t with every run of characters outside [a-z0-9._-] replaced by one '-', and leading
 * and trailing '-' stripped; base = the first 32 bytes of safe (or "session"); result
 * "<base>-<h>". slug("agent:main") = "agent-main-f331f052". Returns a new string. */
char *pc_sandbox_slug(const char *s);

/* The sandbox name: prefix + (scope shared ? "shared" : slug(scope_key)), cut to 63 bytes.
 * prefix NULL means PC_SANDBOX_DEFAULT_PREFIX. Returns a new string. */
char *pc_sandbox_name(const char *prefix, PcSandboxScope scope, const char *scope_key);

/* The per-scope private workspace on the host: <root>/<slug(scope_key)>, or <root> itself
 * for shared. Returns a new string. */
char *pc_sandbox_workspace_dir(const char *workspace_root, PcSandboxScope scope,
                               const char *scope_key);

/* ---- 1.8: value parsers ---------------------------------------------------------------- */

/* Docker's RAMInBytes: a non-negative number with an optional unit k, m, g, t or p
 * (optionally followed by "i" and/or "b", any case, one optional space before it), all binary
 * (1k = 1024); a fraction is truncated to whole bytes ("1.5k" = 1536). Returns 0 with
 * *ret_bytes, -EINVAL for bad syntax, -ERANGE above INT64_MAX. */
int pc_sandbox_parse_memory(const char *s, int64_t *ret_bytes);

/* A memory or memorySwap config value: a JSON integer (bytes; -1 = unlimited is accepted
 * only when allow_unlimited), a real (truncated) or a string as above. */
int pc_sandbox_memory_from_json(const json_t *v, bool allow_unlimited, int64_t *ret_bytes);

/* One ulimit value: "soft:hard" or "n" string, an integer (both), or {soft?, hard?} (a
 * missing side takes the other's value). -1 = unlimited. Returns 0 or -EINVAL. */
int pc_sandbox_ulimit_from_json(const json_t *v, int64_t *ret_soft, int64_t *ret_hard);

/* ---- 1.11: environment sanitisation ---------------------------------------------------- */

/* Pincer applies these rules to the create-time environment AND to every exec (OpenClaw
 * filters only `docker create`). A variable is dropped when its name matches OpenClaw's
 * list (ANTHROPIC_API_KEY, ..., AWS_SECRET_ACCESS_KEY, GH_TOKEN, ...) or ends in API_KEY,
 * TOKEN, PASSWORD, PRIVATE_KEY or SECRET (case-insensitive), or its value contains NUL. It
 * is kept with a warning when the value is longer than 32768 bytes or looks like base64
 * credential data (^[A-Za-z0-9+/=]{80,}$). Names are trimmed; empty names are skipped. */

typedef enum PcEnvVerdict {
        PC_ENV_OK,
        PC_ENV_BLOCKED_NAME,
        PC_ENV_BLOCKED_NUL,
        PC_ENV_WARN_LONG,
        PC_ENV_WARN_BASE64,
} PcEnvVerdict;

PcEnvVerdict pc_sandbox_env_check(const char *name, const char *value, size_t value_len);
bool pc_sandbox_env_name_blocked(const char *name);

/* A sanitised environment: vars sorted by key with unique keys; blocked lists the dropped
 * names and warnings "<NAME>: <reason>" for kept-but-suspicious values (names only, never
 * values). Both are NULL-terminated string vectors (NULL when empty). */
typedef struct PcSandboxEnv {
        PcKeyValue *vars;
        size_t n_vars;
        char **blocked;
        char **warnings;
} PcSandboxEnv;

void pc_sandbox_env_release(PcSandboxEnv *env);

/* Adds every member of a JSON object of strings to env (non-strings are skipped; a key
 * already present is replaced, so later maps win), applying the rules above. */
void pc_sandbox_env_add_json(PcSandboxEnv *env, const json_t *map);

/* The environment of one exec: the spec's (already sanitised) variables, then call_env (a
 * JSON object, may be NULL) over them, sanitised with the same rules. Backends pass the
 * result, and nothing else, to the process. */
void pc_sandbox_exec_env(const PcSandboxSpec *spec, const json_t *call_env, PcSandboxEnv *ret);

/* ---- 1.9 / 1.10: safety checks --------------------------------------------------------- */

/* The policy a bind is checked against. Lists are NULL-terminated. */
typedef struct PcBindPolicy {
        const char *const *allowed_roots; /* sources must lie inside one of these (raw or
                                             realpath form): the workspace dir and the agent
                                             workspace */
        const char *const *home_dirs;     /* whose credential dirs are blocked; NULL: $HOME
                                             and the passwd home of the current user */
        const char *workdir;              /* reserved target besides /workspace and /agent */
        bool allow_reserved_targets;      /* docker.dangerouslyAllowReservedContainerTargets */
        bool allow_external_sources;      /* docker.dangerouslyAllowExternalBindSources */
} PcBindPolicy;

/* Parses "host:container[:options]" (trimmed): the source ends at the first ':', the target
 * at the next, the rest is options (comma separated; read-only iff one of them is "ro").
 * Paths are normalised (".", "..", "//", trailing '/'); nothing is resolved. Fills ret (kind
 * PC_MOUNT_BIND), which the caller releases with pc_sandbox_mount_release(). Errors (-EINVAL,
 * OpenClaw's "Sandbox security: ..." text plus a hint): empty entry, non-absolute source,
 * missing or non-absolute container path. */
int pc_sandbox_bind_parse(const char *bind, PcSandboxMount *ret, PcError *reterr);

/* Checks one bind against policy and, on success, fills ret with the mount (source = the
 * resolved path). In order: parse; blocked sources (/, /etc, /private/etc, /proc, /sys, /dev,
 * /root, /boot, /run, /var/run, /private/var/run, the docker.sock paths, any "docker.sock",
 * and <home>/.aws .cargo .config .docker .gnupg .netrc .npm .ssh; also any directory that
 * contains one of them, e.g. /var or a home) → -EPERM, never overridable; reserved targets
 * (/workspace, /agent, workdir, and anything below) → -EPERM unless allow_reserved_targets; outside
 * the allowed roots → -EPERM unless allow_external_sources; then the blocked and allowed-root
 * checks again on the source resolved through its deepest existing ancestor, so symlinked parents
 * cannot escape. */
int pc_sandbox_bind_check(const char *bind, const PcBindPolicy *policy, PcSandboxMount *ret,
                          PcError *reterr);

/* Network rules (1.10), compared trimmed and case-insensitively: "host" is refused;
 * "container:<id>" is refused unless allow_container_join. Returns 0 or -EPERM. */
int pc_sandbox_network_check(const char *network, bool allow_container_join, PcError *reterr);

/* seccompProfile / apparmorProfile "unconfined" (any case) is refused: -EPERM. NULL is ok. */
int pc_sandbox_profiles_check(const char *seccomp, const char *apparmor, PcError *reterr);

void pc_sandbox_mount_release(PcSandboxMount *m);

/* ---- the create spec ------------------------------------------------------------------- */

/* Bumped whenever the meaning or the JSON form of PcSandboxSpec changes, so that every
 * existing sandbox is recreated once instead of running with stale semantics. */
#define PC_SANDBOX_SPEC_EPOCH "pincer-sandbox-spec/2"

/*
 * PcSandboxSpec: everything a backend needs to create one sandbox, already resolved,
 * validated and normalised (sorted env and ulimits, bytes for memory, canonical bind sources).
 * A backend executes it as is and makes no policy decisions of its own.
 *
 * Owned by the caller of pc_sandbox_spec_build(); free with pc_sandbox_spec_free(). Arrays
 * are counted (n_*) or NULL-terminated string vectors (char **, NULL when empty). Optional
 * strings are NULL when unset; numeric limits are 0 when unset.
 *
 * config_hash covers every field except agent_id, sandbox_workspace_dir and
 * agent_workspace_dir (what is mounted is in mounts), config_hash itself, the
 * pincer.configHash label and the diagnostics (env_blocked, env_warnings); see
 * pc_sandbox_spec_hash(). So agents sharing a sandbox (scope "shared") with equal settings
 * compute equal hashes.
 */
struct PcSandboxSpec {
        /* identity */
        char *name;      /* <prefix><slug> or <prefix>shared, at most 63 bytes */
        char *scope_key; /* "agent:main", a session key, or "shared" */
        PcSandboxScope scope;
        char *agent_id; /* the agent whose session resolved it (informational, not hashed:
                           under scope shared several agents resolve the same sandbox) */
        char *backend;  /* "native" or "docker", lower case */

        /* process and image */
        char *image;
        char *workdir;  /* absolute container path; the workspace is mounted here */
        char *user;     /* docker.user verbatim, else "<uid>:<gid>" of the workspace dir's
                           owner, else NULL (the image's default) */
        char *hostname; /* native.hostname, else NULL (the backend uses name) */
        bool userns;    /* native.userns */
        bool read_only_root;
        PcSandboxTmpfs *tmpfs;
        size_t n_tmpfs;
        char *network;   /* trimmed; "none", "bridge", a custom name, or "container:<id>" */
        char **cap_drop; /* upper case, without "CAP_" ("ALL", "NET_RAW") */
        char **cap_add;
        PcKeyValue *env; /* sanitised, sorted by key */
        size_t n_env;

        /* limits */
        int64_t pids_limit;        /* 0 = none */
        int64_t memory_bytes;      /* 0 = none */
        int64_t memory_swap_bytes; /* 0 = none, -1 = unlimited swap */
        double cpus;               /* 0 = none */
        PcSandboxUlimit *ulimits;  /* sorted by name */
        size_t n_ulimits;
        char *seccomp_profile; /* path, or NULL for the backend's default profile */
        char *apparmor_profile;
        char **dns;
        char **extra_hosts; /* "name:address" */

        /* filesystem */
        PcWorkspaceAccess workspace_access;
        char *workspace_dir;         /* host dir mounted at workdir (sandbox or agent ws) */
        char *sandbox_workspace_dir; /* the scope's private workspace (used for none/ro) */
        char *agent_workspace_dir;   /* the agent's own workspace */
        PcSandboxMount *mounts;      /* workspace first, then /agent, then binds in order */
        size_t n_mounts;

        /* provisioning (run as root with setup_network in a provisioning phase, cached) */
        char *setup_command; /* an array form is joined with '\n'; NULL when blank */
        char **packages;
        char *setup_network;

        /* the dangerous overrides in force (kept so a backend can re-check, and hashed so
         * that turning one on or off is noticed) */
        bool allow_reserved_targets;
        bool allow_external_bind_sources;
        bool allow_container_namespace_join;

        /* labels: pincer.sandbox=1, pincer.scopeKey, pincer.configHash (backends add
         * pincer.createdAtMs when they create) */
        PcKeyValue *labels;
        size_t n_labels;

        char config_hash[PC_SHA256_HEX_SIZE];

        /* diagnostics (not hashed): names dropped from docker.env, and warnings */
        char **env_blocked;
        char **env_warnings;
};

typedef struct PcSandboxSpecOptions {
        const char *const *home_dirs; /* for the bind checks; NULL: see PcBindPolicy */
        bool no_mkdir;                /* do not create the workspace dirs (explain, tests) */
} PcSandboxSpecOptions;

/*
 * Builds the create spec for a sandboxed session from the effective configuration of its
 * agent (pc_config_agent_effective(cfg, agent, false)); opts may be NULL. Steps: scope key and
 * name (1.4); workspace layout (1.5, 1.6: mkdir -p of the workspace dir, mode 0700 when
 * created; seeding AGENTS.md etc. is not done yet); user (2.3, stat of the workspace dir);
 * docker.* (1.8); network and profile checks (1.10); env sanitisation (1.11); managed mounts
 * and bind checks (1.9); labels; config hash (2.8).
 *
 * Returns 0 with *ret set, or a negative errno with reterr: -EINVAL for a malformed
 * effective view or value, -EPERM for a refused bind, network or profile (OpenClaw's
 * "Sandbox security: ..." messages), -EEXIST for two mounts on one container path, or the
 * errno of a failed mkdir. The caller decides whether the session is sandboxed at all.
 */
int pc_sandbox_spec_build(const json_t *effective, const char *session_key,
                          const PcSandboxSpecOptions *opts, PcSandboxSpec **ret, PcError *reterr);

PcSandboxSpec *pc_sandbox_spec_free(PcSandboxSpec *spec);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcSandboxSpec *, pc_sandbox_spec_free);

/* Session + spec in one go: *ret_spec is NULL when the session is not sandboxed.
 * ret_session is filled in both cases (release it). The spec is built for the canonical key,
 * so the aliases of one session share one session-scope sandbox. */
int pc_sandbox_resolve(const PcConfig *cfg, const char *session_key,
                       const PcSandboxSpecOptions *opts, PcSandboxSession *ret_session,
                       PcSandboxSpec **ret_spec, PcError *reterr);

/* ---- 2.8: the config hash -------------------------------------------------------------- */

/* The spec as JSON (for `sandbox explain` and the hash): keys in camelCase, env and labels as
 * objects. With for_hash, the fields the hash does not cover (see PcSandboxSpec) are left
 * out. Returns a new reference. Env values are included: pass the
 * result through pc_redact_json() before showing it. */
json_t *pc_sandbox_spec_to_json(const PcSandboxSpec *spec, bool for_hash);

/* The hash input: {"epoch":PC_SANDBOX_SPEC_EPOCH,"spec":<to_json(spec, true)>} dumped as
 * compact JSON with keys sorted by byte value. Returns a new string, or NULL when a string
 * in the spec (a resolved host path) is not valid UTF-8. */
char *pc_sandbox_spec_canonical_json(const PcSandboxSpec *spec);

/* SHA-256 of the canonical JSON, lower-case hex. pc_sandbox_spec_build() stores it in
 * spec->config_hash and in the pincer.configHash label. Returns 0, or -EILSEQ when the
 * canonical JSON cannot be formed (see above). */
int pc_sandbox_spec_hash(const PcSandboxSpec *spec, char ret_hex[PC_SHA256_HEX_SIZE]);

/* Whether spec has setupCommand or packages, and the provisioning script both backends run
 * as root with /bin/sh -c: "set -e", packages via apt-get install -y
 * --no-install-recommends, then setupCommand (new string). */
bool pc_sandbox_spec_needs_provisioning(const PcSandboxSpec *spec);
char *pc_sandbox_spec_provision_script(const PcSandboxSpec *spec);

/* ---- backends -------------------------------------------------------------------------- */

typedef struct PcSandbox PcSandbox;

/* One command to run in a sandbox. Everything is borrowed for the duration of the call. */
typedef struct PcExecRequest {
        const char *const *argv; /* NULL-terminated; argv[0] is looked up in the sandbox PATH */
        const char *workdir;     /* container path; NULL = the spec's workdir */
        const PcKeyValue *env;   /* the complete environment, from pc_sandbox_exec_env() */
        size_t n_env;
        const void *stdin_data; /* NULL: stdin is /dev/null */
        size_t stdin_len;
        uint64_t timeout_ms; /* 0 = no timeout; on expiry the process tree is killed */
        size_t max_output;   /* per stream; more is discarded and flagged; 0 = 1 MiB */
        /* Long-running commands (background exec, src/tools/process.c). All optional; 0/NULL
         * keeps the plain behaviour. fd 0 is never one of these fds. */
        /* Called on the exec's thread as output arrives (stream 1 stdout, 2 stderr); the
         * output is then not kept in the result. */
        void (*on_output)(void *userdata, int stream, const char *data, size_t len);
        void *userdata;
        int cancel_fd; /* > 0: once readable, the process tree is killed as on timeout */
        int stdin_fd;  /* > 0: the command's stdin reads from it (a pipe's read end, borrowed)
                          until EOF; stdin_data must then be NULL */
        /* argv is {"/bin/sh", "-lc", SCRIPT}: the backend may reuse the environment the login
         * files produced before instead of running them again (native: docs/sandbox.md, "The
         * login shell"); the docker backend always runs argv as it is. */
        bool login_shell;
} PcExecRequest;

#define PC_EXEC_DEFAULT_MAX_OUTPUT (1024u * 1024u)

/* The outcome of one exec. Owned by the caller: pc_exec_result_init() before the call,
 * pc_exec_result_release() after. */
typedef struct PcExecResult {
        int exit_code; /* the process's exit status, or -1 when it was killed by a signal */
        int signal;    /* the killing signal, or 0 */
        bool timed_out;
        bool canceled; /* killed because cancel_fd became readable */
        PcBuf out, err;
        bool out_truncated, err_truncated;
        uint64_t duration_us;
} PcExecResult;

void pc_exec_result_init(PcExecResult *r);
void pc_exec_result_release(PcExecResult *r);

typedef enum PcSandboxState {
        PC_SANDBOX_STATE_MISSING, /* no sandbox of that name */
        PC_SANDBOX_STATE_STOPPED, /* exists, not running */
        PC_SANDBOX_STATE_RUNNING,
        _PC_SANDBOX_STATE_MAX,
        _PC_SANDBOX_STATE_INVALID = -EINVAL,
} PcSandboxState;

const char *pc_sandbox_state_to_string(PcSandboxState s);

typedef struct PcSandboxInfo {
        PcSandboxState state;
        char config_hash[PC_SHA256_HEX_SIZE]; /* its pincer.configHash label, or "" */
        int64_t created_at_ms;                /* 0 when unknown */
        char image[256];                      /* "" when unknown */
} PcSandboxInfo;

typedef struct PcSandboxStats {
        uint64_t cpu_usec;
        uint64_t memory_bytes;
        uint64_t memory_limit_bytes; /* 0 = none */
        uint32_t pids;
} PcSandboxStats;

/*
 * The backend vtable (crun's cgroup-manager pattern). Every op receives the handle; the
 * backend keeps its per-sandbox state in sb->data and its instance in sb->backend. Every op
 * returns 0 or a negative errno and fills reterr on failure. Ops run on the loop thread,
 * except exec, which a background process runs on its own thread while the sandbox is leased:
 * the exec of every backend touches no shared mutable state.
 *
 *   create   provision the image when spec->setup_command or spec->packages are set (docs
 *            "Provisioning"), then create and start the sandbox exactly as spec says, with
 *            spec->labels plus pincer.createdAtMs. -EEXIST if a sandbox of that name exists.
 *   exec     run req in a running sandbox and fill *ret_result. A non-zero exit status is a
 *            result, not an error; errors are for "could not run it" (-ENOENT: no sandbox).
 *   destroy  stop and remove the sandbox; 0 when it did not exist.
 *   inspect  look the sandbox up by sb->name (it may have been created by an earlier gateway
 *            run) and fill *ret_info; a missing sandbox is state MISSING, not an error.
 *   stats    current usage; -ENOENT when not running; -EOPNOTSUPP if the backend cannot.
 *   release  (optional) free sb->data without touching the sandbox (gateway shutdown).
 */
typedef struct PcSandboxOps {
        const char *name; /* "docker", "native", "fake" */
        int (*create)(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr);
        int (*exec)(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret_result,
                    PcError *reterr);
        int (*destroy)(PcSandbox *sb, PcError *reterr);
        int (*inspect)(PcSandbox *sb, PcSandboxInfo *ret_info, PcError *reterr);
        int (*stats)(PcSandbox *sb, PcSandboxStats *ret_stats, PcError *reterr);
        void (*release)(PcSandbox *sb);
} PcSandboxOps;

/* A handle on one named sandbox of one backend. The manager owns it; leases and reference
 * counting arrive with the lifecycle code. */
struct PcSandbox {
        const PcSandboxOps *ops;
        void *backend; /* the backend instance (engine client, native runtime); borrowed */
        char *name;    /* owned */
        void *data;    /* the backend's per-sandbox state; owned by the backend */
};

/* A handle for name on a backend. Creates nothing. */
PcSandbox *pc_sandbox_new(const PcSandboxOps *ops, void *backend, const char *name);
/* Calls ops->release (if any) and frees the handle; never touches the sandbox. NULL-safe. */
PcSandbox *pc_sandbox_free(PcSandbox *sb);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcSandbox *, pc_sandbox_free);

/* The ops, with checks (the spec's name and hash must match the handle; argv non-empty) and
 * "sandbox '<name>'" prefixed to errors. */
int pc_sandbox_create(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr);
int pc_sandbox_exec(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret_result,
                    PcError *reterr);
int pc_sandbox_destroy(PcSandbox *sb, PcError *reterr);
int pc_sandbox_inspect(PcSandbox *sb, PcSandboxInfo *ret_info, PcError *reterr);
int pc_sandbox_stats(PcSandbox *sb, PcSandboxStats *ret_stats, PcError *reterr);

/* What to do with an existing sandbox, given what inspect found and the spec's hash:
 * MISSING → CREATE; hash equal → START (stopped) or REUSE (running); hash different or
 * unknown → RECREATE, or RECREATE_WHEN_IDLE while a tool call holds it (Pincer never kills a
 * sandbox with a call in flight; OpenClaw's 5-minute "hot" rule does not apply). */
typedef enum PcSandboxAction {
        PC_SANDBOX_ACTION_CREATE,
        PC_SANDBOX_ACTION_START,
        PC_SANDBOX_ACTION_REUSE,
        PC_SANDBOX_ACTION_RECREATE,
        PC_SANDBOX_ACTION_RECREATE_WHEN_IDLE,
        _PC_SANDBOX_ACTION_MAX,
        _PC_SANDBOX_ACTION_INVALID = -EINVAL,
} PcSandboxAction;

PcSandboxAction pc_sandbox_decide(const PcSandboxInfo *info, const char *expected_hash,
                                  bool in_use);
const char *pc_sandbox_action_to_string(PcSandboxAction a);
