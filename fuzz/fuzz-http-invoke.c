/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what the gateway's own code reads from an HTTP request to POST /tools/invoke (the
 * request line and headers are libwebsockets' to parse): the Authorization header and the body.
 * The input is the header value on the first line, the body after it. The body is read as
 * src/gateway/http.c does (jansson, strict JSON) and turned into a job by
 * pc__gateway_invoke_request() (src/gateway/invoke-request.c, which the WebSocket
 * tools.invoke shares). Besides "no crash, leak or UB" it aborts when an invariant fails:
 *  - the header is accepted only when it carries the token or the password, after "Bearer ";
 *  - a job has a non-empty tool name without surrounding whitespace and args that are an
 *    object; agentId and sessionKey are absent or non-empty;
 *  - a refused body has no "name" or "tool" string with a non-blank value.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "gateway/gateway-internal.h"

#define TOKEN    "fuzz-token-0123456789abcdef"
#define PASSWORD "fuzz-password"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-http-invoke: invariant violated: %s\n", what);
                abort();
        }
}

static bool blank(const char *s)
{
        return s[strspn(s, " \t\r\n")] == '\0';
}

/* What the header may be for the check to accept it: "Bearer" (any case), spaces, a secret,
 * spaces. */
static bool carries_secret(const char *h)
{
        if (strncasecmp(h, "Bearer ", 7) != 0)
                return false;
        const char *v = h + 7;
        v += strspn(v, " ");
        size_t n = strlen(v);
        while (n > 0 && v[n - 1] == ' ')
                n--;
        return (n == strlen(TOKEN) && !memcmp(v, TOKEN, n)) ||
               (n == strlen(PASSWORD) && !memcmp(v, PASSWORD, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nl = memchr(data, '\n', size);
        size_t hlen = nl ? (size_t) (nl - (const char *) data) : size;
        if (hlen > 4096)
                return 0; /* http.c copies at most 4200 bytes of the header */
        char *header = xstrndup((const char *) data, hlen);
        PcGatewayAuth auth = {.mode = PC_GATEWAY_AUTH_TOKEN,
                              .token = xstrdup(TOKEN),
                              .password = xstrdup(PASSWORD)};
        bool ok = pc__gateway_auth_check(&auth, header);
        check(ok == carries_secret(header), "the Authorization check disagrees with the rule");
        pc__gateway_auth_release(&auth);
        free(header);

        const char *body = nl ? nl + 1 : "";
        size_t blen = nl ? size - hlen - 1 : 0;
        json_error_t jerr;
        json_t *doc = json_loadb(body, blen, 0, &jerr);
        if (!doc)
                return 0; /* 400 "Invalid JSON body" */
        PcGatewayJob *j = NULL;
        int r = pc__gateway_invoke_request(doc, &j);
        if (r < 0) {
                check(r == -EINVAL, "a refusal that is not -EINVAL");
                const char *n = json_string_value(json_object_get(doc, "name"));
                const char *t = json_string_value(json_object_get(doc, "tool"));
                check(!(n && !blank(n)) && !(t && !blank(t) && !n), "a tool name was refused");
        } else {
                check(j->tool && *j->tool, "an empty tool name");
                check(!strchr(" \t\r\n", j->tool[0]) &&
                              !strchr(" \t\r\n", j->tool[strlen(j->tool) - 1]),
                      "a tool name with surrounding whitespace");
                check(json_is_object(j->args), "args that are not an object");
                check(!j->agent_id || *j->agent_id, "an empty agentId");
                check(!j->session_key || *j->session_key, "an empty sessionKey");
                /* the job owns a copy: the request can go */
                json_decref(doc);
                doc = NULL;
                check(json_object_size(j->args) < SIZE_MAX, "args");
                pc__gateway_job_free(j);
        }
        json_decref(doc);
        return 0;
}
