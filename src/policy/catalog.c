/* SPDX-License-Identifier: MIT */
#include "catalog.h"

#include "base/macro.h"

#define MIN (1u << PC_TOOL_PROFILE_MINIMAL)
#define COD (1u << PC_TOOL_PROFILE_CODING)
#define MSG (1u << PC_TOOL_PROFILE_MESSAGING)

/* Spec 3.1; order and membership as in OpenClaw's tool-catalog.ts at the baseline. */
static const PcTool catalog[] = {
        {"read", "fs", COD, false, false, "read a file"},
        {"write", "fs", COD, false, false, "create or overwrite a file"},
        {"edit", "fs", COD, false, false, "replace text in a file"},
        {"apply_patch", "fs", COD, false, false, "apply a multi-file patch"},
        {"exec", "runtime", COD, false, false, "run a shell command"},
        {"process", "runtime", COD, false, false, "manage background exec sessions"},
        {"code_execution", "runtime", COD, true, false, "provider-side code execution"},
        {"web_search", "web", COD, true, false, "search the web"},
        {"web_fetch", "web", COD, true, false, "fetch a URL"},
        {"x_search", "web", COD, true, false, "search X"},
        {"memory_search", "memory", COD, true, false, "search agent memory"},
        {"memory_get", "memory", COD, true, false, "read agent memory"},
        {"sessions_list", "sessions", COD | MSG, true, false, "list sessions"},
        {"sessions_history", "sessions", COD | MSG, true, false, "read a session's history"},
        {"sessions_send", "sessions", COD | MSG, true, false, "send to another session"},
        {"sessions_spawn", "sessions", COD, true, false, "spawn a sub-agent session"},
        {"sessions_yield", "sessions", COD, true, false, "yield to the parent session"},
        {"subagents", "sessions", COD, true, false, "manage sub-agents"},
        {"session_status", "sessions", MIN | COD | MSG, true, false, "the session's status"},
        {"browser", "ui", 0, true, false, "control a browser"},
        {"canvas", "ui", 0, true, false, "draw on the canvas"},
        {"message", "messaging", MSG, true, false, "send a chat message"},
        {"cron", "automation", COD, true, true, "schedule jobs"},
        {"gateway", "automation", 0, true, true, "manage the gateway"},
        {"nodes", "nodes", 0, true, true, "control paired nodes"},
        {"agents_list", "agents", 0, true, false, "list agents"},
        {"update_plan", "agents", COD, true, false, "update the task plan"},
        {"image", "media", COD, true, false, "understand an image"},
        {"image_generate", "media", COD, true, false, "generate an image"},
        {"music_generate", "media", COD, true, false, "generate music"},
        {"video_generate", "media", COD, true, false, "generate a video"},
        {"tts", "media", 0, true, false, "text to speech"},
};

static const char *const owner_only_extra[] = {"whatsapp_login", NULL};

static const char *const group_names[] = {
        "group:fs",
        "group:runtime",
        "group:web",
        "group:memory",
        "group:sessions",
        "group:ui",
        "group:messaging",
        "group:automation",
        "group:nodes",
        "group:agents",
        "group:media",
        "group:openclaw",
        NULL,
};

static const char *const profile_names[_PC_TOOL_PROFILE_MAX] = {
        [PC_TOOL_PROFILE_FULL] = "full",
        [PC_TOOL_PROFILE_MINIMAL] = "minimal",
        [PC_TOOL_PROFILE_CODING] = "coding",
        [PC_TOOL_PROFILE_MESSAGING] = "messaging",
};

const PcTool *pc_tool_catalog(size_t *ret_n)
{
        *ret_n = ELEMENTSOF(catalog);
        return catalog;
}

const PcTool *pc_tool_find(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(catalog); i++)
                if (streq(catalog[i].name, name))
                        return &catalog[i];
        return NULL;
}

bool pc_tool_name_is_owner_only(const char *name)
{
        const PcTool *t = pc_tool_find(name);
        if (t)
                return t->owner_only;
        for (const char *const *n = owner_only_extra; *n; n++)
                if (streq(*n, name))
                        return true;
        return false;
}

PcToolProfile pc_tool_profile_from_string(const char *s)
{
        for (int p = 0; s && p < _PC_TOOL_PROFILE_MAX; p++)
                if (streq(profile_names[p], s))
                        return (PcToolProfile) p;
        return _PC_TOOL_PROFILE_INVALID;
}

const char *pc_tool_profile_to_string(PcToolProfile p)
{
        return p >= 0 && p < _PC_TOOL_PROFILE_MAX ? profile_names[p] : NULL;
}

bool pc_tool_in_profile(const PcTool *t, PcToolProfile p)
{
        if (p == PC_TOOL_PROFILE_FULL)
                return true;
        return p > 0 && p < _PC_TOOL_PROFILE_MAX && (t->profiles & (1u << p));
}

bool pc_tool_group_is_known(const char *group)
{
        for (const char *const *g = group_names; *g; g++)
                if (streq(*g, group))
                        return true;
        return false;
}

bool pc_tool_group_contains(const char *group, const PcTool *t)
{
        if (!startswith(group, "group:"))
                return false;
        const char *g = group + strlen("group:");
        if (streq(g, "openclaw"))
                return t->openclaw;
        return streq(g, t->section);
}

const char *const *pc_tool_group_names(void)
{
        return group_names;
}
