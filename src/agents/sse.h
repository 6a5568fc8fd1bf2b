/* SPDX-License-Identifier: MIT */
/*
 * An incremental parser for Server-Sent Events (the WHATWG event-stream format), as both model
 * providers stream their answers. Bytes are fed as they arrive, in chunks split anywhere; each
 * complete event (a blank line ends it) is handed to the callback with its `event:` name ("" when
 * none) and its `data:` lines joined by '\n'. Comments (": ...") and unknown fields are ignored;
 * CR, LF and CRLF all end lines.
 *
 * Limits: a line or an event's data longer than PC_SSE_MAX_EVENT_BYTES is an error (-E2BIG), so
 * a misbehaving server cannot make Pincer buffer without bound.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/error.h"

#define PC_SSE_MAX_EVENT_BYTES (4u * 1024u * 1024u)

/* Returns 0 to go on, or a negative errno (with reterr filled) to stop the stream. */
typedef int (*PcSseEventFn)(const char *event, const char *data, size_t data_len, void *userdata,
                            PcError *reterr);

typedef struct PcSseParser {
        PcBuf line;
        PcBuf data;
        PcBuf event;
        bool has_data;
        bool last_cr; /* the previous chunk ended in CR: a following LF belongs to it */
        PcSseEventFn fn;
        void *userdata;
} PcSseParser;

void pc_sse_init(PcSseParser *p, PcSseEventFn fn, void *userdata);
void pc_sse_release(PcSseParser *p);
/* Feeds bytes; returns 0, the callback's error, or -E2BIG. */
int pc_sse_feed(PcSseParser *p, const char *buf, size_t len, PcError *reterr);
/* True when bytes of an unfinished event are buffered (the stream was cut inside one). */
bool pc_sse_pending(const PcSseParser *p);
