/* SPDX-License-Identifier: MIT */
/* Resolving a model ref to a provider (provider.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "provider.h"

void pc_provider_release(PcProvider *p)
{
        free(p->id);
        free(p->model);
        free(p->api_name);
        free(p->base_url);
        if (p->api_key) {
                explicit_bzero(p->api_key, strlen(p->api_key));
                free(p->api_key);
        }
        json_decref(p->headers);
        memset(p, 0, sizeof(*p));
}

static bool is_local(const char *url)
{
        const char *h = strstr(url, "://");
        h = h ? h + 3 : url;
        return strncmp(h, "localhost", 9) == 0 || strncmp(h, "127.", 4) == 0 ||
               strncmp(h, "[::1]", 5) == 0;
}

int pc_provider_resolve(const PcConfig *cfg, const char *ref, PcProvider *ret, PcError *reterr)
{
        memset(ret, 0, sizeof(*ret));
        const char *slash = ref ? strchr(ref, '/') : NULL;
        if (!slash || slash == ref || !slash[1])
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "model \"%.200s\" is not a \"provider/model\" ref; set "
                                         "agents.defaults.model (or the agent's model) to one, "
                                         "e.g. \"openai/gpt-4o\"",
                                         ref ? ref : "");
        _cleanup_free_ char *pid = xstrndup(ref, (size_t) (slash - ref));
        const char *model = slash + 1;
        const json_t *models = json_object_get(pc_config_root(cfg), "models");
        const json_t *prov = json_object_get(json_object_get(models, "providers"), pid);
        bool replace = streq_ptr(json_string_value(json_object_get(models, "mode")), "replace");
        const char *base = json_string_value(json_object_get(prov, "baseUrl"));
        const char *api = json_string_value(json_object_get(prov, "api"));
        if (!prov && !replace && streq(pid, "openai"))
                base = "https://api.openai.com/v1";
        else if (!prov && !replace && streq(pid, "anthropic")) {
                base = "https://api.anthropic.com";
                api = "anthropic-messages";
        } else if (!prov)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -ENOENT,
                                         "model \"%.200s\" names provider \"%s\", which is not in "
                                         "models.providers; add it there (baseUrl, api, apiKey)",
                                         ref, pid);
        if (!base)
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "models.providers.%s has no baseUrl; set it to the API's "
                                         "base URL, e.g. \"http://localhost:11434/v1\"",
                                         pid);
        /* The model's own api wins over the provider's; a listed provider must list it. */
        const json_t *list = json_object_get(prov, "models");
        const json_t *mdef = NULL;
        if (json_array_size(list)) {
                size_t i;
                const json_t *m;
                json_array_foreach (list, i, m)
                        if (streq_ptr(json_string_value(json_object_get(m, "id")), model))
                                mdef = m;
                if (!mdef)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -ENOENT,
                                                 "unknown model \"%.200s\": models.providers.%s."
                                                 "models does not list \"%.200s\"; add it there or "
                                                 "pick a listed one",
                                                 ref, pid, model);
                if (json_string_value(json_object_get(mdef, "api")))
                        api = json_string_value(json_object_get(mdef, "api"));
        }
        if (!api)
                api = "openai-completions";
        if (streq(api, "openai-completions"))
                ret->api = PC_MODEL_API_OPENAI_COMPLETIONS;
        else if (streq(api, "anthropic-messages"))
                ret->api = PC_MODEL_API_ANTHROPIC_MESSAGES;
        else
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EOPNOTSUPP,
                                         "models.providers.%s uses api \"%s\", which Pincer does "
                                         "not speak yet; use \"openai-completions\" or "
                                         "\"anthropic-messages\"",
                                         pid, api);
        const json_t *key = json_object_get(prov, "apiKey");
        if (key && !json_is_string(key))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EOPNOTSUPP,
                                         "models.providers.%s.apiKey is a SecretRef, which the "
                                         "agent runtime does not resolve yet; use \"${VAR}\"",
                                         pid);
        const char *k = json_string_value(key);
        _cleanup_free_ char *env_name = xasprintf("%s_API_KEY", pid);
        for (char *c = env_name; *c; c++)
                *c = *c == '-' || *c == '.' ? '_' : (char) toupper((unsigned char) *c);
        if (!k || !*k)
                k = getenv(env_name);
        ret->id = xstrdup(pid);
        ret->model = xstrdup(model);
        ret->api_name = xstrdup(api);
        ret->base_url = xstrdup(base);
        size_t bl = strlen(ret->base_url);
        while (bl > 0 && ret->base_url[bl - 1] == '/')
                ret->base_url[--bl] = 0;
        ret->api_key = k && *k ? xstrdup(k) : NULL;
        const json_t *ah = json_object_get(prov, "authHeader");
        ret->auth_header = !json_is_false(ah);
        const json_t *hdrs = json_object_get(prov, "headers");
        if (json_is_object(hdrs))
                ret->headers = json_deep_copy(hdrs);
        json_int_t t = json_integer_value(json_object_get(prov, "timeoutSeconds"));
        ret->idle_timeout_s = t > 0 ? (int) (t < 86400 ? t : 86400) : is_local(base) ? 300 : 120;
        ret->max_tokens = (json_int_t) json_number_value(json_object_get(mdef, "maxTokens"));
        return 0;
}
