/* SPDX-License-Identifier: MIT */
/*
 * The request of one tool call as the clients send it, the same for POST /tools/invoke (the
 * body) and the WebSocket method tools.invoke (the params): {name | tool, args?, agentId?,
 * sessionKey?} (gateway spec §1.6, docs/api.md). Fuzzed by fuzz/fuzz-http-invoke.c.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "gateway-internal.h"

static char *trimmed(const char *s)
{
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
                s++;
        size_t n = strlen(s);
        while (n > 0 && strchr(" \t\n\r", s[n - 1]))
                n--;
        return n ? xstrndup(s, n) : NULL;
}

int pc__gateway_invoke_request(const json_t *doc, PcGatewayJob **ret)
{
        const json_t *name = json_object_get(doc, "name");
        if (!json_is_string(name))
                name = json_object_get(doc, "tool");
        char *tool = json_is_string(name) ? trimmed(json_string_value(name)) : NULL;
        if (!tool)
                return -EINVAL;
        PcGatewayJob *j = xcalloc(1, sizeof(*j));
        j->tool = tool;
        /* a copy: the request document is released on the loop thread while a worker runs */
        const json_t *args = json_object_get(doc, "args");
        j->args = json_is_object(args) ? json_deep_copy(args) : json_object();
        const char *s = json_string_value(json_object_get(doc, "agentId"));
        j->agent_id = s && *s ? xstrdup(s) : NULL;
        s = json_string_value(json_object_get(doc, "sessionKey"));
        j->session_key = s && *s ? xstrdup(s) : NULL;
        *ret = j;
        return 0;
}
