/* SPDX-License-Identifier: MIT */
/*
 * Value checks for the schema tables. Messages quote OpenClaw's own wording where an OpenClaw
 * user would recognise it ("Sandbox security: ..."); every error carries a hint saying what
 * to write instead. User text is always quoted through pc_buf_add_escaped().
 */
#include "schema-checks.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/alloc.h"
#include "base/buf.h"

/* ---- small helpers --------------------------------------------------------------------- */

typedef struct Span {
        const char *p;
        size_t n;
} Span;

static bool is_space(char ch)
{
        return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static Span trim(const char *s, size_t n)
{
        while (n && is_space(*s))
                s++, n--;
        while (n && is_space(s[n - 1]))
                n--;
        return (Span){s, n};
}

static Span value_trimmed(const PcCheck *c)
{
        return trim(json_string_value(c->value), json_string_length(c->value));
}

static bool span_eq_ci(Span s, const char *lit)
{
        return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

static bool span_starts_ci(Span s, const char *lit)
{
        size_t l = strlen(lit);
        return s.n >= l && strncasecmp(s.p, lit, l) == 0;
}

/* Quotes user text for a message; the buffer is the caller's. */
static const char *quote(PcBuf *b, const char *s, size_t n)
{
        _cleanup_free_ char *copy = xstrndup(s, n);
        pc_buf_reset(b);
        pc_buf_add_escaped(b, copy, 80);
        return b->buf;
}

/* strchr() also finds the terminator, so a NUL byte would count as a member of every set. */
static bool in_set(char ch, const char *set)
{
        return ch != '\0' && strchr(set, ch) != NULL;
}

static bool all_chars(Span s, const char *extra)
{
        for (size_t i = 0; i < s.n; i++) {
                unsigned char ch = (unsigned char) s.p[i];
                if (!isalnum(ch) && !in_set((char) ch, extra))
                        return false;
        }
        return true;
}

static bool all_digits(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isdigit((unsigned char) p[i]))
                        return false;
        return true;
}

static bool parse_ip(Span s, int *family)
{
        char buf[INET6_ADDRSTRLEN + 1];
        unsigned char addr[sizeof(struct in6_addr)];
        if (s.n == 0 || s.n >= sizeof(buf))
                return false;
        memcpy(buf, s.p, s.n);
        buf[s.n] = '\0';
        if (inet_pton(AF_INET, buf, addr) == 1) {
                *family = AF_INET;
                return true;
        }
        if (inet_pton(AF_INET6, buf, addr) == 1) {
                *family = AF_INET6;
                return true;
        }
        return false;
}

/* ---- sandbox ----------------------------------------------------------------------------- */

void pc_check_sandbox_backend(const PcCheck *c)
{
        static const char *const unsupported[] = {"ssh", "openshell", "podman"};
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;

        /* An empty value is reported by the node's length bound. */
        if (s.n == 0 || span_eq_ci(s, "native") || span_eq_ci(s, "docker"))
                return;
        for (size_t i = 0; i < ELEMENTSOF(unsupported); i++)
                if (span_eq_ci(s, unsupported[i])) {
                        pc_check_error(
                                c, "use \"native\" (the default) or \"docker\"",
                                "sandbox backend '%s' exists in OpenClaw but Pincer does "
                                "not implement it; Pincer supports \"native\" and \"docker\"",
                                quote(&q, s.p, s.n));
                        return;
                }
        pc_check_error(c, "use \"native\" (the default) or \"docker\"",
                       "unknown sandbox backend '%s'", quote(&q, s.p, s.n));
}

void pc_check_bind(const PcCheck *c)
{
        Span bind = value_trimmed(c);
        _cleanup_buf_ PcBuf qb = PC_BUF_INIT, qs = PC_BUF_INIT;

        if (bind.n == 0) {
                pc_check_error(c,
                               "remove the entry, or write it as \"/host/path:/container/path:ro\"",
                               "Sandbox security: bind mount entry must be a non-empty string.");
                return;
        }
        /* OpenClaw takes the source as the text before the first ':'; a leading ':' leaves the
         * whole entry as the source, which then fails the absolute-path test. */
        const char *colon = memchr(bind.p, ':', bind.n);
        Span src = (!colon || colon == bind.p) ? bind : trim(bind.p, (size_t) (colon - bind.p));
        if (src.n == 0 || src.p[0] != '/') {
                pc_check_error(c,
                               "use an absolute host path, e.g. \"/srv/data:/data:ro\"; named "
                               "volumes and relative paths are not supported",
                               "Sandbox security: bind mount \"%s\" uses a non-absolute source "
                               "path \"%s\". Only absolute POSIX paths are supported for sandbox "
                               "binds.",
                               quote(&qb, bind.p, bind.n), quote(&qs, src.p, src.n));
                return;
        }
        if (!colon) {
                /* Docker would create an anonymous volume; neither backend treats that as a
                 * bind of the host path, which is almost certainly what was meant. */
                pc_check_warning(c, "write it as \"<host>:<container>[:ro]\"",
                                 "bind mount \"%s\" has no container path",
                                 quote(&qb, bind.p, bind.n));
                return;
        }
        const char *rest = colon + 1;
        size_t rest_n = bind.n - (size_t) (rest - bind.p);
        const char *colon2 = memchr(rest, ':', rest_n);
        Span dst = trim(rest, colon2 ? (size_t) (colon2 - rest) : rest_n);
        if (dst.n == 0 || dst.p[0] != '/')
                pc_check_error(c,
                               "the container path must be absolute, e.g. \"/srv/data:/data:ro\"",
                               "bind mount \"%s\" has a non-absolute container path \"%s\"",
                               quote(&qb, bind.p, bind.n), quote(&qs, dst.p, dst.n));
}

void pc_check_network(const PcCheck *c)
{
        if (span_eq_ci(value_trimmed(c), "host"))
                pc_check_error(c, "use \"none\" (the default) or \"bridge\"",
                               "Sandbox security: network mode \"host\" is blocked. Use \"bridge\" "
                               "or \"none\" instead.");
}

void pc_check_browser_network(const PcCheck *c)
{
        if (span_eq_ci(value_trimmed(c), "host"))
                pc_check_error(c, "use \"bridge\" or a custom bridge network name",
                               "Sandbox security: browser network mode \"host\" is blocked. Use "
                               "\"bridge\" or a custom bridge network instead.");
}

void pc_check_setup_network(const PcCheck *c)
{
        Span s = value_trimmed(c);
        if (span_eq_ci(s, "host"))
                pc_check_error(c, "use \"bridge\" (the default) or a custom bridge network name",
                               "Sandbox security: network mode \"host\" is blocked, also for the "
                               "provisioning container.");
        else if (span_starts_ci(s, "container:"))
                pc_check_error(c, "use \"bridge\" (the default) or a custom bridge network name",
                               "Sandbox security: the provisioning container runs as root and "
                               "cannot join another container's network namespace.");
}

void pc_check_seccomp_profile(const PcCheck *c)
{
        if (span_eq_ci(value_trimmed(c), "unconfined"))
                pc_check_error(c, "remove the key to keep the default profile",
                               "Sandbox security: seccomp profile \"unconfined\" is blocked. Use a "
                               "custom seccomp profile file or omit this setting.");
}

void pc_check_apparmor_profile(const PcCheck *c)
{
        if (span_eq_ci(value_trimmed(c), "unconfined"))
                pc_check_error(
                        c, "remove the key to keep the default profile",
                        "Sandbox security: apparmor profile \"unconfined\" is blocked. Use a "
                        "named AppArmor profile or omit this setting.");
}

void pc_check_container_user(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        const char *colon = memchr(s.p, ':', s.n);
        Span user = {s.p, colon ? (size_t) (colon - s.p) : s.n};
        bool ok = user.n > 0 && all_chars(user, "_.-");
        if (ok && colon) {
                Span group = {colon + 1, s.n - user.n - 1};
                ok = group.n > 0 && all_chars(group, "_.-");
        }
        if (ok)
                return;
        pc_check_error(c,
                       "write a user name or uid, optionally with a group: \"1000:1000\", \"node\"",
                       "invalid container user '%s'", quote(&q, s.p, s.n));
}

/* Docker's RAMInBytes syntax: 1.5, "512m", "1g", "2GiB", "100 k". */
static bool is_memory_size(Span s)
{
        size_t i = 0;
        if (i >= s.n || !isdigit((unsigned char) s.p[i]))
                return false;
        while (i < s.n && (isdigit((unsigned char) s.p[i]) || s.p[i] == '.'))
                i++;
        if (s.p[i - 1] == '.')
                return false;
        if (i < s.n && s.p[i] == ' ')
                i++;
        if (i < s.n && in_set(s.p[i], "kKmMgGtTpP"))
                i++;
        if (i < s.n && (s.p[i] == 'i' || s.p[i] == 'I'))
                i++;
        if (i < s.n && (s.p[i] == 'b' || s.p[i] == 'B'))
                i++;
        return i == s.n;
}

static void check_memory(const PcCheck *c, bool allow_unlimited)
{
        if (!json_is_string(c->value))
                return; /* numbers: the table's bounds apply */
        Span s = value_trimmed(c);
        if (is_memory_size(s) || (allow_unlimited && s.n == 2 && memcmp(s.p, "-1", 2) == 0))
                return;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        pc_check_error(c,
                       allow_unlimited ? "write a size such as \"512m\", \"2g\" or \"1GiB\", a "
                                         "number of bytes, or -1 for unlimited swap"
                                       : "write a size such as \"512m\", \"2g\" or \"1GiB\", or a "
                                         "number of bytes",
                       "invalid memory size '%s'", quote(&q, s.p, s.n));
}

void pc_check_memory(const PcCheck *c)
{
        check_memory(c, false);
}

void pc_check_memory_swap(const PcCheck *c)
{
        check_memory(c, true);
}

void pc_check_ulimits(const PcCheck *c)
{
        static const char *const names[] = {
                "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
                "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
        };
        const char *k;
        json_t *v;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;

        json_object_foreach ((json_t *) c->value, k, v) {
                bool known = false;
                for (size_t i = 0; i < ELEMENTSOF(names) && !known; i++)
                        known = streq(k, names[i]);
                if (!known)
                        pc_check_error(c,
                                       "use one of: core, cpu, data, fsize, locks, memlock, "
                                       "msgqueue, nice, nofile, nproc, rss, rtprio, rttime, "
                                       "sigpending, stack",
                                       "unknown ulimit '%s'", quote(&q, k, strlen(k)));
        }
}

/* One side of a "soft:hard" ulimit string: a non-negative integer, or -1 (unlimited). */
static bool is_ulimit_number(Span s)
{
        if (s.n == 2 && memcmp(s.p, "-1", 2) == 0)
                return true;
        return all_digits(s.p, s.n) && s.n <= 19;
}

void pc_check_ulimit(const PcCheck *c)
{
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;

        if (json_is_string(c->value)) {
                Span s = value_trimmed(c);
                const char *colon = memchr(s.p, ':', s.n);
                Span soft = {s.p, colon ? (size_t) (colon - s.p) : s.n};
                bool ok = is_ulimit_number(soft) &&
                          (!colon || is_ulimit_number((Span){colon + 1, s.n - soft.n - 1}));
                if (!ok)
                        pc_check_error(c,
                                       "write \"<soft>:<hard>\" such as \"1024:4096\", one number, "
                                       "or {soft, hard}",
                                       "invalid ulimit '%s'", quote(&q, s.p, s.n));
                return;
        }
        if (!json_is_object(c->value))
                return;
        json_t *soft = json_object_get(c->value, "soft");
        json_t *hard = json_object_get(c->value, "hard");
        if (!soft && !hard) {
                pc_check_error(c, "set soft, hard or both, e.g. {soft: 1024, hard: 4096}",
                               "the ulimit object sets neither soft nor hard");
                return;
        }
        if (json_is_integer(soft) && json_is_integer(hard) &&
            json_integer_value(soft) > json_integer_value(hard))
                pc_check_error(c, "make soft at most hard",
                               "ulimit soft value %" JSON_INTEGER_FORMAT
                               " is above the hard value %" JSON_INTEGER_FORMAT,
                               json_integer_value(soft), json_integer_value(hard));
}

void pc_check_tmpfs(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        const char *colon = memchr(s.p, ':', s.n);

        if (s.n == 0 || s.p[0] != '/')
                pc_check_error(c,
                               "write an absolute path, optionally with options: \"/tmp:size=64m\"",
                               "tmpfs entry '%s' is not an absolute path", quote(&q, s.p, s.n));
        else if (colon && colon == s.p + s.n - 1)
                pc_check_error(c, "drop the trailing ':' or add options, e.g. \"/tmp:size=64m\"",
                               "tmpfs entry '%s' has empty options", quote(&q, s.p, s.n));
}

void pc_check_absolute_path(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        if (s.n == 0 || s.p[0] != '/')
                pc_check_error(c, "write an absolute path, e.g. \"/workspace\"",
                               "'%s' is not an absolute path", quote(&q, s.p, s.n));
}

void pc_check_container_prefix(const PcCheck *c)
{
        Span s = {json_string_value(c->value), json_string_length(c->value)};
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        if (s.n == 0)
                return;
        if (!isalnum((unsigned char) s.p[0]) || !all_chars(s, "_.-"))
                pc_check_error(c,
                               "use letters, digits, '_', '.' and '-', starting with a letter or "
                               "digit, e.g. \"pincer-sbx-\"",
                               "container prefix '%s' is not a valid container name start",
                               quote(&q, s.p, s.n));
}

void pc_check_env_map(const PcCheck *c)
{
        const char *k;
        json_t *v;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;

        json_object_foreach ((json_t *) c->value, k, v) {
                if (!*k)
                        pc_check_error(c, "give the variable a name",
                                       "empty environment variable name");
                else if (strchr(k, '='))
                        pc_check_error(c,
                                       "write the name as the key and the value as the value: "
                                       "{\"NAME\": \"value\"}",
                                       "environment variable name '%s' contains '='",
                                       quote(&q, k, strlen(k)));
        }
}

void pc_check_capability(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        if (s.n == 0 || !all_chars(s, "_"))
                pc_check_error(c,
                               "write a capability name such as \"ALL\", \"NET_BIND_SERVICE\" or "
                               "\"CAP_CHOWN\"",
                               "invalid capability '%s'", quote(&q, s.p, s.n));
}

/* name[:arch][=version][/release], as apt-get install takes it. The names end up in the
 * provisioning command, so anything else is refused here rather than quoted later. */
void pc_check_apt_package(const PcCheck *c)
{
        Span s = {json_string_value(c->value), json_string_length(c->value)};
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        size_t i = 0;
        bool ok = s.n > 0 && (islower((unsigned char) s.p[0]) || isdigit((unsigned char) s.p[0]));

        while (ok && i < s.n &&
               (islower((unsigned char) s.p[i]) || isdigit((unsigned char) s.p[i]) ||
                in_set(s.p[i], "+.-")))
                i++;
        if (ok && i < s.n && s.p[i] == ':') {
                size_t start = ++i;
                while (i < s.n && (islower((unsigned char) s.p[i]) ||
                                   isdigit((unsigned char) s.p[i]) || s.p[i] == '-'))
                        i++;
                ok = i > start;
        }
        if (ok && i < s.n && s.p[i] == '=') {
                size_t start = ++i;
                while (i < s.n && (isalnum((unsigned char) s.p[i]) || in_set(s.p[i], ".+~:-")))
                        i++;
                ok = i > start;
        } else if (ok && i < s.n && s.p[i] == '/') {
                size_t start = ++i;
                while (i < s.n && (isalnum((unsigned char) s.p[i]) || in_set(s.p[i], ".-")))
                        i++;
                ok = i > start;
        }
        if (!ok || i != s.n)
                pc_check_error(c,
                               "write package names as apt-get takes them, e.g. \"python3\", "
                               "\"git=1:2.39.5-0+deb12u2\" or \"jq/bookworm-backports\"",
                               "'%s' is not a valid Debian package name", quote(&q, s.p, s.n));
}

void pc_check_ip_address(const PcCheck *c)
{
        Span s = value_trimmed(c);
        int family;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        if (!parse_ip(s, &family))
                pc_check_error(c, "write an IPv4 or IPv6 address, e.g. \"1.1.1.1\"",
                               "'%s' is not an IP address", quote(&q, s.p, s.n));
}

void pc_check_extra_host(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        /* Docker accepts "name:addr" and, since 25.0, "name=addr"; the address may be IPv6. */
        size_t sep = 0;
        while (sep < s.n && s.p[sep] != ':' && s.p[sep] != '=')
                sep++;
        Span name = {s.p, sep};
        Span addr = sep < s.n ? trim(s.p + sep + 1, s.n - sep - 1) : (Span){"", 0};
        if (addr.n >= 2 && addr.p[0] == '[' && addr.p[addr.n - 1] == ']')
                addr = (Span){addr.p + 1, addr.n - 2};
        int family;
        if (name.n && all_chars(name, ".-_") &&
            (span_eq_ci(addr, "host-gateway") || parse_ip(addr, &family)))
                return;
        pc_check_error(c,
                       "write \"<name>:<address>\", e.g. \"db.local:10.0.0.5\" or "
                       "\"host.docker.internal:host-gateway\"",
                       "invalid extra host '%s'", quote(&q, s.p, s.n));
}

void pc_check_cidr(const PcCheck *c)
{
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        const char *slash = memchr(s.p, '/', s.n);
        Span addr = {s.p, slash ? (size_t) (slash - s.p) : s.n};
        int family;
        bool ok = parse_ip(addr, &family);
        if (ok && slash) {
                const char *bits = slash + 1;
                size_t n = s.n - addr.n - 1;
                ok = all_digits(bits, n) && n <= 3 && atoi(bits) <= (family == AF_INET ? 32 : 128);
        }
        if (!ok)
                pc_check_error(c, "write an address range such as \"172.16.0.0/12\"",
                               "'%s' is not an address range", quote(&q, s.p, s.n));
}

void pc_check_hostname(const PcCheck *c)
{
        Span s = {json_string_value(c->value), json_string_length(c->value)};
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        bool ok = s.n > 0 && s.n <= 64;
        size_t label = 0;
        for (size_t i = 0; ok && i <= s.n; i++) {
                if (i == s.n || s.p[i] == '.') {
                        ok = label > 0 && label <= 63 && s.p[i - 1] != '-';
                        label = 0;
                } else if (isalnum((unsigned char) s.p[i]) || (s.p[i] == '-' && label > 0))
                        label++;
                else
                        ok = false;
        }
        if (!ok)
                pc_check_error(c,
                               "use letters, digits and '-', dot-separated, at most 64 characters",
                               "'%s' is not a valid host name", quote(&q, s.p, s.n));
}

/* ---- tools ------------------------------------------------------------------------------- */

static bool nonempty_array(const json_t *obj, const char *key)
{
        const json_t *a = json_object_get(obj, key);
        return json_is_array(a) && json_array_size(a) > 0;
}

static void check_allow_also_allow(const PcCheck *c, const char *who)
{
        if (nonempty_array(c->value, "allow") && nonempty_array(c->value, "alsoAllow"))
                pc_check_error(c,
                               "merge alsoAllow into allow, or remove allow and use profile + "
                               "alsoAllow",
                               "%s cannot set both allow and alsoAllow in the same scope", who);
}

void pc_check_tools_policy(const PcCheck *c)
{
        check_allow_also_allow(c, "tools");
}

void pc_check_agent_tools_policy(const PcCheck *c)
{
        check_allow_also_allow(c, "agent tools");
}

void pc_check_provider_policy(const PcCheck *c)
{
        check_allow_also_allow(c, "tools.byProvider policy");
}

void pc_check_tool_policy(const PcCheck *c)
{
        check_allow_also_allow(c, "tools policy");
}

/* ---- agents, bindings, gateway, session -------------------------------------------------- */

void pc_check_agent_list_entry(const PcCheck *c)
{
        if (!json_object_get(c->value, "id"))
                pc_check_error(c,
                               "add an id such as \"main\", or move the agent to "
                               "agents.entries.<id> where the key is the id",
                               "missing required key 'id'");
}

/* OpenClaw 2026.7+: /^[a-z0-9_][a-z0-9_-]{0,63}$/i, unique after lower-casing, at most one
 * default. */
void pc_check_agent_entries(const PcCheck *c)
{
        const char *k;
        json_t *v;
        size_t n_default = 0;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT, q2 = PC_BUF_INIT;

        json_object_foreach ((json_t *) c->value, k, v) {
                Span s = {k, strlen(k)};
                if (s.n == 0 || s.n > 64 || s.p[0] == '-' || !all_chars(s, "_-")) {
                        pc_check_error(c,
                                       "use 1-64 letters, digits, '_' and '-', not starting with "
                                       "'-'",
                                       "invalid agent id '%s'", quote(&q, s.p, s.n));
                        continue;
                }
                const char *k2;
                json_t *v2;
                json_object_foreach ((json_t *) c->value, k2, v2) {
                        if (k2 == k)
                                break;
                        if (strcasecmp(k, k2) == 0)
                                pc_check_error(
                                        c, "rename one of them; agent ids are not case-sensitive",
                                        "agents.entries keys \"%s\" and \"%s\" are the same "
                                        "agent id",
                                        quote(&q2, k2, strlen(k2)), quote(&q, k, strlen(k)));
                }
                if (json_is_true(json_object_get(v, "default")))
                        n_default++;
        }
        if (n_default > 1)
                pc_check_error(c, "keep default: true on one agent only",
                               "agents.entries must contain at most one default=true entry (found "
                               "%zu)",
                               n_default);
}

void pc_check_agent_map_entry(const PcCheck *c)
{
        const json_t *id = json_object_get(c->value, "id");
        _cleanup_buf_ PcBuf q = PC_BUF_INIT, qk = PC_BUF_INIT;
        if (json_is_string(id) && c->key && strcasecmp(json_string_value(id), c->key) != 0)
                pc_check_error(c, "remove id: in agents.entries the key is the agent id",
                               "id '%s' differs from its key '%s'",
                               quote(&q, json_string_value(id), json_string_length(id)),
                               quote(&qk, c->key, strlen(c->key)));
}

void pc_check_binding(const PcCheck *c)
{
        const json_t *type = json_object_get(c->value, "type");
        bool acp = json_is_string(type) && streq(json_string_value(type), "acp");

        if (acp) {
                const json_t *peer = json_object_get(json_object_get(c->value, "match"), "peer");
                const json_t *id = json_object_get(peer, "id");
                Span s = json_is_string(id) ? trim(json_string_value(id), json_string_length(id))
                                            : (Span){"", 0};
                if (s.n == 0)
                        pc_check_error(c, "set match.peer {kind, id} to the conversation to bind",
                                       "ACP bindings require match.peer.id to target a concrete "
                                       "conversation.");
                if (json_object_get(c->value, "session"))
                        pc_check_error(c, "remove session, or drop type: \"acp\"",
                                       "'session' is only allowed in route bindings");
        } else if (json_object_get(c->value, "acp"))
                pc_check_error(c, "add type: \"acp\", or remove the acp object",
                               "'acp' is only allowed in bindings with type \"acp\"");
}

void pc_check_ipv4(const PcCheck *c)
{
        Span s = value_trimmed(c);
        int family;
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        if (!parse_ip(s, &family) || family != AF_INET)
                pc_check_error(c, "write one IPv4 address of this host, e.g. \"192.168.1.10\"",
                               "'%s' is not an IPv4 address", quote(&q, s.p, s.n));
}

/* OpenClaw's parseDurationMs: a number with an optional unit ms, s, m, h or d. */
void pc_check_duration(const PcCheck *c)
{
        if (!json_is_string(c->value))
                return;
        Span s = value_trimmed(c);
        _cleanup_buf_ PcBuf q = PC_BUF_INIT;
        size_t i = 0;
        while (i < s.n && (isdigit((unsigned char) s.p[i]) || s.p[i] == '.'))
                i++;
        Span unit = trim(s.p + i, s.n - i);
        bool ok = i > 0 && s.p[0] != '.' && s.p[i - 1] != '.' &&
                  (unit.n == 0 || span_eq_ci(unit, "ms") || span_eq_ci(unit, "s") ||
                   span_eq_ci(unit, "m") || span_eq_ci(unit, "h") || span_eq_ci(unit, "d"));
        if (!ok)
                pc_check_error(c, "write a number with a unit: ms, s, m, h or d, e.g. \"30d\"",
                               "invalid duration '%s'", quote(&q, s.p, s.n));
}
