/* SPDX-License-Identifier: MIT */
/*
 * One model call, independent of the provider's wire format.
 *
 * A request carries the system prompt, the conversation as OpenClaw AgentMessages (spec 2.2:
 * user, assistant with text and toolCall blocks, toolResult) and the tools offered (name,
 * description, JSON schema). The provider modules (provider-openai.c, provider-anthropic.c)
 * turn it into their request body and parse their stream events into a PcModelTurn: the
 * assistant's text, its tool calls (arguments assembled from the streamed deltas) and why it
 * stopped. transport.c sends the request over libcurl (provider.h).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"

#define PC_MODEL_MAX_TOOL_CALLS 64
#define PC_MODEL_MAX_TEXT_BYTES (4u * 1024u * 1024u)

typedef enum PcModelApi {
        PC_MODEL_API_OPENAI_COMPLETIONS,
        PC_MODEL_API_ANTHROPIC_MESSAGES,
} PcModelApi;

typedef struct PcModelToolCall {
        char *id;
        char *name;
        PcBuf arguments; /* the JSON text as streamed */
} PcModelToolCall;

/* Callbacks while a turn streams; any may be NULL. */
typedef struct PcModelEvents {
        void (*text_delta)(const char *text, size_t len, void *userdata);
        void *userdata;
        int cancel_fd; /* > 0: once readable, the call stops with -ECANCELED (an abort) */
} PcModelEvents;

typedef struct PcModelTurn {
        PcBuf text;
        PcModelToolCall calls[PC_MODEL_MAX_TOOL_CALLS];
        size_t n_calls;
        char *stop_reason; /* the provider's finish/stop reason, or NULL */
        bool done;         /* the stream's end marker was seen ([DONE], message_stop) */
        bool received;     /* at least one event arrived */
        json_int_t input_tokens, output_tokens;
        /* parser state */
        int anthropic_block_call[256]; /* content block index → call index + 1 (0: text) */
        const PcModelEvents *events;
} PcModelTurn;

/* The text of a message content (OpenAI or AgentMessage): a string, or its "text" blocks
 * joined with newlines (new string, "" when there are none). */
char *pc_message_content_text(const json_t *content);

void pc_model_turn_init(PcModelTurn *t, const PcModelEvents *events);
void pc_model_turn_release(PcModelTurn *t);

/* The stream parsers: one SSE event (name and data) into the turn. A malformed event is
 * -EPROTO with a message saying what was wrong. */
int pc_openai_stream_event(PcModelTurn *t, const char *event, const char *data, size_t len,
                           PcError *reterr);
int pc_anthropic_stream_event(PcModelTurn *t, const char *event, const char *data, size_t len,
                              PcError *reterr);

/* The request bodies (new references). messages are AgentMessages (borrowed); tools is an
 * array of {name, description, parameters}. */
json_t *pc_openai_request_body(const char *model, const char *system, const json_t *messages,
                               const json_t *tools, json_int_t max_tokens);
json_t *pc_anthropic_request_body(const char *model, const char *system, const json_t *messages,
                                  const json_t *tools, json_int_t max_tokens);

/* The turn as an assistant AgentMessage (new reference). A tool call whose arguments are not
 * a JSON object gets {} as arguments; *ret_bad_args (may be NULL) marks those calls. */
json_t *pc_model_turn_message(const PcModelTurn *t, const char *api, const char *provider,
                              const char *model, int64_t now_ms, bool *ret_bad_args);
