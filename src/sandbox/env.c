/* SPDX-License-Identifier: MIT */
/*
 * Environment sanitisation (spec 1.11). Pincer applies it to the create-time environment
 * and to every exec, so a "blocked" variable never reaches a sandboxed process (OpenClaw
 * filters only `docker create` and passes docker.env to `docker exec` unfiltered).
 */
#include <strings.h>

#include "base/alloc.h"
#include "base/log.h"
#include "sandbox-internal.h"

#define ENV_VALUE_WARN_LEN 32768
#define ENV_BASE64_MIN_LEN 80

/* OpenClaw's explicit list (sanitize-env-vars.ts), matched whole and case-insensitively. */
static const char *const blocked_names[] = {
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GEMINI_API_KEY",
        "OPENROUTER_API_KEY",
        "MINIMAX_API_KEY",
        "ELEVENLABS_API_KEY",
        "SYNTHETIC_API_KEY",
        "TELEGRAM_BOT_TOKEN",
        "DISCORD_BOT_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "LINE_CHANNEL_SECRET",
        "LINE_CHANNEL_ACCESS_TOKEN",
        "OPENCLAW_GATEWAY_TOKEN",
        "OPENCLAW_GATEWAY_PASSWORD",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "AWS_SESSION_TOKEN",
        "GH_TOKEN",
        "GITHUB_TOKEN",
        "AZURE_API_KEY",
        "AZURE_OPENAI_API_KEY",
        "COHERE_API_KEY",
        "AI_GATEWAY_API_KEY",
};

/* ... and any name ending in one of these. */
static const char *const blocked_suffixes[] = {"API_KEY", "TOKEN", "PASSWORD", "PRIVATE_KEY",
                                               "SECRET"};

bool pc_sandbox_env_name_blocked(const char *name)
{
        _cleanup_free_ char *n = pc__trim(name);
        for (size_t i = 0; i < ELEMENTSOF(blocked_names); i++)
                if (strcasecmp(n, blocked_names[i]) == 0)
                        return true;
        size_t len = strlen(n);
        for (size_t i = 0; i < ELEMENTSOF(blocked_suffixes); i++) {
                size_t l = strlen(blocked_suffixes[i]);
                if (len >= l && strcasecmp(n + len - l, blocked_suffixes[i]) == 0)
                        return true;
        }
        return false;
}

static bool looks_base64(const char *v, size_t len)
{
        if (len < ENV_BASE64_MIN_LEN)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = v[i];
                bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
                if (!ok)
                        return false;
        }
        return true;
}

PcEnvVerdict pc_sandbox_env_check(const char *name, const char *value, size_t value_len)
{
        if (pc_sandbox_env_name_blocked(name))
                return PC_ENV_BLOCKED_NAME;
        if (!value || memchr(value, '\0', value_len))
                return PC_ENV_BLOCKED_NUL;
        if (value_len > ENV_VALUE_WARN_LEN)
                return PC_ENV_WARN_LONG;
        if (looks_base64(value, value_len))
                return PC_ENV_WARN_BASE64;
        return PC_ENV_OK;
}

static void env_remove(PcSandboxEnv *env, const char *key)
{
        for (size_t i = 0; i < env->n_vars; i++) {
                if (!streq(env->vars[i].key, key))
                        continue;
                free(env->vars[i].key);
                free(env->vars[i].value);
                memmove(env->vars + i, env->vars + i + 1,
                        (env->n_vars - i - 1) * sizeof(PcKeyValue));
                env->n_vars--;
                return;
        }
}

/* Inserts (or replaces) key in sorted position. Takes ownership of key and value. */
static void env_put(PcSandboxEnv *env, char *key, char *value)
{
        size_t i = 0;
        while (i < env->n_vars && strcmp(env->vars[i].key, key) < 0)
                i++;
        if (i < env->n_vars && streq(env->vars[i].key, key)) {
                free(key);
                free(env->vars[i].value);
                env->vars[i].value = value;
                return;
        }
        env->vars = xrealloc(env->vars, (env->n_vars + 1) * sizeof(PcKeyValue));
        memmove(env->vars + i + 1, env->vars + i, (env->n_vars - i) * sizeof(PcKeyValue));
        env->vars[i] = (PcKeyValue){.key = key, .value = value};
        env->n_vars++;
}

static void env_add_one(PcSandboxEnv *env, const char *raw_key, const char *value, size_t value_len)
{
        _cleanup_free_ char *key = pc__trim(raw_key);
        if (!*key)
                return;
        PcEnvVerdict v = pc_sandbox_env_check(key, value, value_len);
        switch (v) {
        case PC_ENV_BLOCKED_NAME:
        case PC_ENV_BLOCKED_NUL:
                /* A blocked later map also removes an earlier value of the same name. */
                env_remove(env, key);
                if (!pc__strv_contains(env->blocked, key))
                        env->blocked = pc__strv_push(env->blocked, xstrdup(key));
                log_debug("sandbox: dropping environment variable '%s' (%s)", key,
                          v == PC_ENV_BLOCKED_NUL ? "value contains NUL" : "sensitive name");
                return;
        case PC_ENV_WARN_LONG:
        case PC_ENV_WARN_BASE64: {
                char *w = xasprintf("%s: %s", key,
                                    v == PC_ENV_WARN_LONG
                                            ? "value exceeds maximum length"
                                            : "value looks like base64-encoded credential data");
                if (!pc__strv_contains(env->warnings, w))
                        env->warnings = pc__strv_push(env->warnings, w);
                else
                        free(w);
                break;
        }
        case PC_ENV_OK:
        default:
                break;
        }
        env_put(env, TAKE_PTR(key), xstrndup(value, value_len));
}

void pc_sandbox_env_add_json(PcSandboxEnv *env, const json_t *map)
{
        const char *k;
        json_t *v;
        json_object_foreach ((json_t *) map, k, v) {
                if (json_is_string(v))
                        env_add_one(env, k, json_string_value(v), json_string_length(v));
        }
}

void pc_sandbox_exec_env(const PcSandboxSpec *spec, const json_t *call_env, PcSandboxEnv *ret)
{
        PcSandboxEnv env = {0};
        for (size_t i = 0; spec && i < spec->n_env; i++)
                env_add_one(&env, spec->env[i].key, spec->env[i].value, strlen(spec->env[i].value));
        pc_sandbox_env_add_json(&env, call_env);
        *ret = env;
}
