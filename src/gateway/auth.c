/* SPDX-License-Identifier: MIT */
/* Shared-secret auth of the gateway (gateway spec §1.2). No secret is ever logged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/macro.h"
#include "base/random.h"
#include "base/sha256.h"
#include "gateway-internal.h"

const char *pc__gateway_auth_mode_name(PcGatewayAuthMode mode)
{
        switch (mode) {
        case PC_GATEWAY_AUTH_NONE:
                return "none";
        case PC_GATEWAY_AUTH_TOKEN:
                return "token";
        case PC_GATEWAY_AUTH_PASSWORD:
                return "password";
        }
        return "?";
}

static int secret(const json_t *auth, const char *key, const char *env, char **ret, PcError *reterr)
{
        const json_t *v = json_object_get(auth, key);
        if (v && !json_is_string(v))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "gateway.auth.%s: SecretRef objects are not supported "
                                         "by the gateway yet\n  hint: set a string, or the "
                                         "environment variable %s",
                                         key, env);
        const char *s = v ? json_string_value(v) : secure_getenv(env);
        *ret = s && *s ? xstrdup(s) : NULL;
        return 0;
}

int pc__gateway_auth_init(PcGatewayAuth *a, const PcConfig *cfg, PcError *reterr)
{
        *a = (PcGatewayAuth){};
        const json_t *auth =
                json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "auth");
        int r = secret(auth, "token", "PINCER_GATEWAY_TOKEN", &a->token, reterr);
        if (r >= 0)
                r = secret(auth, "password", "PINCER_GATEWAY_PASSWORD", &a->password, reterr);
        if (r < 0) {
                pc__gateway_auth_release(a);
                return r;
        }
        const char *mode = json_string_value(json_object_get(auth, "mode"));
        if (!mode && a->token && a->password) {
                pc__gateway_auth_release(a);
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "gateway.auth: both a token and a password are set\n"
                                         "  hint: choose one with gateway.auth.mode "
                                         "(\"token\" or \"password\")");
        }
        if (!mode)
                mode = a->password && !a->token ? "password" : "token";
        if (streq(mode, "none"))
                a->mode = PC_GATEWAY_AUTH_NONE;
        else if (streq(mode, "password")) {
                a->mode = PC_GATEWAY_AUTH_PASSWORD;
                if (!a->password) {
                        pc__gateway_auth_release(a);
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "gateway.auth.mode is \"password\" but no "
                                                 "password is set\n  hint: set "
                                                 "gateway.auth.password or "
                                                 "PINCER_GATEWAY_PASSWORD");
                }
        } else if (streq(mode, "token")) {
                a->mode = PC_GATEWAY_AUTH_TOKEN;
                if (!a->token) {
                        a->token = pc_random_hex(PC_RANDOM_TOKEN_BYTES);
                        if (!a->token) {
                                pc__gateway_auth_release(a);
                                return pc_error_set(reterr, -errno,
                                                    "Failed to make a random gateway token: %m");
                        }
                        a->ephemeral = true;
                }
        } else {
                pc__gateway_auth_release(a);
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "gateway.auth.mode '%s' is not supported by the "
                                         "gateway yet\n  hint: use \"token\", \"password\" or "
                                         "\"none\"",
                                         mode);
        }
        return 0;
}

int pc__gateway_auth_publish(const PcGatewayAuth *a, const char *state_dir, PcError *reterr)
{
        if (!a->ephemeral)
                return 0;
        if (isatty(STDERR_FILENO)) {
                fprintf(stderr,
                        "Gateway token for this process (not stored anywhere):\n  %s\n"
                        "Send it as: Authorization: Bearer <token>\n",
                        a->token);
                return 0;
        }
        char path[4096];
        (void) snprintf(path, sizeof(path), "%s/gateway.token", state_dir);
        (void) mkdir(state_dir, 0700);
        (void) unlink(path); /* a fresh inode: never reuse another owner's file or mode */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "Failed to write the gateway token to %s: %m",
                                    path);
        size_t n = strlen(a->token);
        bool ok = fchmod(fd, 0600) == 0 && write(fd, a->token, n) == (ssize_t) n &&
                  write(fd, "\n", 1) == 1;
        int e = errno;
        close(fd);
        if (!ok)
                return pc_error_set(reterr, -e, "Failed to write the gateway token to %s: %m",
                                    path);
        return 0;
}

/* Compares digests, so neither the length nor the content leaks through timing. */
static bool secret_equal(const char *given, size_t len, const char *want)
{
        if (!want)
                return false;
        uint8_t a[PC_SHA256_DIGEST_SIZE], b[PC_SHA256_DIGEST_SIZE];
        pc_sha256(given, len, a);
        pc_sha256(want, strlen(want), b);
        volatile uint8_t diff = 0;
        for (size_t i = 0; i < sizeof(a); i++)
                diff |= a[i] ^ b[i];
        explicit_bzero(a, sizeof(a));
        explicit_bzero(b, sizeof(b));
        return diff == 0;
}

bool pc__gateway_auth_check(const PcGatewayAuth *a, const char *authorization)
{
        if (a->mode == PC_GATEWAY_AUTH_NONE)
                return true;
        if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
                return false;
        const char *v = authorization + 7;
        while (*v == ' ')
                v++;
        size_t len = strlen(v);
        while (len > 0 && v[len - 1] == ' ')
                len--;
        if (len == 0)
                return false;
        /* In /tools/invoke the bearer is checked as both token and password (§1.2). */
        bool tok = secret_equal(v, len, a->token);
        bool pw = secret_equal(v, len, a->password);
        return tok | pw;
}

bool pc__gateway_auth_check_secrets(const PcGatewayAuth *a, const char *token, size_t token_len,
                                    const char *password, size_t password_len)
{
        if (a->mode == PC_GATEWAY_AUTH_NONE)
                return true;
        bool tok = token && token_len > 0 && secret_equal(token, token_len, a->token);
        bool pw = password && password_len > 0 && secret_equal(password, password_len, a->password);
        return tok | pw;
}

void pc__gateway_auth_release(PcGatewayAuth *a)
{
        if (a->token) {
                explicit_bzero(a->token, strlen(a->token));
                free(a->token);
        }
        if (a->password) {
                explicit_bzero(a->password, strlen(a->password));
                free(a->password);
        }
        *a = (PcGatewayAuth){};
}
