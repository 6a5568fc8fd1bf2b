/* SPDX-License-Identifier: MIT */
/*
 * The container and image wrappers of engine.h: thin calls over pc_engine_request() that
 * validate names before they become paths and pick the reply apart.
 */
#include <errno.h>
#include <string.h>

#include "base/alloc.h"
#include "engine-internal.h"

/* Copies the "Id" string of a reply; -EBADMSG when there is none. */
static int reply_id(PcEngine *e, const char *method, const char *path, const PcEngineResponse *r,
                    char **ret, PcError *reterr)
{
        int k = pc__engine_expect(e, method, path, r, JSON_OBJECT, reterr);
        if (k < 0)
                return k;
        const char *id = json_string_value(json_object_get(r->json, "Id"));
        if (!id || !pc__engine_name_is_valid(id))
                return pc_error_set_kind(reterr, PC_ERROR_INTERNAL, -EBADMSG,
                                         "Docker engine at %s: the reply to %s %s has no valid Id",
                                         pc_engine_address(e), method, path);
        if (ret)
                *ret = xstrdup(id);
        return 0;
}

int pc_engine_container_create(PcEngine *e, const char *name, json_t *config, char **ret_id,
                               PcError *reterr)
{
        if (name && !pc__engine_name_is_valid(name))
                return pc__engine_invalid_name("container name", name, reterr);
        if (!json_is_object(config))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "container config must be a JSON object");
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        pc_buf_addstr(&path, "/containers/create");
        if (name) {
                pc_buf_addstr(&path, "?name=");
                pc__url_escape(&path, name);
        }
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        int k = pc_engine_request(e, "POST", path.buf, config, &r, reterr);
        if (k < 0)
                return k;
        return reply_id(e, "POST", path.buf, &r, ret_id, reterr);
}

int pc_engine_container_start(PcEngine *e, const char *id, PcError *reterr)
{
        if (!pc__engine_name_is_valid(id))
                return pc__engine_invalid_name("container", id, reterr);
        _cleanup_free_ char *path = xasprintf("/containers/%s/start", id);
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        return pc_engine_request(e, "POST", path, NULL, &r, reterr);
}

/* GET path, which must answer JSON of the given type; *ret (may be NULL) takes the value.
 * what names the request in errors (a path without its query). */
static int get_json(PcEngine *e, const char *path, const char *what, json_type type, json_t **ret,
                    PcError *reterr)
{
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        int k = pc_engine_request(e, "GET", path, NULL, &r, reterr);
        if (k < 0)
                return k;
        k = pc__engine_expect(e, "GET", what, &r, type, reterr);
        if (k < 0)
                return k;
        if (ret)
                *ret = TAKE_PTR(r.json);
        return 0;
}

int pc_engine_container_inspect(PcEngine *e, const char *id, json_t **ret, PcError *reterr)
{
        if (!pc__engine_name_is_valid(id))
                return pc__engine_invalid_name("container", id, reterr);
        _cleanup_free_ char *path = xasprintf("/containers/%s/json", id);
        return get_json(e, path, path, JSON_OBJECT, ret, reterr);
}

int pc_engine_container_remove(PcEngine *e, const char *id, PcError *reterr)
{
        if (!pc__engine_name_is_valid(id))
                return pc__engine_invalid_name("container", id, reterr);
        _cleanup_free_ char *path = xasprintf("/containers/%s?force=1&v=1", id);
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        return pc_engine_request(e, "DELETE", path, NULL, &r, reterr);
}

int pc_engine_container_list(PcEngine *e, const char *label, json_t **ret, PcError *reterr)
{
        if (!label || !*label || strlen(label) > 1024)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "a label filter (key or key=value) is required");
        json_t *filters = json_pack("{s:[s]}", "label", label);
        _cleanup_free_ char *f = json_dumps(filters, JSON_COMPACT);
        json_decref(filters);
        if (!f)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "the label filter is not valid UTF-8");
        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        pc_buf_addstr(&path, "/containers/json?all=1&filters=");
        pc__url_escape(&path, f);
        return get_json(e, path.buf, "/containers/json", JSON_ARRAY, ret, reterr);
}

int pc_engine_image_inspect(PcEngine *e, const char *name, json_t **ret, PcError *reterr)
{
        if (!pc__engine_name_is_valid(name))
                return pc__engine_invalid_name("image name", name, reterr);
        _cleanup_free_ char *path = xasprintf("/images/%s/json", name);
        return get_json(e, path, path, JSON_OBJECT, ret, reterr);
}

int pc_engine_commit(PcEngine *e, const char *container, const char *image_ref, json_t *config,
                     char **ret_image_id, PcError *reterr)
{
        if (!pc__engine_name_is_valid(container))
                return pc__engine_invalid_name("container", container, reterr);
        if (!pc__engine_name_is_valid(image_ref) || strchr(image_ref, '@'))
                return pc__engine_invalid_name("image reference", image_ref, reterr);
        if (config && !json_is_object(config))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "commit config must be a JSON object");

        /* "repo:tag": the tag is after the last ':' that follows the last '/'. */
        const char *slash = strrchr(image_ref, '/');
        const char *colon = strrchr(slash ? slash : image_ref, ':');
        _cleanup_free_ char *repo =
                colon ? xstrndup(image_ref, (size_t) (colon - image_ref)) : xstrdup(image_ref);
        const char *tag = colon ? colon + 1 : "latest";
        if (!*repo || !*tag)
                return pc__engine_invalid_name("image reference", image_ref, reterr);

        _cleanup_buf_ PcBuf path = PC_BUF_INIT;
        pc_buf_addstr(&path, "/commit?container=");
        pc__url_escape(&path, container);
        pc_buf_addstr(&path, "&repo=");
        pc__url_escape(&path, repo);
        pc_buf_addstr(&path, "&tag=");
        pc__url_escape(&path, tag);
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        int k = pc_engine_request(e, "POST", path.buf, config, &r, reterr);
        if (k < 0)
                return k;
        return reply_id(e, "POST", "/commit", &r, ret_image_id, reterr);
}

int pc_engine_image_remove(PcEngine *e, const char *name, bool force, PcError *reterr)
{
        if (!pc__engine_name_is_valid(name))
                return pc__engine_invalid_name("image name", name, reterr);
        _cleanup_free_ char *path = xasprintf("/images/%s?force=%d", name, force ? 1 : 0);
        _cleanup_(pc_engine_response_release) PcEngineResponse r = PC_ENGINE_RESPONSE_INIT;
        return pc_engine_request(e, "DELETE", path, NULL, &r, reterr);
}
