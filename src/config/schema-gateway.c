/* SPDX-License-Identifier: MIT */
/*
 * The `gateway` object (listener, auth, HTTP tool exposure, reload) and the `models` object
 * (model providers), gateway spec §1 and §4.2.
 */
#include "schema-checks.h"
#include "schema-tables.h"

static const char *const gateway_modes[] = {"local", "remote", NULL};
static const char *const bind_modes[] = {"loopback", "lan", "tailnet", "custom", "auto", NULL};
static const char *const auth_modes[] = {"none", "token", "password", "trusted-proxy", NULL};
static const char *const reload_modes[] = {"off", "hybrid", "hot", "restart", NULL};
static const char *const models_modes[] = {"merge", "replace", NULL};
static const char *const provider_auth[] = {"api-key", "token", "oauth", "aws-sdk", NULL};
/* The 2026.4 list plus the names later releases added (openai-chatgpt-responses replaced
 * openai-codex-responses; google-vertex is new). */
static const char *const model_apis[] = {
        "openai-completions",      "openai-responses",
        "openai-codex-responses",  "openai-chatgpt-responses",
        "anthropic-messages",      "google-generative-ai",
        "google-vertex",           "github-copilot",
        "bedrock-converse-stream", "ollama",
        "azure-openai-responses",  NULL,
};
static const char *const model_inputs[] = {"text", "image", NULL};

/* ---- gateway ------------------------------------------------------------------------------ */

static const PcSchemaNode rate_limit_members[] = {
        {.key = "maxAttempts",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_json = "10",
         .doc = "Failed attempts from one client within windowMs before it is locked out."},
        {.key = "windowMs",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "60000",
         .doc = "Window in which failures are counted."},
        {.key = "lockoutMs",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "300000",
         .doc = "How long a locked-out client gets HTTP 429."},
        {.key = "exemptLoopback",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Never lock out loopback clients."},
        {0},
};

static const PcSchemaNode auth_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = auth_modes,
         .default_json = "\"token\"",
         .doc = "How clients authenticate (Authorization: Bearer for HTTP). With token and no "
                "token configured, a random one is made at start and never written back; none is "
                "refused on a non-loopback bind."},
        {.key = "token",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "Shared token (mode token), or a SecretRef."},
        {.key = "password",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "Shared password (mode password), or a SecretRef."},
        {.key = "rateLimit",
         .types = PC_ST_OBJECT,
         .members = rate_limit_members,
         .doc = "Lockout after repeated failed authentication."},
        PC_UNIMPL("allowTailscale", "Tailscale identity headers authenticate WebSocket clients."),
        PC_UNIMPL("trustedProxy", "Header-based auth behind a trusted reverse proxy."),
        {0},
};

static const PcSchemaNode gateway_tools_members[] = {
        {.key = "deny",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Tools refused over HTTP (POST /tools/invoke) in addition to the built-in HTTP "
                "deny list (exec, apply_patch, sessions_spawn, gateway, ...)."},
        {.key = "allow",
         .types = PC_ST_ARRAY,
         .items = &pc_schema_string_item,
         .doc = "Entries removed from the built-in HTTP deny list, for owner callers. Pincer can "
                "then run sandboxed tools such as exec over HTTP, in the agent's sandbox and "
                "under its tool policy."},
        {0},
};

static const PcSchemaNode reload_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = reload_modes,
         .default_json = "\"hybrid\"",
         .doc = "What a config file change does: nothing, apply what can be applied live and "
                "restart for the rest (hybrid), apply live only, or always restart."},
        {.key = "debounceMs",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "300",
         .doc = "Wait this long after the last change before reloading."},
        {.key = "deferralTimeoutMs",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 0,
         .default_json = "300000",
         .doc = "Longest a restart waits for running work to finish."},
        {0},
};

static const PcSchemaNode chat_completions_members[] = {
        {.key = "enabled",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "Serve POST /v1/chat/completions (agents as OpenAI models)."},
        {.key = "maxBodyBytes",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .default_json = "20971520",
         .doc = "Largest request body."},
        PC_UNIMPL("maxImageParts", "Most images in one request."),
        PC_UNIMPL("maxTotalImageBytes", "Total image bytes in one request."),
        PC_UNIMPL("images", "Fetching of image URLs."),
        {0},
};

