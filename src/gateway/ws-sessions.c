/* SPDX-License-Identifier: MIT */
/*
 * sessions.list and sessions.history over the WebSocket API (gateway spec §1.3, §2). The
 * queries run on a worker (the store may wait for its lock); the payloads are the store's
 * (src/store/sessions-json.c), the same the session tools return. A shared-secret caller is
 * an operator and sees every session.
 */
#include "ws.h"

#include <errno.h>

#include "store/sessions.h"

static void fail(PcGatewayJob *j, int r, const PcError *err, const char *method)
{
        j->status = r == -EINVAL || r == -ENOENT ? 400 : 503;
        j->result = json_pack("{s:s,s:s,s:{s:s}}", "code",
                              j->status == 400 ? PC_WS_E_INVALID_REQUEST : PC_WS_E_UNAVAILABLE,
                              "message", err->msg[0] ? err->msg : "the session store failed",
                              "details", "method", method);
}

static void run_list(PcGatewayJob *j, const PcConfig *cfg, PcSandboxManager *manager,
                     PcStore *store)
{
        (void) cfg;
        (void) manager;
        PcError err = PC_ERROR_INIT;
        int r = pc_sessions_list_json(store, j->args, NULL, &j->result, &err);
        if (r < 0)
                fail(j, r, &err, "sessions.list");
        else
                j->status = 200;
}

static void run_history(PcGatewayJob *j, const PcConfig *cfg, PcSandboxManager *manager,
                        PcStore *store)
{
        (void) cfg;
        (void) manager;
        PcError err = PC_ERROR_INIT;
        int r = pc_sessions_history_json(store, j->args, &j->result, &err);
        if (r < 0)
                fail(j, r, &err, "sessions.history");
        else
                j->status = 200;
}

void pc__gateway_ws_sessions_list(PcWsConn *c, const char *id, const json_t *params)
{
        pc__gateway_ws_submit_run(c, id, run_list, json_deep_copy(params));
}

void pc__gateway_ws_sessions_history(PcWsConn *c, const char *id, const json_t *params)
{
        pc__gateway_ws_submit_run(c, id, run_history, json_deep_copy(params));
}
