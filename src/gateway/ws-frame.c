/* SPDX-License-Identifier: MIT */
/*
 * WebSocket frames as JSON (gateway spec §1.3): what a client sends (req, cancel; connect's
 * params) and what the server sends (res, event). Pure functions: no loop, no lws.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/macro.h"
#include "ws.h"

void pc__ws_request_release(PcWsRequest *r)
{
        json_decref(r->doc);
        *r = (PcWsRequest){};
}

static bool printable(const char *s)
{
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static const char *id_of(const json_t *doc)
{
        const json_t *id = json_object_get(doc, "id");
        const char *s = json_string_value(id);
        if (!s || !*s || json_string_length(id) > PC_WS_MAX_ID ||
            strlen(s) != json_string_length(id))
                return NULL;
        return s;
}

int pc__ws_request_parse(const char *data, size_t len, PcWsRequest *ret, PcError *reterr)
{
        *ret = (PcWsRequest){};
        json_error_t jerr;
        ret->doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!ret->doc)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid frame: not JSON (%s at line %d, column %d)",
                                         jerr.text, jerr.line, jerr.column);
        if (!json_is_object(ret->doc))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid frame: expected a JSON object "
                                         "{\"type\":\"req\",\"id\",\"method\",\"params\"}");
        ret->id = id_of(ret->doc);
        const char *type = json_string_value(json_object_get(ret->doc, "type"));
        if (type && streq(type, "cancel")) {
                ret->kind = PC_WS_FRAME_CANCEL;
                if (!ret->id)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "invalid cancel frame: id must be a non-empty "
                                                 "string of at most %d bytes",
                                                 PC_WS_MAX_ID);
                return 0;
        }
        if (!type || !streq(type, "req"))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid frame: type must be \"req\" (or \"cancel\")");
        if (!ret->id)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid request frame: id must be a non-empty string "
                                         "of at most %d bytes",
                                         PC_WS_MAX_ID);
        const json_t *m = json_object_get(ret->doc, "method");
        ret->method = json_string_value(m);
        if (!ret->method || !*ret->method || json_string_length(m) > 128 ||
            strlen(ret->method) != json_string_length(m) || !printable(ret->method)) {
                ret->method = NULL;
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid request frame: method must be a non-empty "
                                         "string of at most 128 printable characters");
        }
        ret->params = json_object_get(ret->doc, "params");
        if (json_is_null(ret->params))
                ret->params = NULL;
        return 0;
}

/* The spec's closed enums (§1.3 step 3), matched case-insensitively. */
static const char *const client_ids[] = {
        "webchat-ui",
        "openclaw-control-ui",
        "openclaw-browser-copilot",
        "openclaw-tui",
        "webchat",
        "cli",
        "gateway-client",
        "openclaw-macos",
        "openclaw-linux",
        "openclaw-ios",
        "openclaw-watchos",
        "openclaw-android",
        "node-host",
        "openclaw-worker",
        "test",
        "fingerprint",
        "openclaw-probe",
};
static const char *const client_modes[] = {
        "webchat", "cli", "ui", "backend", "node", "worker", "probe", "test",
};
static const char *const roles[] = {"operator", "node", "worker"};

static bool one_of(const char *s, const char *const *set, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(s, set[i]) == 0)
                        return true;
        return false;
}

static int string_field(const json_t *obj, const char *key, const char *where, bool required,
                        size_t max, const char **ret, PcError *reterr)
{
        const json_t *v = json_object_get(obj, key);
        *ret = NULL;
        if (!v || json_is_null(v)) {
                if (required)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "invalid connect params: %s%s is required", where,
                                                 key);
                return 0;
        }
        if (!json_is_string(v) || json_string_length(v) > max ||
            strlen(json_string_value(v)) != json_string_length(v))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: %s%s must be a string of at "
                                         "most %zu bytes",
                                         where, key, max);
        *ret = json_string_value(v);
        return 0;
}

static int int_field(const json_t *obj, const char *key, int64_t *ret, PcError *reterr)
{
        const json_t *v = json_object_get(obj, key);
        if (!json_is_integer(v))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: %s is required and must be "
                                         "an integer (this gateway speaks protocol %d)",
                                         key, PC_WS_PROTOCOL_VERSION);
        *ret = json_integer_value(v);
        return 0;
}