static const PcSchemaNode endpoints_members[] = {
        {.key = "chatCompletions",
         .types = PC_ST_OBJECT,
         .members = chat_completions_members,
         .doc = "The OpenAI chat completions endpoint."},
        PC_UNIMPL("responses", "The OpenAI responses endpoint."),
        {0},
};

static const PcSchemaNode http_members[] = {
        {.key = "endpoints",
         .types = PC_ST_OBJECT,
         .members = endpoints_members,
         .doc = "Optional HTTP endpoints."},
        PC_UNIMPL("securityHeaders", "Extra HTTP security headers (HSTS)."),
        {0},
};

const PcSchemaNode pc_schema_gateway_members[] = {
        {.key = "port",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .has_max = true,
         .max = 65535,
         .default_json = "18789",
         .doc = "Port of the HTTP and WebSocket listener (the --port flag wins)."},
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = gateway_modes,
         .default_json = "\"local\"",
         .doc = "local runs the gateway on this machine; the gateway refuses to start otherwise "
                "(remote is a client setting)."},
        {.key = "bind",
         .types = PC_ST_STRING,
         .enum_values = bind_modes,
         .default_json = "\"loopback\"",
         .doc = "Listen address: loopback (127.0.0.1), lan (0.0.0.0), tailnet (the Tailscale "
                "address), custom (customBindHost) or auto (0.0.0.0 inside a container, else "
                "loopback)."},
        {.key = "customBindHost",
         .types = PC_ST_STRING,
         .check = pc_check_ipv4,
         .doc = "IPv4 address to listen on when bind is custom (127.0.0.1 is bound too)."},
        {.key = "auth",
         .types = PC_ST_OBJECT,
         .members = auth_members,
         .doc = "Client authentication."},
        {.key = "tools",
         .types = PC_ST_OBJECT,
         .members = gateway_tools_members,
         .doc = "Which tools POST /tools/invoke may run."},
        {.key = "reload",
         .types = PC_ST_OBJECT,
         .members = reload_members,
         .doc = "Reaction to changes of the config file."},
        {.key = "http",
         .types = PC_ST_OBJECT,
         .members = http_members,
         .doc = "HTTP endpoints beyond /health and /tools/invoke."},
        PC_UNIMPL("controlUi", "The Control UI web app."),
        PC_UNIMPL("tailscale", "Tailscale serve or funnel."),
        PC_UNIMPL("remote", "Connection to a remote gateway (client setting)."),
        PC_UNIMPL("nodes", "Paired node hosts."),
        PC_UNIMPL("push", "Push notification relay."),
        PC_UNIMPL("tls", "TLS on the listener."),
        PC_UNIMPL("trustedProxies", "Reverse proxies whose forwarded addresses are trusted."),
        PC_UNIMPL("allowRealIpFallback", "X-Real-IP fallback behind proxies."),
        PC_UNIMPL("webchat", "WebChat limits."),
        PC_UNIMPL("handshakeTimeoutMs", "WebSocket handshake time limit."),
        PC_UNIMPL("channelHealthCheckMinutes", "Channel health check interval."),
        PC_UNIMPL("channelStaleEventThresholdMinutes", "When a silent channel counts as stale."),
        PC_UNIMPL("channelMaxRestartsPerHour", "Channel restart budget."),
        {0},
};

/* ---- models ------------------------------------------------------------------------------- */

static const PcSchemaNode secret_string = {
        .types = PC_ST_STRING | PC_ST_OBJECT,
        .members = pc_schema_secret_ref_members,
        .flags = PC_SF_SECRET,
};

static const PcSchemaNode input_item = {.types = PC_ST_STRING, .enum_values = model_inputs};

static const PcSchemaNode cost_members[] = {
        {.key = "input", .types = PC_ST_NUMBER, .doc = "Price per million input tokens."},
        {.key = "output", .types = PC_ST_NUMBER, .doc = "Price per million output tokens."},
        {.key = "cacheRead", .types = PC_ST_NUMBER, .doc = "Price per million cached tokens read."},
        {.key = "cacheWrite",
         .types = PC_ST_NUMBER,
         .doc = "Price per million tokens written to the cache."},
        {0},
};

