/* SPDX-License-Identifier: MIT */
/*
 * The body of POST /v1/chat/completions as chat.c reads it (docs/api.md): {model, messages,
 * user?, stream?}; only the last user message's text is used. Fuzzed by
 * fuzz/fuzz-chat-request.c.
 */
#include <errno.h>
#include <string.h>

#include "agents/model.h"
#include "base/alloc.h"
#include "base/buf.h"
#include "base/macro.h"
#include "gateway-internal.h"

/* The text of the last message with role "user": a string content, or its text parts joined
 * with newlines. NULL when there is none. */
static char *last_user_text(const json_t *messages)
{
        for (size_t i = json_array_size(messages); i-- > 0;) {
                const json_t *m = json_array_get(messages, i);
                if (!streq_ptr(json_string_value(json_object_get(m, "role")), "user"))
                        continue;
                return pc_message_content_text(json_object_get(m, "content"));
        }
        return NULL;
}

int pc__chat_request_parse(const char *body, size_t len, PcChatRequest *ret)
{
        *ret = (PcChatRequest){0};
        json_error_t jerr;
        json_t *doc = len ? json_loadb(body, len, 0, &jerr) : NULL;
        if (!json_is_object(doc)) {
                json_decref(doc);
                return -EINVAL;
        }
        const char *s = json_string_value(json_object_get(doc, "model"));
        ret->model = s ? xstrdup(s) : NULL;
        s = json_string_value(json_object_get(doc, "user"));
        ret->user = s && *s ? xstrdup(s) : NULL;
        ret->stream = json_is_true(json_object_get(doc, "stream"));
        const json_t *messages = json_object_get(doc, "messages");
        ret->text = json_is_array(messages) ? last_user_text(messages) : NULL;
        json_decref(doc);
        return 0;
}

void pc__chat_request_release(PcChatRequest *r)
{
        free(r->model);
        free(r->user);
        free(r->text);
        *r = (PcChatRequest){0};
}

char *pc__chat_user_segment(const char *user)
{
        char *out = xstrndup(user, 64);
        for (char *c = out; *c; c++) {
                char l = (char) (*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
                *c = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '_' || l == '-' ? l
                                                                                              : '-';
        }
        return out;
}
