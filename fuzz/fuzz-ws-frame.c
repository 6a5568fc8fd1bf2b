/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what the gateway does with one WebSocket text message (src/gateway/ws-frame.c):
 * pc__ws_request_parse(), then pc__ws_connect_parse() on the params of any request (the
 * daemon runs it for connect), then the answer frames built from the results. Besides
 * "no crash, leak or UB" it aborts when an invariant fails:
 *  - a parse failure is -EINVAL with a message; a success has an id and a method (req) or
 *    an id (cancel), and ids are at most PC_WS_MAX_ID bytes;
 *  - connect params that parse are inside the protocol range and carry client fields;
 *  - every frame the server would send back (error with the parser's message, ok with the
 *    params echoed, an event) is JSON that jansson's strict parser reads back, with the
 *    right type, id and ok.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ws.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-ws-frame: invariant violated: %s\n", what);
                abort();
        }
}

static void check_frame(char *frame, const char *type, const char *id, int ok)
{
        check(frame != NULL, "no frame");
        json_error_t jerr;
        json_t *doc = json_loads(frame, JSON_REJECT_DUPLICATES, &jerr);
        check(doc != NULL, "a server frame is not valid JSON");
        check(strcmp(json_string_value(json_object_get(doc, "type")), type) == 0,
              "server frame of the wrong type");
        if (ok >= 0) {
                const json_t *jid = json_object_get(doc, "id");
                if (id)
                        check(json_is_string(jid) && strcmp(json_string_value(jid), id) == 0,
                              "res frame lost its id");
                else
                        check(json_is_null(jid), "res frame without an id is not null");
                check(json_is_boolean(json_object_get(doc, "ok")) &&
                              json_is_true(json_object_get(doc, "ok")) == (ok == 1),
                      "res frame has the wrong ok");
                if (!ok) {
                        const json_t *e = json_object_get(doc, "error");
                        check(json_is_string(json_object_get(e, "code")) &&
                                      json_is_string(json_object_get(e, "message")),
                              "error without code or message");
                }
        }
        json_decref(doc);
        free(frame);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PcWsRequest req;
        PcError err = PC_ERROR_INIT;
        int r = pc__ws_request_parse((const char *) data, size, &req, &err);
        if (r < 0) {
                check(r == -EINVAL && err.msg[0], "a parse failure without -EINVAL and a message");
                check_frame(pc__ws_res_error(req.id, PC_WS_E_INVALID_REQUEST, err.msg, NULL), "res",
                            req.id, 0);
                pc__ws_request_release(&req);
                return 0;
        }
        check(req.id && strlen(req.id) <= PC_WS_MAX_ID, "a parsed frame without a usable id");
        if (req.kind == PC_WS_FRAME_REQ) {
                check(req.method && *req.method, "a request without a method");
                PcWsConnectParams cp;
                PcError cerr = PC_ERROR_INIT;
                int cr = pc__ws_connect_parse(req.params, &cp, &cerr);
                if (cr < 0) {
                        check((cr == -EINVAL || cr == -EPROTONOSUPPORT) && cerr.msg[0],
                              "connect params failure without a code and a message");
                        check_frame(pc__ws_res_error(req.id, PC_WS_E_INVALID_REQUEST, cerr.msg,
                                                     json_pack("{s:s}", "method", req.method)),
                                    "res", req.id, 0);
                } else {
                        check(cp.min_protocol <= PC_WS_PROTOCOL_VERSION &&
                                      cp.max_protocol >= PC_WS_PROTOCOL_VERSION,
                              "accepted a protocol range without this gateway's version");
                        check(cp.client_id && cp.client_version && cp.client_platform &&
                                      cp.client_mode && cp.role,
                              "accepted connect params without the client fields");
                        check(!cp.token || strlen(cp.token) <= PC_WS_MAX_SECRET,
                              "accepted an over-long token");
                }
                json_t *echo = req.params ? json_deep_copy(req.params) : NULL;
                check_frame(pc__ws_res_ok(req.id, echo), "res", req.id, 1);
                check_frame(pc__ws_event("tick", json_pack("{s:s}", "method", req.method), 1),
                            "event", NULL, -1);
        }
        pc__ws_request_release(&req);
        return 0;
}
