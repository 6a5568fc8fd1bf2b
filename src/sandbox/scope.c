/* SPDX-License-Identifier: MIT */
/*
 * Scope keys, slugs, sandbox names and the per-scope workspace directory (spec 1.4).
 *
 *   scope     scope key                 name                      workspace
 *   session   the session key ("main")  <prefix><slug(key)>       <root>/<slug(key)>
 *   agent     "agent:<id>"              <prefix><slug(key)>       <root>/<slug(key)>
 *   shared    "shared"                  <prefix>shared            <root>
 */
#include <ctype.h>

#include "base/alloc.h"
#include "sandbox-internal.h"

char *pc_sandbox_scope_key(PcSandboxScope scope, const char *session_key, const char *agent_id)
{
        switch (scope) {
        case PC_SANDBOX_SCOPE_SHARED:
                return xstrdup("shared");
        case PC_SANDBOX_SCOPE_SESSION: {
                char *k = pc__trim(session_key);
                if (*k)
                        return k;
                free(k);
                return xstrdup("main");
        }
        case PC_SANDBOX_SCOPE_AGENT:
        default:
                return xasprintf("agent:%s", agent_id && *agent_id ? agent_id : "main");
        }
}

static bool slug_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

char *pc_sandbox_slug(const char *s)
{
        _cleanup_free_ char *t = pc__trim(s);
        if (!*t) {
                free(t);
                t = xstrdup("session");
        }
        char hex[PC_SHA256_HEX_SIZE];
        pc_sha256_hex(t, hex);

        /* safe: lower case, each run of other characters → one '-', no '-' at either end. */
        size_t n = strlen(t);
        _cleanup_free_ char *safe = xmalloc(n + 1);
        size_t m = 0;
        bool in_run = false;
        for (size_t i = 0; i < n; i++) {
                char c = (char) tolower((unsigned char) t[i]);
                if (slug_char(c)) {
                        safe[m++] = c;
                        in_run = false;
                } else if (!in_run) {
                        safe[m++] = '-';
                        in_run = true;
                }
        }
        safe[m] = '\0';
        const char *start = safe;
        while (*start == '-')
                start++;
        size_t len = strlen(start);
        while (len && start[len - 1] == '-')
                len--;
        if (len > PC_SANDBOX_SLUG_BASE_MAX)
                len = PC_SANDBOX_SLUG_BASE_MAX;
        if (len == 0) {
                start = "session";
                len = strlen(start);
        }
        return xasprintf("%.*s-%.8s", (int) len, start, hex);
}

char *pc_sandbox_name(const char *prefix, PcSandboxScope scope, const char *scope_key)
{
        _cleanup_free_ char *tail =
                scope == PC_SANDBOX_SCOPE_SHARED ? xstrdup("shared") : pc_sandbox_slug(scope_key);
        char *name = xasprintf("%s%s", prefix ? prefix : PC_SANDBOX_DEFAULT_PREFIX, tail);
        if (strlen(name) > PC_SANDBOX_NAME_MAX)
                name[PC_SANDBOX_NAME_MAX] = '\0';
        return name;
}

char *pc_sandbox_workspace_dir(const char *workspace_root, PcSandboxScope scope,
                               const char *scope_key)
{
        _cleanup_free_ char *root = pc__path_normalize(workspace_root);
        if (scope == PC_SANDBOX_SCOPE_SHARED)
                return TAKE_PTR(root);
        _cleanup_free_ char *slug = pc_sandbox_slug(scope_key);
        return xasprintf("%s%s%s", root, streq(root, "/") ? "" : "/", slug);
}