int pc__ws_connect_parse(const json_t *params, PcWsConnectParams *ret, PcError *reterr)
{
        *ret = (PcWsConnectParams){};
        if (!json_is_object(params))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: params must be an object with "
                                         "minProtocol, maxProtocol and client");
        int r = int_field(params, "minProtocol", &ret->min_protocol, reterr);
        if (r >= 0)
                r = int_field(params, "maxProtocol", &ret->max_protocol, reterr);
        if (r < 0)
                return r;
        const json_t *client = json_object_get(params, "client");
        if (!json_is_object(client))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: client must be an object "
                                         "{id, version, platform, mode}");
        r = string_field(client, "id", "client.", true, 64, &ret->client_id, reterr);
        if (r >= 0)
                r = string_field(client, "version", "client.", true, 128, &ret->client_version,
                                 reterr);
        if (r >= 0)
                r = string_field(client, "platform", "client.", true, 128, &ret->client_platform,
                                 reterr);
        if (r >= 0)
                r = string_field(client, "mode", "client.", true, 32, &ret->client_mode, reterr);
        if (r < 0)
                return r;
        if (!one_of(ret->client_id, client_ids, ELEMENTSOF(client_ids)))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: client.id '%.64s' is not a "
                                         "known client id (e.g. \"cli\", \"gateway-client\", "
                                         "\"test\")",
                                         ret->client_id);
        if (!one_of(ret->client_mode, client_modes, ELEMENTSOF(client_modes)))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: client.mode '%.32s' is not one "
                                         "of webchat, cli, ui, backend, node, worker, probe, "
                                         "test",
                                         ret->client_mode);
        r = string_field(params, "role", "", false, 32, &ret->role, reterr);
        if (r < 0)
                return r;
        if (!ret->role)
                ret->role = "operator";
        else if (!one_of(ret->role, roles, ELEMENTSOF(roles)))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: role '%.32s' is not one of "
                                         "operator, node, worker",
                                         ret->role);
        ret->scopes = json_object_get(params, "scopes");
        if (ret->scopes && !json_is_null(ret->scopes)) {
                size_t i;
                const json_t *s;
                bool ok = json_is_array(ret->scopes) && json_array_size(ret->scopes) <= 32;
                json_array_foreach (ret->scopes, i, s)
                        ok = ok && json_is_string(s) && json_string_length(s) <= 64;
                if (!ok)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "invalid connect params: scopes must be an "
                                                 "array of at most 32 strings");
        } else
                ret->scopes = NULL;
        const json_t *auth = json_object_get(params, "auth");
        if (auth && !json_is_null(auth)) {
                if (!json_is_object(auth))
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "invalid connect params: auth must be an "
                                                 "object {token} or {password}");
                r = string_field(auth, "token", "auth.", false, PC_WS_MAX_SECRET, &ret->token,
                                 reterr);
                if (r >= 0)
                        r = string_field(auth, "password", "auth.", false, PC_WS_MAX_SECRET,
                                         &ret->password, reterr);
                if (r < 0)
                        return r;
                ret->token_len = ret->token ? strlen(ret->token) : 0;
                ret->password_len = ret->password ? strlen(ret->password) : 0;
        }
        if (ret->min_protocol > ret->max_protocol)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "invalid connect params: minProtocol %lld is above "
                                         "maxProtocol %lld",
                                         (long long) ret->min_protocol,
                                         (long long) ret->max_protocol);
        if (ret->max_protocol < PC_WS_PROTOCOL_VERSION ||
            ret->min_protocol > PC_WS_PROTOCOL_VERSION)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EPROTONOSUPPORT,
                                         "protocol mismatch: the client speaks %lld-%lld, this "
                                         "gateway speaks %d",
                                         (long long) ret->min_protocol,
                                         (long long) ret->max_protocol, PC_WS_PROTOCOL_VERSION);
        return 0;
}

static char *dump(json_t *doc)
{
        char *s = json_dumps(doc, JSON_COMPACT);
        if (!s)
                abort(); /* out of memory */
        json_decref(doc);
        return s;
}

static json_t *id_value(const char *id)
{
        return id ? json_string(id) : json_null();
}

char *pc__ws_res_ok(const char *id, json_t *payload)
{
        json_t *doc = json_pack("{s:s,s:o,s:b}", "type", "res", "id", id_value(id), "ok", 1);
        if (payload)
                json_object_set_new(doc, "payload", payload);
        return dump(doc);
}

/* A message may quote client bytes (cut at a byte count, or from the JSON parser's error): bytes
 * that are not valid UTF-8 become '?'. */
static json_t *text_value(const char *s)
{
        json_t *v = json_string(s);
        if (v)
                return v;
        char *copy = strdup(s);
        if (!copy)
                abort();
        for (char *p = copy; *p; p++)
                if ((unsigned char) *p >= 0x80 || (unsigned char) *p < 0x20)
                        *p = '?';
        v = json_string(copy);
        free(copy);
        return v;
}

char *pc__ws_res_error(const char *id, const char *code, const char *message, json_t *details)
{
        json_t *err = json_pack("{s:s,s:o}", "code", code, "message", text_value(message));
        if (details)
                json_object_set_new(err, "details", details);
        json_t *doc = json_pack("{s:s,s:o,s:b,s:o}", "type", "res", "id", id_value(id), "ok", 0,
                                "error", err);
        return dump(doc);
}

char *pc__ws_event(const char *event, json_t *payload, uint64_t seq)
{
        json_t *doc = json_pack("{s:s,s:s,s:I}", "type", "event", "event", event, "seq",
                                (json_int_t) seq);
        if (payload)
                json_object_set_new(doc, "payload", payload);
        return dump(doc);
}
