/* SPDX-License-Identifier: MIT */
/*
 * browser: drive a headless Chromium (spec gateway 3.10, docs/browser.md).
 *
 * A sandboxed session's browser runs inside its sandbox (sandbox.browser.*; it shares the
 * sandbox's network, so http://localhost:PORT reaches the agent's own servers and nothing
 * else); an unsandboxed session's runs on the gateway host (browser.*). The actions are in
 * src/browser/actions.c; this file only turns the configuration into PcBrowserOptions and the
 * result into the tool's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/alloc.h"
#include "browser/browser.h"
#include "tool.h"

#define PC_BROWSER_DEFAULT_ACTION_MS 20000
#define PC_BROWSER_DEFAULT_START_MS  12000
#define PC_BROWSER_IDLE_STOP_MS      (10 * 60 * 1000)

#define PC_BROWSER_IMAGE_HINT                                                                      \
        "Build a browser image and use it as the sandbox image: native backend: `pincer image "    \
        "build openclaw-sandbox-browser:bookworm-slim --from openclaw-sandbox:bookworm-slim "      \
        "--packages \"chromium fonts-dejavu-core fonts-liberation\"`; Docker backend: "            \
        "`scripts/sandbox-browser-setup.sh`; then set sandbox.docker.image to "                    \
        "\"openclaw-sandbox-browser:bookworm-slim\" (docs/browser.md)"

static bool bool_or(const json_t *o, const char *key, bool def)
{
        const json_t *v = json_object_get(o, key);
        return json_is_boolean(v) ? json_is_true(v) : def;
}

static int int_or(const json_t *o, const char *key, int def)
{
        const json_t *v = json_object_get(o, key);
        return json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 3600000
                       ? (int) json_integer_value(v)
                       : def;
}

int pc_tool_browser(const PcToolCall *call, PcToolResult *ret, PcError *reterr)
{
        const json_t *host = json_object_get(pc_config_root(call->cfg), "browser");
        const json_t *sbx = json_object_get(json_object_get(call->effective, "sandbox"), "browser");
        char key[256];
        const char *extra[33] = {NULL};
        PcBrowserOptions o = {
                .evaluate_enabled = bool_or(host, "evaluateEnabled", true),
                .action_timeout_ms = int_or(host, "actionTimeoutMs", PC_BROWSER_DEFAULT_ACTION_MS),
                .idle_stop_ms = PC_BROWSER_IDLE_STOP_MS,
                .extra_args = extra,
        };
        /* OpenClaw's target: the session decides here; a different wish is refused, not ignored */
        const char *target = json_string_value(json_object_get(call->args, "target"));
        if (target && !streq(target, call->lease ? "sandbox" : "host")) {
                pc_tool_result_text(
                        ret,
                        streq(target, "node") ? "browser target \"node\" is not supported"
                        : call->lease
                                ? "This session is sandboxed: its browser runs in its sandbox "
                                  "(target \"sandbox\"); Pincer does not let sandboxed sessions "
                                  "drive the host browser (sandbox.browser.allowHostControl)"
                                : "This session is not sandboxed: its browser runs on the host "
                                  "(target \"host\")",
                        true);
                return 0;
        }
        if (call->lease) {
                const PcSandboxSpec *spec = pc_sandbox_lease_spec(call->lease);
                if (!bool_or(sbx, "enabled", false)) {
                        pc_tool_result_text(ret,
                                            "The sandbox browser is off for this agent: set "
                                            "sandbox.browser.enabled to true (agents.defaults or "
                                            "the agent) and allow the browser tool "
                                            "(docs/browser.md)",
                                            true);
                        return 0;
                }
                snprintf(key, sizeof(key), "sandbox:%s", spec->name);
                o.key = key;
                o.where = "sandbox";
                o.executable = "chromium";
                o.profile_dir = "/tmp/pincer-browser";
                o.headless = true; /* a sandbox has no display */
                o.no_sandbox = true;
                o.auto_start = bool_or(sbx, "autoStart", true);
                o.start_timeout_ms = int_or(sbx, "autoStartTimeoutMs", PC_BROWSER_DEFAULT_START_MS);
                o.missing_hint = PC_BROWSER_IMAGE_HINT;
                if (!call->take_lease || *call->take_lease != call->lease)
                        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EOPNOTSUPP,
                                                 "browser: this entry point cannot keep a sandbox "
                                                 "lease for a running browser");
                pc_browser_sandbox_launcher(call->take_lease, &o.launcher);
        } else {
                if (!bool_or(host, "enabled", true)) {
                        pc_tool_result_text(
                                ret, "The browser is disabled (browser.enabled is false)", true);
                        return 0;
                }
                if (bool_or(host, "attachOnly", false) || json_object_get(host, "cdpUrl")) {
                        pc_tool_result_text(ret,
                                            "browser.attachOnly and browser.cdpUrl are not "
                                            "supported: Pincer starts its own Chromium over a CDP "
                                            "pipe (docs/browser.md)",
                                            true);
                        return 0;
                }
                snprintf(key, sizeof(key), "host:%s", call->agent->id);
                o.key = key;
                o.where = "host";
                o.executable = json_string_value(json_object_get(host, "executablePath"));
                if (!o.executable)
                        o.executable = "chromium";
                const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
                /* headed only on a display, and never for a root gateway: its Chromium runs as
                 * nobody, who cannot use the display's session */
                o.headless = bool_or(host, "headless", false) ||
                             !((display && *display) || (wayland && *wayland)) || geteuid() == 0;
                /* as root the launcher runs it as nobody, with Chromium's own sandbox */
                o.no_sandbox = bool_or(host, "noSandbox", false);
                o.auto_start = true;
                o.start_timeout_ms = PC_BROWSER_DEFAULT_START_MS;
                o.missing_hint = "Install it (`apt-get install chromium`) or set "
                                 "browser.executablePath; if it exits at once because its own "
                                 "sandbox cannot start here (no user namespaces), set "
                                 "browser.noSandbox";
                o.launcher = pc_browser_host_launcher;
                size_t i;
                const json_t *a;
                size_t n = 0;
                json_array_foreach (json_object_get(host, "extraArgs"), i, a)
                        if (json_is_string(a) && n < 32)
                                extra[n++] = json_string_value(a);
        }

        PcBrowserResult res;
        int r = pc_browser_invoke(&o, call->args, &res, reterr);
        if (r < 0)
                return r;
        json_decref(ret->content);
        ret->content = res.content;
        ret->details = res.details;
        ret->is_error = res.is_error;
        return 0;
}
