/* SPDX-License-Identifier: MIT */
/*
 * The `sandbox` object, shared by agents.defaults.sandbox, agents.list[].sandbox and
 * agents.entries.<id>.sandbox (OpenClaw's AgentSandboxSchema, spec §1.2-1.16). Defaults are
 * the effective values after merging; the merge flags encode spec §1.16.
 *
 * Pincer differs from OpenClaw on purpose in a few defaults (backend, container prefixes) and
 * adds a few keys (flagged PC_SF_PINCER); the doc strings say so where they apply.
 */
#include "schema-checks.h"
#include "schema-tables.h"

static const char *const sandbox_modes[] = {"off", "non-main", "all", NULL};
static const char *const sandbox_scopes[] = {"session", "agent", "shared", NULL};
static const char *const workspace_access[] = {"none", "ro", "rw", NULL};
static const char *const tools_visibility[] = {"spawned", "all", NULL};

static const PcSchemaNode bind_item = {.types = PC_ST_STRING, .check = pc_check_bind};
static const PcSchemaNode tmpfs_item = {.types = PC_ST_STRING, .check = pc_check_tmpfs};
static const PcSchemaNode cap_item = {.types = PC_ST_STRING, .check = pc_check_capability};
static const PcSchemaNode package_item = {.types = PC_ST_STRING, .check = pc_check_apt_package};
static const PcSchemaNode ip_item = {.types = PC_ST_STRING, .check = pc_check_ip_address};
static const PcSchemaNode host_item = {.types = PC_ST_STRING, .check = pc_check_extra_host};

static const PcSchemaNode ulimit_object_members[] = {
        {.key = "soft", .types = PC_ST_INT, .has_min = true, .min = 0, .doc = "Soft limit."},
        {.key = "hard", .types = PC_ST_INT, .has_min = true, .min = 0, .doc = "Hard limit."},
        {0},
};

/* A number bound of 0 on a string-or-number node also bounds the string's length, which is
 * harmless at 0; the string form is checked by pc_check_ulimit. */
static const PcSchemaNode ulimit_value = {
        .types = PC_ST_STRING | PC_ST_INT | PC_ST_OBJECT,
        .members = ulimit_object_members,
        .has_min = true,
        .min = 0,
        .check = pc_check_ulimit,
        .doc = "\"soft:hard\", one number for both, or {soft, hard}.",
};

