/* SPDX-License-Identifier: MIT */
/*
 * Model providers (models.providers, spec 4.2) and the HTTP transport that calls them.
 *
 * A model ref "<provider>/<model>" names a configured provider (or the built-in "openai" and
 * "anthropic" ones when models.mode is "merge") and one of its models. The API key comes from
 * the provider's apiKey (usually "${VAR}"), else from the environment variable
 * <PROVIDER ID>_API_KEY (OPENAI_API_KEY, ANTHROPIC_API_KEY, MY_PROXY_API_KEY). It is sent in a
 * header only, never logged, and cut out of every error message.
 *
 * Transport (transport.c): libcurl's easy API, run on the calling thread (the CLI's main thread,
 * or the gateway's run thread: never the loop thread). Timeouts: connect 30 s; idle (no byte for
 * this long) = the provider's timeoutSeconds, default 120 s for remote and 300 s for local
 * (localhost/127.x/[::1]) servers; the whole call is bounded by the run's deadline. 429, 5xx and
 * connection failures are retried up to PC_PROVIDER_MAX_RETRIES times, with backoff 1, 2, 4 s
 * or the server's Retry-After (seconds, at most 60), unless that passes the deadline; nothing
 * is retried once the model's answer has begun to stream.
 */
#pragma once

#include <stdint.h>

#include "config/config.h"
#include "model.h"

#define PC_PROVIDER_MAX_RETRIES     3
#define PC_PROVIDER_MAX_ERROR_BODY  (64u * 1024u)
#define PC_PROVIDER_CONNECT_TIMEOUT 30

typedef struct PcProvider {
        char *id;       /* the provider id ("openai", "my-proxy") */
        char *model;    /* the model id as the provider knows it */
        char *api_name; /* "openai-completions" or "anthropic-messages" */
        PcModelApi api;
        char *base_url; /* without a trailing '/' */
        char *api_key;  /* or NULL: no key (a local server) */
        bool auth_header;
        json_t *headers;       /* extra headers (object of strings) or NULL */
        int idle_timeout_s;    /* no byte for this long fails the call */
        json_int_t max_tokens; /* the model's maxTokens, or 0 */
} PcProvider;

void pc_provider_release(PcProvider *p);

/* Resolves a model ref for cfg. Errors (PC_ERROR_INVALID_ARGUMENT, -EINVAL or -ENOENT) name the
 * ref and the config key to fix. env may be NULL (getenv). */
int pc_provider_resolve(const PcConfig *cfg, const char *ref, PcProvider *ret, PcError *reterr);

/* Streams one turn. body is the provider's request body. deadline_ms is a CLOCK_MONOTONIC time
 * (ms) after which the call fails (0: none). *turn must be initialised by the caller; it is reset
 * before each retry. Errors: -EACCES (the key was rejected), -ENOENT (unknown model), -ETIMEDOUT
 * (idle or deadline), -EPROTO (a malformed or cut stream), -EIO (other HTTP failures). */
int pc_provider_stream(const PcProvider *p, const json_t *body, int64_t deadline_ms,
                       PcModelTurn *turn, PcError *reterr);

int64_t pc_monotonic_ms(void);
/* fd > 0 and readable now (a run's cancel eventfd). */
bool pc_fd_readable(int fd);
