/* SPDX-License-Identifier: MIT */
/*
 * Secrets never appear in logs, errors, audit records or `config show`. A value is treated
 * as secret by the name of the key holding it: api keys, tokens, passwords, secrets, private
 * keys, Authorization headers (case, '_' and '-' ignored: OPENAI_API_KEY, apiKey, x-api-key).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#define PC_REDACTED "<redacted>"

bool pc_secret_key_name(const char *key);

/* Replaces, in place, every string or number held under a secret-looking key, at any depth. */
void pc_redact_json(json_t *v);
