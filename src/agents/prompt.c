/* SPDX-License-Identifier: MIT */
/*
 * The system prompt (spec 4.3): a short fixed preamble (identity, tooling, safety, workspace,
 * runtime) and the agent workspace's bootstrap files under "# Project Context": AGENTS.md,
 * SOUL.md, IDENTITY.md, USER.md, TOOLS.md, HEARTBEAT.md, BOOTSTRAP.md and MEMORY.md (the
 * optional ones only when present; a missing required one gets a one-line marker). Sub-agent
 * sessions get only AGENTS.md. Each file is cut at bootstrapMaxChars and all of them at
 * bootstrapTotalMaxChars, with a notice saying so; contextInjection "never" leaves them out.
 * Pincer does not re-create OpenClaw's prompt word for word: the spec does not give it.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "loop.h"

#define PROMPT_FILE_READ_MAX (4u * 1024u * 1024u)

static const struct {
        const char *name;
        bool optional;
} files[] = {
        {"AGENTS.md", false}, {"SOUL.md", false},     {"IDENTITY.md", false}, {"USER.md", false},
        {"TOOLS.md", true},   {"HEARTBEAT.md", true}, {"BOOTSTRAP.md", true}, {"MEMORY.md", true},
};

static char *read_capped(const char *path, size_t max, bool *ret_missing)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        *ret_missing = fd < 0;
        if (fd < 0)
                return NULL;
        PcBuf b;
        pc_buf_init(&b);
        char chunk[8192];
        ssize_t n;
        while (b.len < max && (n = read(fd, chunk, sizeof(chunk))) > 0)
                pc_buf_add(&b, chunk, (size_t) n);
        close(fd);
        return pc_buf_detach(&b);
}

/* A setting of the agent's effective config, else of agents.defaults (for keys the effective
 * view does not carry). */
static const json_t *setting(const PcConfig *cfg, const json_t *effective, const char *key)
{
        const json_t *v = json_object_get(effective, key);
        if (!v)
                v = json_object_get(
                        json_object_get(json_object_get(pc_config_root(cfg), "agents"), "defaults"),
                        key);
        return v;
}

char *pc_agent_system_prompt(const PcConfig *cfg, const PcAgent *agent, const json_t *effective,
                             const char *session_key, const char *model_ref, bool sandboxed,
                             const json_t *tools)
{
        PcBuf b;
        pc_buf_init(&b);
        pc_buf_addf(&b, "You are a personal assistant running inside Pincer (agent \"%s\").\n\n",
                    agent->id);
        pc_buf_addstr(&b, "## Tooling\nTools available in this session:\n");
        size_t i;
        json_t *t;
        json_array_foreach (tools, i, t)
                pc_buf_addf(&b, "- %s: %s\n", json_string_value(json_object_get(t, "name")),
                            json_string_value(json_object_get(t, "description")));
        if (json_array_size(tools) == 0)
                pc_buf_addstr(&b, "(none)\n");
        pc_buf_addstr(&b, "Call tools only by these names. A refused call comes back as an "
                          "error; do not retry it unchanged.\n\n");
        pc_buf_addstr(&b, "## Safety\nDo not exfiltrate secrets or private data. Ask before "
                          "destructive actions outside the workspace.\n\n");
        pc_buf_addf(&b, "## Workspace\nYour working directory is: %s\n",
                    sandboxed ? "/workspace" : agent->workspace);
        if (sandboxed)
                pc_buf_addstr(&b, "You run in a sandbox: tools see the workspace at /workspace.\n");
        pc_buf_addch(&b, '\n');

        const char *inject = json_string_value(setting(cfg, effective, "contextInjection"));
        bool subagent = strstr(session_key, ":subagent:") != NULL;
        if (!streq_ptr(inject, "never")) {
                json_int_t per = json_integer_value(setting(cfg, effective, "bootstrapMaxChars"));
                json_int_t total =
                        json_integer_value(setting(cfg, effective, "bootstrapTotalMaxChars"));
                if (per <= 0)
                        per = 20000;
                if (total <= 0)
                        total = 150000;
                json_int_t used = 0;
                pc_buf_addstr(&b, "# Project Context\n\nThe following workspace files are loaded "
                                  "for you:\n\n");
                for (i = 0; i < ELEMENTSOF(files); i++) {
                        if (subagent && i > 0)
                                break;
                        _cleanup_free_ char *path =
                                xasprintf("%s/%s", agent->workspace, files[i].name);
                        bool missing;
                        _cleanup_free_ char *text =
                                read_capped(path, PROMPT_FILE_READ_MAX, &missing);
                        if (missing) {
                                if (!files[i].optional)
                                        pc_buf_addf(&b, "## %s\n[MISSING] Expected at: %s\n\n",
                                                    files[i].name, path);
                                continue;
                        }
                        size_t len = strlen(text);
                        size_t keep = len;
                        if ((json_int_t) keep > per)
                                keep = (size_t) per;
                        if (used + (json_int_t) keep > total)
                                keep = used < total ? (size_t) (total - used) : 0;
                        while (keep > 0 && keep < len &&
                               ((unsigned char) text[keep] & 0xC0) == 0x80)
                                keep--; /* never cut a UTF-8 sequence */
                        used += (json_int_t) keep;
                        pc_buf_addf(&b, "## %s\n", files[i].name);
                        pc_buf_add(&b, text, keep);
                        if (keep < len)
                                pc_buf_addf(&b,
                                            "\n[... truncated: %zu of %zu characters shown "
                                            "(bootstrapMaxChars %lld, bootstrapTotalMaxChars "
                                            "%lld)]",
                                            keep, len, (long long) per, (long long) total);
                        pc_buf_addstr(&b, "\n\n");
                }
        }
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char ts[64];
        strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
        pc_buf_addf(&b, "## Runtime\nagent=%s | session=%s | model=%s | time=%s\n", agent->id,
                    session_key, model_ref, ts);
        /* Workspace files are the user's: make sure the prompt is valid UTF-8 for the JSON. */
        char *clean = pc_utf8_sanitize(b.buf, b.len);
        pc_buf_release(&b);
        return clean;
}