static const PcSchemaNode model_def_members[] = {
        {.key = "id",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .flags = PC_SF_REQUIRED,
         .doc = "Model id as the provider knows it; the ref is \"<provider>/<id>\"."},
        {.key = "name",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .default_doc = "id",
         .doc = "Display name."},
        {.key = "api",
         .types = PC_ST_STRING,
         .enum_values = model_apis,
         .default_doc = "the provider's api",
         .doc = "Wire protocol of this model."},
        {.key = "reasoning",
         .types = PC_ST_BOOL,
         .default_json = "false",
         .doc = "The model supports reasoning (thinking levels)."},
        {.key = "input",
         .types = PC_ST_ARRAY,
         .items = &input_item,
         .default_json = "[\"text\"]",
         .doc = "Input kinds the model takes."},
        {.key = "cost",
         .types = PC_ST_OBJECT,
         .members = cost_members,
         .doc = "Prices, for usage reports."},
        {.key = "contextWindow",
         .types = PC_ST_NUMBER,
         .has_min = true,
         .min = 1,
         .doc = "Context window in tokens."},
        {.key = "maxTokens",
         .types = PC_ST_NUMBER,
         .has_min = true,
         .min = 1,
         .doc = "Most output tokens per response."},
        {.key = "headers",
         .types = PC_ST_MAP,
         .items = &pc_schema_string_item,
         .flags = PC_SF_SECRET,
         .doc = "Extra HTTP headers for this model's requests."},
        PC_UNIMPL("compat", "OpenAI-compatible dialect quirks."),
        PC_UNIMPL("contextTokens", "Usable context tokens."),
        {0},
};

static const PcSchemaNode model_def = {
        .types = PC_ST_OBJECT,
        .members = model_def_members,
};

static const PcSchemaNode provider_members[] = {
        {.key = "baseUrl",
         .types = PC_ST_STRING,
         .has_min = true,
         .min = 1,
         .doc = "Base URL of the API, e.g. \"http://localhost:4000/v1\". Required for custom "
                "providers."},
        {.key = "apiKey",
         .types = PC_ST_STRING | PC_ST_OBJECT,
         .members = pc_schema_secret_ref_members,
         .flags = PC_SF_SECRET,
         .doc = "API key, usually \"${ENV_VAR}\", or a SecretRef."},
        {.key = "api",
         .types = PC_ST_STRING,
         .enum_values = model_apis,
         .default_doc = "openai-completions for a custom provider",
         .doc = "Wire protocol of the provider."},
        {.key = "auth",
         .types = PC_ST_STRING,
         .enum_values = provider_auth,
         .default_doc = "api-key",
         .doc = "How the key is presented."},
        {.key = "headers",
         .types = PC_ST_MAP,
         .items = &secret_string,
         .flags = PC_SF_SECRET,
         .doc = "Extra HTTP headers (strings or SecretRefs)."},
        {.key = "authHeader",
         .types = PC_ST_BOOL,
         .default_json = "true",
         .doc = "Send the key as Authorization: Bearer; false when headers carry it."},
        {.key = "timeoutSeconds",
         .types = PC_ST_INT,
         .has_min = true,
         .min = 1,
         .doc = "Time limit of one provider request."},
        {.key = "models",
         .types = PC_ST_ARRAY,
         .items = &model_def,
         .doc = "The provider's models."},
        PC_UNIMPL("injectNumCtxForOpenAICompat", "Send num_ctx to Ollama's OpenAI endpoint."),
        PC_UNIMPL("contextWindow", "Default context window of the provider's models."),
        PC_UNIMPL("contextTokens", "Default usable context tokens."),
        PC_UNIMPL("maxTokens", "Default output token limit."),
        PC_UNIMPL("region", "Provider region."),
        PC_UNIMPL("params", "Provider-specific parameters."),
        PC_UNIMPL("agentRuntime", "Default execution runtime of the provider's models."),
        PC_UNIMPL("localService", "Local service started before calls."),
        PC_UNIMPL("request", "Transport and retry overrides."),
        {0},
};

static const PcSchemaNode provider = {
        .types = PC_ST_OBJECT,
        .members = provider_members,
};

const PcSchemaNode pc_schema_models_members[] = {
        {.key = "mode",
         .types = PC_ST_STRING,
         .enum_values = models_modes,
         .default_json = "\"merge\"",
         .doc = "merge adds these providers to the built-in catalog; replace uses only these."},
        {.key = "providers",
         .types = PC_ST_MAP,
         .items = &provider,
         .doc = "Model providers by id; a model is referred to as \"<provider id>/<model id>\"."},
        PC_UNIMPL("bedrockDiscovery", "Discovery of AWS Bedrock models."),
        PC_UNIMPL("pricing", "Model pricing overrides."),
        PC_UNIMPL("proxy", "HTTP proxy for provider requests."),
        {0},
};