static const PcSchemaNode docker_members[] = {
        {.key = "image",
         .types = PC_ST_STRING,
         .default_json = "\"openclaw-sandbox:bookworm-slim\"",
         .flags = PC_SF_NONEMPTY,
         .doc = "Image the sandbox starts from. The native backend uses the root filesystem of "
                "that name in the state dir; Docker uses the engine's image."},
        {.key = "containerPrefix",
         .types = PC_ST_STRING,
         .default_json = "\"pincer-sbx-\"",
         .check = pc_check_container_prefix,
         .doc = "Prefix of sandbox names; the rest is the slug of the scope key. Pincer's default "
                "differs from OpenClaw's \"openclaw-sbx-\" so Pincer never touches OpenClaw's "
                "containers."},
        {.key = "workdir",
         .types = PC_ST_STRING,
         .default_json = "\"/workspace\"",
         .check = pc_check_absolute_path,
         .doc = "Working directory inside the sandbox, where the workspace is mounted."},
        {.key = "readOnlyRoot",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Mount the image root read-only (writable paths come from tmpfs, the workspace "
                "and binds). false gives a writable overlay."},
        {.key = "tmpfs",
         .types = PC_ST_ARRAY,
         .items = &tmpfs_item,
         .default_json = "[\"/tmp\",\"/var/tmp\",\"/run\"]",
         .doc = "tmpfs mounts, each \"/path\" or \"/path:options\" (e.g. \"/tmp:size=64m\")."},
        {.key = "network",
         .types = PC_ST_STRING,
         .default_json = "\"none\"",
         .check = pc_check_network,
         .doc = "Network of the sandbox: \"none\", \"bridge\" or a custom network name. \"host\" "
                "is refused; \"container:<id>\" needs dangerouslyAllowContainerNamespaceJoin."},
        {.key = "user",
         .types = PC_ST_STRING,
         .default_doc = "the owner uid:gid of the mounted workspace",
         .check = pc_check_container_user,
         .doc = "User the sandbox runs as: \"uid:gid\", \"uid\" or a name known to the image."},
        {.key = "capDrop",
         .types = PC_ST_ARRAY,
         .items = &cap_item,
         .default_json = "[\"ALL\"]",
         .doc = "Capabilities to drop (\"ALL\" or names such as \"NET_RAW\")."},
        {.key = "capAdd",
         .types = PC_ST_ARRAY,
         .items = &cap_item,
         .flags = PC_SF_PINCER,
         .doc = "Pincer extension: capabilities to add back after capDrop, e.g. [\"CHOWN\"]. "
                "Prefer doing privileged work in setupCommand or packages."},
        {.key = "env",
         .types = PC_ST_MAP,
         .items = &pc_schema_string_item,
         .default_json = "{\"LANG\":\"C.UTF-8\"}",
         .flags = PC_SF_MERGE_SHALLOW,
         .check = pc_check_env_map,
         .doc = "Environment variables of the sandbox. A per-agent map is laid over the global "
                "one, or over the default when no global map is set; a global map replaces the "
                "default."},
        {.key = "setupCommand",
         .types = PC_ST_STRING | PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Shell commands run once when a sandbox image is provisioned; an array is joined "
                "with newlines. Pincer runs it as root with the network (setupNetwork) in a "
                "provisioning phase and caches the result, so the sandbox itself stays locked "
                "down (OpenClaw runs it as the sandbox user inside the live container)."},
        {.key = "packages",
         .types = PC_ST_ARRAY,
         .items = &package_item,
         .flags = PC_SF_PINCER,
         .doc = "Pincer extension: Debian packages installed with apt-get in the provisioning "
                "phase, before setupCommand; the result is cached with the image."},
        {.key = "setupNetwork",
         .types = PC_ST_STRING,
         .default_json = "\"bridge\"",
         .flags = PC_SF_PINCER,
         .check = pc_check_setup_network,
         .doc = "Pincer extension: network of the root provisioning container that runs "
                "packages and setupCommand. The sandbox itself always uses network."},
        {.key = "pidsLimit",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_doc = "no limit",
         .doc = "Maximum number of processes in the sandbox."},
        {.key = "memory",
         .types = PC_ST_STRING | PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_doc = "no limit",
         .check = pc_check_memory,
         .doc = "Memory limit: bytes, or a size such as \"512m\", \"2g\", \"1GiB\"."},
        {.key = "memorySwap",
         .types = PC_ST_STRING | PC_ST_INT,
         .has_min = true,
         .min = -1,
         .default_doc = "no limit",
         .check = pc_check_memory_swap,
         .doc = "Memory plus swap limit, as for memory; -1 allows unlimited swap."},
        {.key = "cpus",
         .types = PC_ST_NUMBER,
         .has_min = true,
         .min = 0.01,
         .default_doc = "no limit",
         .doc = "CPU limit in cores, e.g. 1.5."},
        {.key = "ulimits",
         .types = PC_ST_MAP,
         .items = &ulimit_value,
         .flags = PC_SF_MERGE_SHALLOW,
         .check = pc_check_ulimits,
         .doc = "Resource limits by name (nofile, nproc, core, ...). A per-agent map is laid "
                "over the global one."},
        {.key = "seccompProfile",
         .types = PC_ST_STRING,
         .default_doc = "Pincer's built-in profile, on both backends",
         .check = pc_check_seccomp_profile,
         .doc = "Path of a seccomp profile (JSON) replacing the default; \"unconfined\" is "
                "refused."},
        {.key = "apparmorProfile",
         .types = PC_ST_STRING,
         .check = pc_check_apparmor_profile,
         .doc = "AppArmor profile name (Docker backend); \"unconfined\" is refused."},
        {.key = "dns",
         .types = PC_ST_ARRAY,
         .items = &ip_item,
         .doc = "DNS servers for the sandbox (when it has a network)."},
        {.key = "extraHosts",
         .types = PC_ST_ARRAY,
         .items = &host_item,
         .doc = "Extra /etc/hosts entries, each \"name:address\"."},
        {.key = "binds",
         .types = PC_ST_ARRAY,
         .items = &bind_item,
         .flags = PC_SF_MERGE_CONCAT,
         .doc = "Extra mounts \"/host/path:/container/path[:ro]\". Global and per-agent lists are "
                "concatenated. System, credential and Docker socket paths are always refused; "
                "sources outside the workspace need dangerouslyAllowExternalBindSources."},
        {.key = "dangerouslyAllowReservedContainerTargets",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Let binds target /workspace or /agent, shadowing the managed mounts."},
        {.key = "dangerouslyAllowExternalBindSources",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Let bind sources lie outside the sandbox and agent workspaces."},
        {.key = "dangerouslyAllowContainerNamespaceJoin",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Allow network \"container:<id>\" (sandbox and browser), which shares another "
                "container's network namespace."},
        PC_UNIMPL("gpus", "GPUs passed to the container (--gpus, OpenClaw 2026.7+)."),
        {0},
};

static const PcSchemaNode browser_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Offer the browser tool in sandboxed sessions: Pincer runs Chromium inside the "
                "session's sandbox (both backends; the sandbox image needs Chromium, see "
                "docs/browser.md). The tool also needs the sandbox tool policy to allow "
                "browser, which the default denies."},
        {.key = "image",
         .types = PC_ST_STRING,
         .default_json = "\"openclaw-sandbox-browser:bookworm-slim\"",
         .flags = PC_SF_NONEMPTY,
         .doc = "Image of the browser sidecar."},
        {.key = "containerPrefix",
         .types = PC_ST_STRING,
         .default_json = "\"pincer-sbx-browser-\"",
         .check = pc_check_container_prefix,
         .doc = "Prefix of browser sidecar names (OpenClaw: \"openclaw-sbx-browser-\")."},
        {.key = "network",
         .types = PC_ST_STRING,
         .default_json = "\"openclaw-sandbox-browser\"",
         .check = pc_check_browser_network,
         .doc = "Network of the sidecar, created as a bridge network when missing. \"host\" is "
                "refused; \"container:<id>\" needs docker.dangerouslyAllowContainerNamespaceJoin."},
        {.key = "cdpPort",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .has_max = true,
         .max = 65535,
         .default_json = "9222",
         .doc = "CDP port inside the sidecar, published on 127.0.0.1 at a random host port."},
        {.key = "cdpSourceRange",
         .types = PC_ST_STRING,
         .default_doc = "derived from the sidecar's network",
         .check = pc_check_cidr,
         .doc = "Address range allowed to reach the CDP relay, e.g. \"172.16.0.0/12\"."},
        {.key = "vncPort",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .has_max = true,
         .max = 65535,
         .default_json = "5900",
         .doc = "VNC port inside the sidecar (not published)."},
        {.key = "noVncPort",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .has_max = true,
         .max = 65535,
         .default_json = "6080",
         .doc = "noVNC port, published on 127.0.0.1 at a random host port when noVNC is on."},
        {.key = "headless",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Run Chromium headless (a browser in a Pincer sandbox always is: there is no "
                "display); OpenClaw's sidecar also turns noVNC off."},
        {.key = "enableNoVnc",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Offer a noVNC observer of the browser (when not headless)."},
        {.key = "noVncEnabled",
         .types = PC_ST_BOOL,
         .default_doc = "enableNoVnc",
         .doc = "OpenClaw 2026.7+ name of enableNoVnc; wins when both are set."},
        {.key = "allowHostControl",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Let sandboxed sessions drive the host browser (top-level browser settings)."},
        {.key = "autoStart",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Start Chromium in the sandbox when the browser tool needs it (first use, and "
                "after it exited); off: only action start does."},
        {.key = "autoStartTimeoutMs",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_json = "12000",
         .doc = "How long to wait for Chromium's first CDP answer; on timeout it is killed."},
        {.key = "binds",
         .types = PC_ST_ARRAY,
         .items = &bind_item,
         .flags = PC_SF_MERGE_CONCAT,
         .default_doc = "docker.binds",
         .doc = "Mounts of the sidecar. When set at either level (even []), they replace "
                "docker.binds for the sidecar; global and per-agent lists are concatenated."},
        {0},
};

static const PcSchemaNode prune_members[] = {
        {.key = "idleHours",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "24",
         .doc = "Remove a sandbox unused for this many hours; 0 turns this test off. Pincer "
                "prunes on a timer and never removes a sandbox with a tool call in flight."},
        {.key = "maxAgeDays",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "7",
         .doc = "Remove a sandbox created this many days ago; 0 turns this test off."},
        {0},
};

/* Pincer has no SSH backend: the object loads with a warning. Its keys are listed so the
 * reference shows what OpenClaw accepts and so support can be added by dropping the flag. */
static const PcSchemaNode ssh_members[] = {
        {.key = "target",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .doc = "user@host[:port] of the SSH sandbox host."},
        {.key = "command",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .default_json = "\"ssh\"",
         .doc = "SSH client binary."},
        {.key = "workspaceRoot",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .default_json = "\"/tmp/openclaw-sandboxes\"",
         .check = pc_check_absolute_path,
         .doc = "Absolute remote directory holding the sandbox workspaces."},
        {.key = "strictHostKeyChecking",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "StrictHostKeyChecking yes/no."},
        {.key = "updateHostKeys",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "UpdateHostKeys yes/no."},
        {.key = "identityFile", .types = PC_ST_STRING, .doc = "Private key file (~ expanded)."},
        {.key = "certificateFile", .types = PC_ST_STRING, .doc = "Certificate file."},
        {.key = "knownHostsFile", .types = PC_ST_STRING, .doc = "known_hosts file."},
        {.key = "identityData",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "Private key contents or a SecretRef; wins over identityFile."},
        {.key = "certificateData",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "Certificate contents or a SecretRef."},
        {.key = "knownHostsData",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "known_hosts contents or a SecretRef."},
        {0},
};

static const PcSchemaNode native_members[] = {
        {.key = "userns",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .flags = PC_SF_PINCER,
         .doc = "Run the native sandbox in a user namespace, so root inside maps to an "
                "unprivileged user outside."},
        {.key = "hostname",
         .types = PC_ST_STRING,
         .default_doc = "the sandbox name",
         .flags = PC_SF_PINCER,
         .check = pc_check_hostname,
         .doc = "Host name inside the native sandbox."},
        {0},
};

const PcSchemaNode pc_schema_sandbox[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = sandbox_modes,
         .default_json = "\"off\"",
         .doc = "Which sessions run their tools in a sandbox: none, every session except the "
                "agent's main one, or all."},
        {.key = "backend",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .default_json = "\"native\"",
         .check = pc_check_sandbox_backend,
         .doc = "Sandbox implementation: \"native\" (Pincer's embedded namespace sandbox, no "
                "daemon needed) or \"docker\". OpenClaw defaults to \"docker\" and also has "
                "\"ssh\" and \"openshell\", which Pincer does not implement."},
        {.key = "scope",
         .types = PC_ST_STRING,
         .enum_values = sandbox_scopes,
         .default_json = "\"agent\"",
         .doc = "One sandbox per session, per agent, or one shared by every agent. Under "
                "\"shared\" the per-agent docker/browser/prune/native settings are ignored."},
        {.key = "perSession",
         .types = PC_ST_BOOL,
         .flags = PC_SF_DEPRECATED,
         .doc = "use scope instead (true means \"session\", false means \"shared\"); scope wins "
                "when both are set."},
        {.key = "workspaceAccess",
         .types = PC_ST_STRING,
         .enum_values = workspace_access,
         .default_json = "\"none\"",
         .doc = "What the sandbox sees at workdir: a private per-scope workspace (none, writable "
                "in Pincer, unlike OpenClaw since 2026-03), that plus the agent workspace "
                "read-only at /agent (ro), or the agent workspace itself read-write (rw)."},
        {.key = "workspaceRoot",
         .types = PC_ST_STRING,
         .default_doc = "<stateDir>/sandboxes",
         .doc = "Host directory of the per-scope sandbox workspaces (~ expanded)."},
        {.key = "sessionToolsVisibility",
         .types = PC_ST_STRING,
         .enum_values = tools_visibility,
         .default_json = "\"spawned\"",
         .doc = "With \"spawned\", sandboxed sessions see only the sessions they spawned through "
                "the sessions tools. Read from agents.defaults.sandbox only."},
        {.key = "docker",
         .types = PC_ST_OBJECT,
         .members = docker_members,
         .flags = PC_SF_SHARED_IGNORES,
         .doc = "Sandbox settings of the Docker backend; the native backend reads the same keys."},
        {.key = "browser",
         .types = PC_ST_OBJECT,
         .members = browser_members,
         .flags = PC_SF_SHARED_IGNORES,
         .doc = "The browser of sandboxed sessions. Pincer runs it inside the session's own "
                "sandbox (docs/browser.md), so of these keys only enabled, autoStart and "
                "autoStartTimeoutMs apply; the sidecar keys are accepted for OpenClaw configs."},
        {.key = "prune",
         .types = PC_ST_OBJECT,
         .members = prune_members,
         .flags = PC_SF_SHARED_IGNORES,
         .doc = "When idle or old sandboxes are removed."},
        {.key = "ssh",
         .types = PC_ST_OBJECT,
         .members = ssh_members,
         .flags = PC_SF_SHARED_IGNORES | PC_SF_UNIMPLEMENTED,
         .doc = "OpenClaw's SSH backend; Pincer does not implement it."},
        {.key = "native",
         .types = PC_ST_OBJECT,
         .members = native_members,
         .flags = PC_SF_SHARED_IGNORES | PC_SF_PINCER,
         .doc = "Pincer extension: settings only the native backend reads."},
        {0},
};
