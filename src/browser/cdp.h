/* SPDX-License-Identifier: MIT */
/*
 * A Chrome DevTools Protocol client over Chromium's --remote-debugging-pipe transport: JSON
 * messages, each ended by one NUL byte, read from one fd and written to another. No TCP port
 * is opened, so nothing but the process holding the fds can drive the browser.
 *
 * The client is synchronous: pc_cdp_call() writes a command and reads messages until its
 * response arrives (or the deadline passes); events read meanwhile go to the event callback.
 * One thread at a time (the browser session's lock, session.c).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* Largest message accepted from the browser (a full-page screenshot is base64 in one). */
#define PC_CDP_MESSAGE_MAX (48u * 1024u * 1024u)

/* One parsed message: a response (id >= 0, result or error) or an event (id -1, method). */
typedef struct PcCdpMessage {
        json_t *root;           /* owned; the fields below point into it */
        int64_t id;             /* -1 for an event */
        const char *method;     /* events */
        const char *session_id; /* flattened target sessions; NULL for the browser */
        json_t *params;         /* events: object (borrowed from root), never NULL */
        json_t *result;         /* responses: object (borrowed), NULL on error */
        const char *error;      /* responses: the error's message, NULL on success */
} PcCdpMessage;

/* Parses one message (without its NUL). Rejects anything that is not a CDP message: not an
 * object, an id that is not a non-negative integer, neither id nor method, a non-object
 * result/params. */
int pc_cdp_message_parse(const char *data, size_t len, PcCdpMessage *ret, PcError *reterr);
void pc_cdp_message_release(PcCdpMessage *m);

typedef void (*PcCdpEventFn)(void *userdata, const PcCdpMessage *event);

typedef struct PcCdp PcCdp;

/* Takes ownership of both fds (they may be the same socket). */
PcCdp *pc_cdp_new(int read_fd, int write_fd, PcCdpEventFn on_event, void *userdata);
void pc_cdp_free(PcCdp *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(PcCdp *, pc_cdp_free);

/* False once the browser closed its end (it exited) or a protocol error made the stream
 * unusable. */
bool pc_cdp_alive(const PcCdp *c);

/* Sends method with params (stolen; NULL = {}) to session_id (NULL: the browser target) and
 * waits up to timeout_ms for the answer. *ret_result (may be NULL) receives the result object.
 * A CDP error answer is -EIO with the browser's message; no answer in time is -ETIMEDOUT; a
 * browser that went away is -EPIPE. */
int pc_cdp_call(PcCdp *c, const char *session_id, const char *method, json_t *params,
                int timeout_ms, json_t **ret_result, PcError *reterr);

/* Arms a one-shot wait for event `method` on session_id; pc_cdp_wait() then reads until it
 * has been seen (also if it arrived during calls made in between). */
void pc_cdp_expect(PcCdp *c, const char *session_id, const char *method);
int pc_cdp_wait(PcCdp *c, int timeout_ms, PcError *reterr);

/* Reads and dispatches whatever events are already waiting, without blocking, for at most
 * PC_CDP_DRAIN_MS. Between calls nobody reads: events wait in the socket (and, when it is full,
 * in Chromium), and the next call drains them first. */
#define PC_CDP_DRAIN_MS 250
void pc_cdp_drain(PcCdp *c);
