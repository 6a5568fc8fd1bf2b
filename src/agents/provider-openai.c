/* SPDX-License-Identifier: MIT */
/*
 * The openai-completions wire format: POST <baseUrl>/chat/completions with stream=true, answered
 * by SSE chunks {"choices":[{"delta":{content, tool_calls:[{index, id, function:{name,
 * arguments}}]}, "finish_reason"}]} and a final "data: [DONE]". Tool-call arguments arrive as
 * string pieces split anywhere, keyed by their index; they are concatenated here and parsed
 * only when the turn is complete. OpenAI, Ollama, llama.cpp's server, vLLM and OpenRouter all
 * speak it.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "model.h"

static void text_delta(PcModelTurn *t, const char *s, size_t n)
{
        if (t->text.len + n > PC_MODEL_MAX_TEXT_BYTES)
                return; /* the rest is dropped; the length is the provider's to limit */
        pc_buf_add(&t->text, s, n);
        if (t->events && t->events->text_delta)
                t->events->text_delta(s, n, t->events->userdata);
}

int pc_openai_stream_event(PcModelTurn *t, const char *event, const char *data, size_t len,
                           PcError *reterr)
{
        (void) event;
        t->received = true;
        if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
                t->done = true;
                return 0;
        }
        json_error_t jerr;
        json_t *chunk = json_loadb(data, len, 0, &jerr);
        if (!json_is_object(chunk)) {
                json_decref(chunk);
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                         "the model sent a stream chunk that is not a JSON object "
                                         "(%s)",
                                         jerr.text);
        }
        int r = 0;
        json_t *err = json_object_get(chunk, "error");
        if (err) {
                const char *m = json_string_value(json_object_get(err, "message"));
                r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                      "the model reported an error in its stream: %.300s",
                                      m ? m : "(no message)");
                goto out;
        }
        json_t *usage = json_object_get(chunk, "usage");
        if (json_is_object(usage)) {
                t->input_tokens = json_integer_value(json_object_get(usage, "prompt_tokens"));
                t->output_tokens = json_integer_value(json_object_get(usage, "completion_tokens"));
        }
        json_t *choice = json_array_get(json_object_get(chunk, "choices"), 0);
        if (!choice)
                goto out;
        json_t *delta = json_object_get(choice, "delta");
        json_t *content = json_object_get(delta, "content");
        if (json_is_string(content))
                text_delta(t, json_string_value(content), json_string_length(content));
        size_t i;
        json_t *tc;
        json_array_foreach (json_object_get(delta, "tool_calls"), i, tc) {
                json_t *jindex = json_object_get(tc, "index");
                json_int_t index =
                        json_is_integer(jindex) ? json_integer_value(jindex) : (json_int_t) i;
                if (index < 0 || index >= PC_MODEL_MAX_TOOL_CALLS) {
                        r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                              "the model sent tool call index %lld (at most %d "
                                              "calls per turn)",
                                              (long long) index, PC_MODEL_MAX_TOOL_CALLS);
                        goto out;
                }
                while (t->n_calls <= (size_t) index) {
                        pc_buf_init(&t->calls[t->n_calls].arguments);
                        t->n_calls++;
                }
                PcModelToolCall *c = &t->calls[index];
                const char *id = json_string_value(json_object_get(tc, "id"));
                if (id && *id && !c->id)
                        c->id = xstrndup(id, 128);
                json_t *fn = json_object_get(tc, "function");
                const char *name = json_string_value(json_object_get(fn, "name"));
                if (name && *name && !c->name)
                        c->name = xstrndup(name, 128);
                json_t *args = json_object_get(fn, "arguments");
                if (json_is_string(args)) {
                        if (c->arguments.len + json_string_length(args) > PC_MODEL_MAX_TEXT_BYTES) {
                                r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -E2BIG,
                                                      "the model's tool call arguments exceed %u "
                                                      "bytes",
                                                      PC_MODEL_MAX_TEXT_BYTES);
                                goto out;
                        }
                        pc_buf_add(&c->arguments, json_string_value(args),
                                   json_string_length(args));
                }
        }
        const char *finish = json_string_value(json_object_get(choice, "finish_reason"));
        if (finish) {
                free(t->stop_reason);
                t->stop_reason = xstrndup(finish, 64);
        }
out:
        json_decref(chunk);
        return r;
}

json_t *pc_openai_request_body(const char *model, const char *system, const json_t *messages,
                               const json_t *tools, json_int_t max_tokens)
{
        json_t *out = json_array();
        if (system && *system)
                json_array_append_new(out,
                                      json_pack("{s:s,s:s}", "role", "system", "content", system));
        size_t i;
        json_t *m;
        json_array_foreach (messages, i, m) {
                const char *role = json_string_value(json_object_get(m, "role"));
                json_t *content = json_object_get(m, "content");
                char *text = pc_message_content_text(content);
                if (streq_ptr(role, "user")) {
                        json_array_append_new(
                                out, json_pack("{s:s,s:s}", "role", "user", "content", text));
                } else if (streq_ptr(role, "assistant")) {
                        json_t *msg = json_pack("{s:s}", "role", "assistant");
                        json_object_set_new(msg, "content",
                                            *text ? json_string(text) : json_null());
                        json_t *calls = json_array();
                        size_t j;
                        json_t *block;
                        json_array_foreach (content, j, block) {
                                if (!streq_ptr(json_string_value(json_object_get(block, "type")),
                                               "toolCall"))
                                        continue;
                                char *args = json_dumps(json_object_get(block, "arguments"),
                                                        JSON_COMPACT);
                                json_array_append_new(
                                        calls, json_pack("{s:O,s:s,s:{s:O,s:s}}", "id",
                                                         json_object_get(block, "id"), "type",
                                                         "function", "function", "name",
                                                         json_object_get(block, "name"),
                                                         "arguments", args ? args : "{}"));
                                free(args);
                        }
                        if (json_array_size(calls))
                                json_object_set_new(msg, "tool_calls", calls);
                        else
                                json_decref(calls);
                        json_array_append_new(out, msg);
                } else if (streq_ptr(role, "toolResult")) {
                        json_array_append_new(
                                out, json_pack("{s:s,s:O,s:s}", "role", "tool", "tool_call_id",
                                               json_object_get(m, "toolCallId"), "content", text));
                }
                free(text);
        }
        json_t *body = json_pack("{s:s,s:o,s:b,s:{s:b}}", "model", model, "messages", out, "stream",
                                 1, "stream_options", "include_usage", 1);
        if (max_tokens > 0)
                json_object_set_new(body, "max_tokens", json_integer(max_tokens));
        if (json_array_size(tools)) {
                json_t *ts = json_array();
                json_t *tool;
                json_array_foreach (tools, i, tool)
                        json_array_append_new(
                                ts, json_pack("{s:s,s:O}", "type", "function", "function", tool));
                json_object_set_new(body, "tools", ts);
        }
        return body;
}
