/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what a client controls in the sessions store: the params of sessions.list and
 * sessions.history (src/store/sessions.h) and session keys. The input is a JSON document
 * (params) or, when it is not JSON, a session key. Besides "no crash, leak or UB" it checks
 * that a refusal is -EINVAL or -ENOENT with a message, that a list answer never holds more
 * rows than PC_SESSIONS_PAGE_MAX, and that a history answer stays within its byte budget.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "store/sessions.h"

static PcStore *store;
static char state_dir[] = "/tmp/pincer-fuzz-sessions-XXXXXX";

static void cleanup(void)
{
        static const char *const files[] = {"state.db", "state.db-wal", "state.db-shm"};
        store = pc_store_close(store);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                char path[128];
                snprintf(path, sizeof(path), "%s/%s", state_dir, files[i]);
                (void) unlink(path);
        }
        (void) rmdir(state_dir);
}

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-session-params: invariant violated: %s\n", what);
                abort();
        }
}

static void seed(void)
{
        check(mkdtemp(state_dir) != NULL, "mkdtemp");
        atexit(cleanup);
        PcError err = PC_ERROR_INIT;
        check(pc_store_open(state_dir, &store, &err) == 0, "open");
        static const char *const keys[] = {"agent:main:main", "agent:main:slack:group:g",
                                           "agent:family:main"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                json_t *m = json_pack("{s:s,s:[{s:s,s:s}],s:i}", "role", "user", "content", "type",
                                      "text", "text", "hello", "timestamp", 1);
                PcSessionInit in = {.key = keys[i], .agent_id = i == 2 ? "family" : "main"};
                check(pc_store_transcript_append(store, &in, &m, 1, (int64_t) i, &err) == 0,
                      "seed append");
                json_decref(m);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!store)
                seed();
        char *text = xstrndup((const char *) data, size);
        const char *kind = pc_session_kind_from_key(text, "agent:main:main");
        check(kind && *kind, "kind");
        check(pc_session_list_kind(kind) != NULL, "list kind");
        free(pc_session_channel_from_key(text));

        json_t *params = json_loadb((const char *) data, size, JSON_DECODE_ANY, NULL);
        PcError err = PC_ERROR_INIT;
        json_t *doc = NULL;
        int r = pc_sessions_list_json(store, params, NULL, &doc, &err);
        if (r < 0)
                check(r == -EINVAL && err.msg[0], "list refusal");
        else
                check(json_array_size(json_object_get(doc, "sessions")) <= PC_SESSIONS_PAGE_MAX,
                      "list size");
        json_decref(doc);
        doc = NULL;
        r = pc_sessions_history_json(store, params, &doc, &err);
        if (r < 0)
                check((r == -EINVAL || r == -ENOENT) && err.msg[0], "history refusal");
        else
                check(json_integer_value(json_object_get(doc, "bytes")) <= PC_HISTORY_MAX_BYTES,
                      "history budget");
        json_decref(doc);
        json_decref(params);
        free(text);
        return 0;
}
