/* SPDX-License-Identifier: MIT */
/*
 * sessions.list and sessions.history over the WebSocket API (gateway spec §1.3, §2).
 * The session and transcript store (src/store/sessions*.c) is not part of this build yet:
 * both answer UNAVAILABLE until it is wired in here.
 */
#include "ws.h"

static void unavailable(PcWsConn *c, const char *id, const char *method)
{
        pc__gateway_ws_reply(c, pc__ws_res_error(id, PC_WS_E_UNAVAILABLE,
                                                 "unavailable: the session store is not built yet",
                                                 json_pack("{s:s,s:s}", "method", method, "reason",
                                                           "session-store-missing")));
}

void pc__gateway_ws_sessions_list(PcWsConn *c, const char *id, const json_t *params)
{
        (void) params;
        unavailable(c, id, "sessions.list");
}

void pc__gateway_ws_sessions_history(PcWsConn *c, const char *id, const json_t *params)
{
        (void) params;
        unavailable(c, id, "sessions.history");
}
