/* SPDX-License-Identifier: MIT */
/*
 * The anthropic-messages wire format: POST <baseUrl>/v1/messages with stream=true, answered by
 * the SSE events message_start, content_block_start (text or tool_use), content_block_delta
 * (text_delta, or input_json_delta carrying pieces of the tool input's JSON), content_block_stop,
 * message_delta (stop_reason, usage), message_stop, ping and error. Tool results go back as
 * tool_result blocks in a user message; consecutive results share one.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "model.h"

#define ANTHROPIC_MAX_BLOCKS 256

static int proto(PcError *reterr, const char *what)
{
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                 "the model sent a malformed stream event: %s", what);
}

int pc_anthropic_stream_event(PcModelTurn *t, const char *event, const char *data, size_t len,
                              PcError *reterr)
{
        t->received = true;
        json_error_t jerr;
        json_t *ev = json_loadb(data, len, 0, &jerr);
        if (!json_is_object(ev)) {
                json_decref(ev);
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                         "the model sent a stream event that is not a JSON object "
                                         "(%s)",
                                         jerr.text);
        }
        const char *type = json_string_value(json_object_get(ev, "type"));
        if (!type)
                type = event;
        int r = 0;
        json_t *jindex = json_object_get(ev, "index");
        json_int_t index = json_integer_value(jindex);
        if (streq(type, "message_start")) {
                json_t *usage = json_object_get(json_object_get(ev, "message"), "usage");
                t->input_tokens = json_integer_value(json_object_get(usage, "input_tokens"));
        } else if (streq(type, "content_block_start")) {
                json_t *block = json_object_get(ev, "content_block");
                if (!json_is_integer(jindex) || index < 0 || index >= ANTHROPIC_MAX_BLOCKS ||
                    !json_is_object(block)) {
                        r = proto(reterr, "content_block_start without a valid index and block");
                        goto out;
                }
                if (streq_ptr(json_string_value(json_object_get(block, "type")), "tool_use")) {
                        if (t->n_calls >= PC_MODEL_MAX_TOOL_CALLS) {
                                r = proto(reterr, "too many tool_use blocks in one turn");
                                goto out;
                        }
                        PcModelToolCall *c = &t->calls[t->n_calls];
                        pc_buf_init(&c->arguments);
                        const char *id = json_string_value(json_object_get(block, "id"));
                        const char *name = json_string_value(json_object_get(block, "name"));
                        c->id = id ? xstrndup(id, 128) : NULL;
                        c->name = name ? xstrndup(name, 128) : NULL;
                        t->n_calls++;
                        t->anthropic_block_call[index] = (int) t->n_calls;
                } else
                        t->anthropic_block_call[index] = 0;
        } else if (streq(type, "content_block_delta")) {
                json_t *delta = json_object_get(ev, "delta");
                const char *dtype = json_string_value(json_object_get(delta, "type"));
                if (!json_is_integer(jindex) || index < 0 || index >= ANTHROPIC_MAX_BLOCKS ||
                    !dtype) {
                        r = proto(reterr, "content_block_delta without a valid index and delta");
                        goto out;
                }
                if (streq(dtype, "text_delta")) {
                        json_t *text = json_object_get(delta, "text");
                        if (json_is_string(text) &&
                            t->text.len + json_string_length(text) <= PC_MODEL_MAX_TEXT_BYTES) {
                                pc_buf_add(&t->text, json_string_value(text),
                                           json_string_length(text));
                                if (t->events && t->events->text_delta)
                                        t->events->text_delta(json_string_value(text),
                                                              json_string_length(text),
                                                              t->events->userdata);
                        }
                } else if (streq(dtype, "input_json_delta")) {
                        int ci = t->anthropic_block_call[index];
                        json_t *part = json_object_get(delta, "partial_json");
                        if (ci == 0 || !json_is_string(part)) {
                                r = proto(reterr, "input_json_delta outside a tool_use block");
                                goto out;
                        }
                        PcModelToolCall *c = &t->calls[ci - 1];
                        if (c->arguments.len + json_string_length(part) > PC_MODEL_MAX_TEXT_BYTES) {
                                r = proto(reterr, "tool input larger than the limit");
                                goto out;
                        }
                        pc_buf_add(&c->arguments, json_string_value(part),
                                   json_string_length(part));
                }
        } else if (streq(type, "message_delta")) {
                const char *stop = json_string_value(
                        json_object_get(json_object_get(ev, "delta"), "stop_reason"));
                if (stop) {
                        free(t->stop_reason);
                        t->stop_reason = xstrndup(stop, 64);
                }
                json_t *usage = json_object_get(ev, "usage");
                if (json_object_get(usage, "output_tokens"))
                        t->output_tokens =
                                json_integer_value(json_object_get(usage, "output_tokens"));
        } else if (streq(type, "message_stop")) {
                t->done = true;
        } else if (streq(type, "error")) {
                json_t *e = json_object_get(ev, "error");
                const char *m = json_string_value(json_object_get(e, "message"));
                const char *et = json_string_value(json_object_get(e, "type"));
                r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPROTO,
                                      "the model reported an error in its stream (%.64s): %.300s",
                                      et ? et : "error", m ? m : "(no message)");
        }
out:
        json_decref(ev);
        return r;
}

static json_t *text_blocks(const json_t *content)
{
        if (json_is_string(content))
                return json_pack("[{s:s,s:O}]", "type", "text", "text", content);
        json_t *out = json_array();
        size_t i;
        json_t *block;
        json_array_foreach (content, i, block)
                if (streq_ptr(json_string_value(json_object_get(block, "type")), "text") &&
                    json_is_string(json_object_get(block, "text")) &&
                    json_string_length(json_object_get(block, "text")) > 0)
                        json_array_append_new(out, json_pack("{s:s,s:O}", "type", "text", "text",
                                                             json_object_get(block, "text")));
        return out;
}

json_t *pc_anthropic_request_body(const char *model, const char *system, const json_t *messages,
                                  const json_t *tools, json_int_t max_tokens)
{
        json_t *out = json_array();
        json_t *pending_results = NULL; /* the user message collecting tool_result blocks */
        size_t i;
        json_t *m;
        json_array_foreach (messages, i, m) {
                const char *role = json_string_value(json_object_get(m, "role"));
                json_t *content = json_object_get(m, "content");
                if (streq_ptr(role, "toolResult")) {
                        if (!pending_results) {
                                pending_results =
                                        json_pack("{s:s,s:[]}", "role", "user", "content");
                                json_array_append_new(out, pending_results);
                        }
                        json_t *block = json_pack("{s:s,s:O,s:o,s:b}", "type", "tool_result",
                                                  "tool_use_id", json_object_get(m, "toolCallId"),
                                                  "content", text_blocks(content), "is_error",
                                                  json_is_true(json_object_get(m, "isError")));
                        json_array_append_new(json_object_get(pending_results, "content"), block);
                        continue;
                }
                pending_results = NULL;
                if (streq_ptr(role, "user")) {
                        json_array_append_new(out, json_pack("{s:s,s:o}", "role", "user", "content",
                                                             text_blocks(content)));
                } else if (streq_ptr(role, "assistant")) {
                        json_t *blocks = text_blocks(content);
                        size_t j;
                        json_t *block;
                        json_array_foreach (content, j, block)
                                if (streq_ptr(json_string_value(json_object_get(block, "type")),
                                              "toolCall"))
                                        json_array_append_new(
                                                blocks,
                                                json_pack("{s:s,s:O,s:O,s:O}", "type", "tool_use",
                                                          "id", json_object_get(block, "id"),
                                                          "name", json_object_get(block, "name"),
                                                          "input",
                                                          json_object_get(block, "arguments")));
                        if (json_array_size(blocks))
                                json_array_append_new(out,
                                                      json_pack("{s:s,s:o}", "role", "assistant",
                                                                "content", blocks));
                        else
                                json_decref(blocks);
                }
        }
        json_t *body = json_pack("{s:s,s:I,s:o,s:b}", "model", model, "max_tokens",
                                 max_tokens > 0 ? max_tokens : (json_int_t) 4096, "messages", out,
                                 "stream", 1);
        if (system && *system)
                json_object_set_new(body, "system", json_string(system));
        if (json_array_size(tools)) {
                json_t *ts = json_array();
                json_t *tool;
                json_array_foreach (tools, i, tool)
                        json_array_append_new(
                                ts,
                                json_pack("{s:O,s:O,s:O}", "name", json_object_get(tool, "name"),
                                          "description", json_object_get(tool, "description"),
                                          "input_schema", json_object_get(tool, "parameters")));
                json_object_set_new(body, "tools", ts);
        }
        return body;
}
