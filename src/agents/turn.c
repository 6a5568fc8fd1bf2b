/* SPDX-License-Identifier: MIT */
/* A streamed model turn and its AgentMessage (model.h). */
#include <string.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/macro.h"
#include "base/utf8.h"
#include "model.h"

void pc_model_turn_init(PcModelTurn *t, const PcModelEvents *events)
{
        memset(t, 0, sizeof(*t));
        pc_buf_init(&t->text);
        t->events = events;
}

void pc_model_turn_release(PcModelTurn *t)
{
        pc_buf_release(&t->text);
        for (size_t i = 0; i < t->n_calls; i++) {
                free(t->calls[i].id);
                free(t->calls[i].name);
                pc_buf_release(&t->calls[i].arguments);
        }
        free(t->stop_reason);
        memset(t, 0, sizeof(*t));
}

json_t *pc_model_turn_message(const PcModelTurn *t, const char *api, const char *provider,
                              const char *model, int64_t now_ms, bool *ret_bad_args)
{
        json_t *content = json_array();
        if (t->text.len)
                json_array_append_new(content, json_pack("{s:s,s:s%}", "type", "text", "text",
                                                         t->text.buf, t->text.len));
        for (size_t i = 0; i < t->n_calls; i++) {
                const PcModelToolCall *c = &t->calls[i];
                json_t *args = NULL;
                if (c->arguments.len == 0)
                        args = json_object();
                else
                        args = json_loadb(c->arguments.buf, c->arguments.len, 0, NULL);
                bool bad = !json_is_object(args);
                if (bad) {
                        json_decref(args);
                        args = json_object();
                }
                if (ret_bad_args)
                        ret_bad_args[i] = bad;
                /* ids and names were cut at 128 bytes: keep them valid UTF-8 */
                _cleanup_free_ char *id =
                        pc_utf8_sanitize(c->id ? c->id : "", c->id ? strlen(c->id) : 0);
                _cleanup_free_ char *name =
                        pc_utf8_sanitize(c->name ? c->name : "", c->name ? strlen(c->name) : 0);
                json_array_append_new(content,
                                      json_pack("{s:s,s:s,s:s,s:o}", "type", "toolCall", "id", id,
                                                "name", name, "arguments", args));
        }
        const char *stop = t->n_calls ? "toolUse" : "stop";
        if (t->stop_reason &&
            (streq(t->stop_reason, "length") || streq(t->stop_reason, "max_tokens")))
                stop = "length";
        return json_pack("{s:s,s:o,s:s,s:s,s:s,s:{s:I,s:I,s:i,s:i,s:I},s:s,s:I}", "role",
                         "assistant", "content", content, "api", api, "provider", provider, "model",
                         model, "usage", "input", t->input_tokens, "output", t->output_tokens,
                         "cacheRead", 0, "cacheWrite", 0, "totalTokens",
                         t->input_tokens + t->output_tokens, "stopReason", stop, "timestamp",
                         (json_int_t) now_ms);
}

/* The text of an AgentMessage's content: a string, or its text blocks joined. */
char *pc_message_content_text(const json_t *content)
{
        if (json_is_string(content))
                return xstrdup(json_string_value(content));
        PcBuf b;
        pc_buf_init(&b);
        size_t i;
        json_t *block;
        json_array_foreach (content, i, block) {
                const char *text = json_string_value(json_object_get(block, "text"));
                if (text && streq_ptr(json_string_value(json_object_get(block, "type")), "text")) {
                        if (b.len)
                                pc_buf_addch(&b, '\n');
                        pc_buf_addstr(&b, text);
                }
        }
        return pc_buf_detach(&b);
}
