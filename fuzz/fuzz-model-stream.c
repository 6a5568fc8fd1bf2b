/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a model service controls: its SSE byte stream (src/agents/sse.h) and the stream
 * events of both providers (pc_openai_stream_event, pc_anthropic_stream_event), then the
 * assembled turn as an AgentMessage. The first byte picks the provider and the chunk size the
 * stream is fed in (so event boundaries fall everywhere); the rest is the stream. Besides "no
 * crash, leak or UB" it checks that every refusal has a message, that the turn's text and
 * calls stay within their limits, and that the message built from any turn is valid JSON
 * whose tool-call arguments are objects.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agents/model.h"
#include "agents/sse.h"

typedef struct Ctx {
        PcModelTurn turn;
        bool anthropic;
} Ctx;

static int on_event(const char *event, const char *data, size_t len, void *userdata,
                    PcError *reterr)
{
        Ctx *c = userdata;
        return c->anthropic ? pc_anthropic_stream_event(&c->turn, event, data, len, reterr)
                            : pc_openai_stream_event(&c->turn, event, data, len, reterr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        Ctx c = {.anthropic = data[0] & 1};
        size_t chunk = (data[0] >> 1) + 1;
        data++;
        size--;
        pc_model_turn_init(&c.turn, NULL);
        PcSseParser p;
        pc_sse_init(&p, on_event, &c);
        int r = 0;
        for (size_t off = 0; off < size && r >= 0; off += chunk) {
                PcError err = PC_ERROR_INIT;
                size_t n = size - off < chunk ? size - off : chunk;
                r = pc_sse_feed(&p, (const char *) data + off, n, &err);
                if (r < 0)
                        assert(err.msg[0]);
        }
        assert(c.turn.n_calls <= PC_MODEL_MAX_TOOL_CALLS);
        assert(c.turn.text.len <= PC_MODEL_MAX_TEXT_BYTES);
        bool bad[PC_MODEL_MAX_TOOL_CALLS];
        json_t *msg = pc_model_turn_message(&c.turn, "api", "provider", "model", 0, bad);
        assert(msg); /* whatever was streamed, the turn is a valid message */
        {
                size_t i;
                json_t *block;
                json_array_foreach (json_object_get(msg, "content"), i, block)
                        if (json_object_get(block, "arguments"))
                                assert(json_is_object(json_object_get(block, "arguments")));
                json_decref(msg);
        }
        pc_sse_release(&p);
        pc_model_turn_release(&c.turn);
        return 0;
}
