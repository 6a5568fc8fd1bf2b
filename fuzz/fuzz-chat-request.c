/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what the gateway reads from the body of POST /v1/chat/completions
 * (pc__chat_request_parse() and pc__chat_user_segment(), src/gateway/chat-request.c). Besides
 * "no crash, leak or UB" it aborts when an invariant fails:
 *  - a refusal is -EINVAL and only for a body that is not a JSON object;
 *  - what it read is valid UTF-8 (it goes into JSON answers and session keys): model, text
 *    and user make JSON strings;
 *  - user is absent or non-empty, and its session key segment is 1 to 64 characters of
 *    [a-z0-9_-].
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway-internal.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-chat-request: invariant violated: %s\n", what);
                abort();
        }
}

static bool utf8_ok(const char *s)
{
        if (!s)
                return true;
        json_t *j = json_string(s);
        json_decref(j);
        return j != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PcChatRequest r;
        int rc = pc__chat_request_parse((const char *) data, size, &r);
        json_t *doc = json_loadb((const char *) data, size, 0, NULL);
        if (rc < 0) {
                check(rc == -EINVAL, "a refusal that is not -EINVAL");
                check(!json_is_object(doc), "a JSON object was refused");
        } else {
                check(json_is_object(doc), "a body that is not a JSON object was read");
                check(utf8_ok(r.model) && utf8_ok(r.text) && utf8_ok(r.user), "invalid UTF-8");
                check(!r.user || *r.user, "an empty user");
                if (r.user) {
                        char *seg = pc__chat_user_segment(r.user);
                        size_t n = strlen(seg);
                        check(n >= 1 && n <= 64, "a user segment of the wrong length");
                        check(strspn(seg, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n,
                              "a user segment with other characters");
                        free(seg);
                }
        }
        json_decref(doc);
        pc__chat_request_release(&r);
        return 0;
}
