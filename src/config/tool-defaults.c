/* SPDX-License-Identifier: MIT */
#include "tool-defaults.h"

#include <stddef.h>

/* What a sandboxed session may use unless tools.sandbox.tools says otherwise. */
const char *const pc_default_sandbox_tool_allow[] = {
        "exec",          "process",        "read",
        "write",         "edit",           "apply_patch",
        "image",         "sessions_list",  "sessions_history",
        "sessions_send", "sessions_spawn", "sessions_yield",
        "subagents",     "session_status", NULL,
};

/* Denied in sandboxed sessions by default: host-control tools, plus every chat-channel id of
 * OpenClaw's bundled channels, so channel-named tools stay blocked (spec 3.7). */
const char *const pc_default_sandbox_tool_deny[] = {
        "browser",       "canvas",      "nodes",      "cron",       "gateway",
        "discord",       "imessage",    "irc",        "qqbot",      "signal",
        "slack",         "telegram",    "twitch",     "whatsapp",   "feishu",
        "googlechat",    "nostr",       "msteams",    "mattermost", "nextcloud-talk",
        "matrix",        "bluebubbles", "line",       "zalo",       "zalouser",
        "synology-chat", "tlon",        "qa-channel", NULL,
};
