/* SPDX-License-Identifier: MIT */
/*
 * Bind mounts and the other safety checks of the create spec (spec 1.9, 1.10).
 *
 * A bind source is checked three times: lexically normalised (OpenClaw's string check), and
 * resolved through its deepest existing ancestor both from the raw text (as the kernel would
 * walk it: "link/.." leaves the link's target) and from the normalised text (as OpenClaw
 * does). Each form must pass the blocked-path test and, unless overridden, lie inside an
 * allowed root. The mount then uses the kernel-style resolved path, so what was checked is
 * what gets mounted. A rename on the host between the check and the mount remains possible:
 * backends should open the source with O_PATH|O_NOFOLLOW and mount through the descriptor
 * where they can.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox-internal.h"

/* ---- paths ----------------------------------------------------------------------------- */

char *pc__path_normalize(const char *p)
{
        _cleanup_free_ char *copy = xstrdup(p ? p : "");
        for (char *c = copy; *c; c++)
                if (*c == '\\')
                        *c = '/';
        bool absolute = copy[0] == '/' || copy[0] == '\0';

        char **seg = xcalloc(strlen(copy) / 2 + 2, sizeof(char *));
        size_t n = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
                if (streq(t, "."))
                        continue;
                if (streq(t, "..")) {
                        if (n > 0 && !streq(seg[n - 1], ".."))
                                n--;
                        else if (!absolute)
                                seg[n++] = t;
                        continue;
                }
                seg[n++] = t;
        }
        PcBuf b = PC_BUF_INIT;
        if (absolute)
                pc_buf_addch(&b, '/');
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        pc_buf_addch(&b, '/');
                pc_buf_addstr(&b, seg[i]);
        }
        if (b.len == 0)
                pc_buf_addch(&b, '.');
        free(seg);
        return pc_buf_detach(&b);
}

/* Appends the components of p to the front of the work list (stored reversed, so the next
 * component is the last element). */
static void push_components(char ***stack, size_t *n, size_t *alloc, const char *p)
{
        _cleanup_free_ char *copy = xstrdup(p);
        char **parts = NULL;
        size_t np = 0;
        char *save = NULL;
        for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
                parts = xrealloc(parts, (np + 1) * sizeof(char *));
                parts[np++] = t;
        }
        for (size_t i = np; i > 0; i--) {
                *stack = xgrow(*stack, alloc, *n + 1, sizeof(char *));
                (*stack)[(*n)++] = xstrdup(parts[i - 1]);
        }
        free(parts);
}

#define MAX_SYMLINKS 40

char *pc__path_resolve_existing(const char *p)
{
        if (!p || p[0] != '/')
                return pc__path_normalize(p);

        /* Walk component by component as the kernel does, but keep going past missing
         * components (lexically) and follow dangling symlinks to their targets: a link to a
         * path that does not exist yet must not hide where it points. */
        char **stack = NULL;
        size_t n = 0, alloc = 0;
        push_components(&stack, &n, &alloc, p);
        PcBuf res = PC_BUF_INIT;
        unsigned links = 0;
        bool loop = false;
        while (n > 0) {
                _cleanup_free_ char *c = stack[--n];
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        char *slash = strrchr(res.buf, '/');
                        pc_buf_setlen(&res, slash ? (size_t) (slash - res.buf) : 0);
                        continue;
                }
                size_t before = res.len;
                pc_buf_addch(&res, '/');
                pc_buf_addstr(&res, c);
                struct stat st;
                if (lstat(res.buf, &st) < 0 || !S_ISLNK(st.st_mode))
                        continue; /* a directory, a file, or missing: keep the name */
                if (++links > MAX_SYMLINKS) {
                        loop = true;
                        break;
                }
                char target[PATH_MAX];
                ssize_t len = readlink(res.buf, target, sizeof(target) - 1);
                if (len < 0)
                        continue;
                target[len] = '\0';
                /* an absolute target restarts at "/", a relative one at the link's dir */
                pc_buf_setlen(&res, target[0] == '/' ? 0 : before);
                push_components(&stack, &n, &alloc, target);
        }
        for (size_t i = 0; i < n; i++)
                free(stack[i]);
        free(stack);
        if (loop) {
                pc_buf_release(&res);
                return NULL;
        }
        if (res.len == 0)
                pc_buf_addch(&res, '/');
        return pc_buf_detach(&res);
}

bool pc__path_inside(const char *root, const char *p)
{
        if (streq(root, "/"))
                return p[0] == '/';
        size_t n = strlen(root);
        return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

char **pc__default_home_dirs(void)
{
        char **v = NULL;
        const char *env = getenv("HOME");
        if (env && env[0] == '/')
                v = pc__strv_push(v, pc__path_normalize(env));
        struct passwd pw, *res = NULL;
        char buf[4096];
        if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_dir &&
            res->pw_dir[0] == '/') {
                _cleanup_free_ char *h = pc__path_normalize(res->pw_dir);
                if (!pc__strv_contains(v, h))
                        v = pc__strv_push(v, TAKE_PTR(h));
        }
        return v;
}

/* ---- blocked sources ------------------------------------------------------------------- */

static const char *const blocked_host_paths[] = {
        "/etc",
        "/private/etc",
        "/proc",
        "/sys",
        "/dev",
        "/root",
        "/boot",
        "/run",
        "/var/run",
        "/private/var/run",
        "/var/run/docker.sock",
        "/private/var/run/docker.sock",
        "/run/docker.sock",
};

static const char *const blocked_home_subpaths[] = {
        ".aws", ".cargo", ".config", ".docker", ".gnupg", ".netrc", ".npm", ".ssh",
};

/* The blocked path that source (normalised, absolute) equals, lies under, or contains, as a
 * new string; *covers is set in the last case (and for "/"). NULL when it is not blocked. */
static char *blocked_reason(const char *source, char *const *homes, bool *covers)
{
        *covers = false;
        if (streq(source, "/")) {
                *covers = true;
                return xstrdup("/");
        }
        for (size_t i = 0; i < ELEMENTSOF(blocked_host_paths); i++)
                if (pc__path_inside(blocked_host_paths[i], source))
                        return xstrdup(blocked_host_paths[i]);
        for (size_t h = 0; homes && homes[h]; h++)
                for (size_t i = 0; i < ELEMENTSOF(blocked_home_subpaths); i++) {
                        _cleanup_free_ char *p =
                                xasprintf("%s/%s", streq(homes[h], "/") ? "" : homes[h],
                                          blocked_home_subpaths[i]);
                        if (pc__path_inside(p, source))
                                return TAKE_PTR(p);
                }
        /* Pincer: a Docker socket is never mounted, wherever it lives (rootless and Desktop
         * engines keep it under the home or /run/user). */
        const char *base = strrchr(source, '/');
        if (base && streq(base + 1, "docker.sock"))
                return xstrdup(source);
        /* Pincer: nor is a directory that contains a blocked path ("/var" holds /var/run, a
         * home holds its .ssh); OpenClaw refuses only "/" this way. */
        *covers = true;
        for (size_t i = 0; i < ELEMENTSOF(blocked_host_paths); i++)
                if (pc__path_inside(source, blocked_host_paths[i]))
                        return xstrdup(blocked_host_paths[i]);
        for (size_t h = 0; homes && homes[h]; h++)
                for (size_t i = 0; i < ELEMENTSOF(blocked_home_subpaths); i++) {
                        _cleanup_free_ char *p =
                                xasprintf("%s/%s", streq(homes[h], "/") ? "" : homes[h],
                                          blocked_home_subpaths[i]);
                        if (pc__path_inside(source, p))
                                return TAKE_PTR(p);
                }
        *covers = false;
        return NULL;
}

/* ---- messages -------------------------------------------------------------------------- */

#define HINT_BLOCKED                                                                               \
        "Hint: bind a project directory inside the agent workspace instead; this check cannot "    \
        "be overridden."
#define HINT_RESERVED                                                                              \
        "Hint: mount it elsewhere (e.g. /mnt/data), or set "                                       \
        "sandbox.docker.dangerouslyAllowReservedContainerTargets=true."
#define HINT_OUTSIDE                                                                               \
        "Hint: move the data under the agent workspace, or set "                                   \
        "sandbox.docker.dangerouslyAllowExternalBindSources=true."
#define HINT_ABSOLUTE                                                                              \
        "Hint: use an absolute host path, e.g. \"/srv/data:/data:ro\"; named volumes and "         \
        "relative paths are not supported."
#define HINT_FORMAT "Hint: write it as \"/host/path:/container/path[:ro]\"."

static int err_blocked(PcError *reterr, const char *bind, const char *blocked, bool covers)
{
        return pc_error_set(reterr, -EPERM,
                            "Sandbox security: bind mount \"%s\" %s blocked path \"%s\". Mounting "
                            "system directories, credential paths, or Docker socket paths into "
                            "sandbox containers is not allowed. Use project-specific paths "
                            "instead (e.g. /home/user/myproject). " HINT_BLOCKED,
                            bind, covers ? "covers" : "targets", blocked);
}

static int err_outside(PcError *reterr, const char *bind, const char *source, char *const *roots)
{
        _cleanup_buf_ PcBuf list = PC_BUF_INIT;
        for (size_t i = 0; roots && roots[i]; i++) {
                if (i > 0)
                        pc_buf_addstr(&list, ", ");
                pc_buf_addstr(&list, roots[i]);
        }
        return pc_error_set(reterr, -EPERM,
                            "Sandbox security: bind mount \"%s\" source \"%s\" is outside allowed "
                            "roots (%s). Use a dangerous override only when you fully trust this "
                            "runtime. " HINT_OUTSIDE,
                            bind, source, list.buf);
}

/* ---- parsing --------------------------------------------------------------------------- */

static const char *const known_options[] = {
        "ro",     "rw",      "z",        "Z",      "shared",     "rshared", "slave",
        "rslave", "private", "rprivate", "nocopy", "consistent", "cached",  "delegated",
};

int pc_sandbox_bind_parse(const char *bind, PcSandboxMount *ret, PcError *reterr)
{
        _cleanup_free_ char *b = pc__trim(bind);
        if (!*b)
                return pc_error_set(reterr, -EINVAL,
                                    "Sandbox security: bind mount entry must be a non-empty "
                                    "string. " HINT_FORMAT);

        char *c1 = strchr(b, ':');
        _cleanup_free_ char *src = c1 ? xstrndup(b, (size_t) (c1 - b)) : xstrdup(b);
        _cleanup_free_ char *src_t = pc__trim(src);
        if (src_t[0] != '/')
                return pc_error_set(
                        reterr, -EINVAL,
                        "Sandbox security: bind mount \"%s\" uses a non-absolute source "
                        "path \"%s\". Only absolute POSIX paths are supported for "
                        "sandbox binds. " HINT_ABSOLUTE,
                        b, src_t);
        if (!c1)
                return pc_error_set(reterr, -EINVAL,
                                    "Sandbox security: bind mount \"%s\" has no container path. "
                                    "" HINT_FORMAT,
                                    b);
        char *c2 = strchr(c1 + 1, ':');
        _cleanup_free_ char *dst = c2 ? xstrndup(c1 + 1, (size_t) (c2 - c1 - 1)) : xstrdup(c1 + 1);
        _cleanup_free_ char *dst_t = pc__trim(dst);
        if (dst_t[0] != '/')
                return pc_error_set(reterr, -EINVAL,
                                    "Sandbox security: bind mount \"%s\" has a non-absolute "
                                    "container path \"%s\". " HINT_FORMAT,
                                    b, dst_t);

        bool ro = false;
        _cleanup_free_ char *opts = c2 ? pc__trim(c2 + 1) : NULL;
        if (opts && *opts) {
                _cleanup_free_ char *copy = xstrdup(opts);
                char *save = NULL;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                        bool known = false;
                        for (size_t i = 0; i < ELEMENTSOF(known_options) && !known; i++)
                                known = streq(t, known_options[i]);
                        if (!known)
                                return pc_error_set(reterr, -EINVAL,
                                                    "Sandbox security: bind mount \"%s\" has an "
                                                    "unknown option \"%s\". Hint: use ro or rw "
                                                    "(optionally with z, Z or a propagation mode).",
                                                    b, t);
                        ro = ro || streq(t, "ro");
                }
        } else {
                free(opts);
                opts = NULL;
        }

        *ret = (PcSandboxMount){
                .kind = PC_MOUNT_BIND,
                .source = pc__path_normalize(src_t),
                .target = pc__path_normalize(dst_t),
                .read_only = ro,
                .options = TAKE_PTR(opts),
        };
        return 0;
}

/* ---- the bind check -------------------------------------------------------------------- */

/* The allowed roots in normalised and realpath forms. */
static char **expand_roots(const char *const *roots)
{
        char **v = NULL;
        for (size_t i = 0; roots && roots[i]; i++) {
                _cleanup_free_ char *t = pc__trim(roots[i]);
                if (t[0] != '/')
                        continue;
                char *n = pc__path_normalize(t);
                char *r = pc__path_resolve_existing(n);
                if (!pc__strv_contains(v, n))
                        v = pc__strv_push(v, n);
                else
                        free(n);
                if (r && !pc__strv_contains(v, r))
                        v = pc__strv_push(v, r);
                else
                        free(r);
        }
        return v;
}

static char **expand_homes(const char *const *homes)
{
        char **base = NULL;
        if (homes)
                for (size_t i = 0; homes[i]; i++) {
                        if (homes[i][0] == '/')
                                base = pc__strv_push(base, pc__path_normalize(homes[i]));
                }
        else
                base = pc__default_home_dirs();
        char **v = NULL;
        for (size_t i = 0; base && base[i]; i++) {
                char *r = pc__path_resolve_existing(base[i]);
                if (!pc__strv_contains(v, base[i]))
                        v = pc__strv_push(v, xstrdup(base[i]));
                if (r && !pc__strv_contains(v, r))
                        v = pc__strv_push(v, r);
                else
                        free(r);
        }
        pc__strv_free(base);
        return v;
}

static bool inside_any(char *const *roots, const char *p)
{
        for (size_t i = 0; roots && roots[i]; i++)
                if (pc__path_inside(roots[i], p))
                        return true;
        return false;
}

/* Blocked paths, then (unless overridden) the allowed roots, for one form of the source. */
static int source_policy(const char *bind, const char *source, char *const *homes,
                         char *const *roots, bool allow_external, PcError *reterr)
{
        bool covers = false;
        _cleanup_free_ char *blocked = blocked_reason(source, homes, &covers);
        if (blocked)
                return err_blocked(reterr, bind, blocked, covers);
        if (!allow_external && !inside_any(roots, source))
                return err_outside(reterr, bind, source, roots);
        return 0;
}

static int reserved_check(const char *bind, const PcSandboxMount *m, const char *workdir,
                          PcError *reterr)
{
        const char *reserved[] = {"/workspace", "/agent", workdir};
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
                if (!reserved[i] || reserved[i][0] != '/')
                        continue;
                _cleanup_free_ char *rn = pc__path_normalize(reserved[i]);
                if (pc__path_inside(rn, m->target))
                        return pc_error_set(reterr, -EPERM,
                                            "Sandbox security: bind mount \"%s\" targets reserved "
                                            "container path \"%s\" (resolved target: \"%s\"). "
                                            "This can shadow Pincer sandbox mounts. Use a "
                                            "dangerous override only when you fully trust this "
                                            "runtime. " HINT_RESERVED,
                                            bind, rn, m->target);
        }
        return 0;
}

int pc_sandbox_bind_check(const char *bind, const PcBindPolicy *policy, PcSandboxMount *ret,
                          PcError *reterr)
{
        static const PcBindPolicy none = {0};
        if (!policy)
                policy = &none;
        _cleanup_free_ char *b = pc__trim(bind);
        _cleanup_(pc_sandbox_mount_release) PcSandboxMount m = {0};
        int r = pc_sandbox_bind_parse(b, &m, reterr);
        if (r < 0)
                return r;

        _cleanup_strv_ char **homes = expand_homes(policy->home_dirs);
        _cleanup_strv_ char **roots = expand_roots(policy->allowed_roots);
        /* The raw source text (before the first ':'), walked as the kernel would. */
        _cleanup_free_ char *raw_src = xstrndup(b, strcspn(b, ":"));
        _cleanup_free_ char *raw = pc__trim(raw_src);
        _cleanup_free_ char *kernel = pc__path_resolve_existing(raw);
        _cleanup_free_ char *lexical = pc__path_resolve_existing(m.source);
        if (!kernel || !lexical)
                return pc_error_set(reterr, -ELOOP,
                                    "Sandbox security: bind mount \"%s\" source \"%s\" cannot be "
                                    "resolved: too many levels of symbolic links. " HINT_BLOCKED,
                                    b, m.source);

        /* 1. blocked paths on the lexical form (OpenClaw's string check comes first) */
        bool covers = false;
        _cleanup_free_ char *blocked = blocked_reason(m.source, homes, &covers);
        if (blocked)
                return err_blocked(reterr, b, blocked, covers);
        /* 2. reserved container targets */
        if (!policy->allow_reserved_targets) {
                r = reserved_check(b, &m, policy->workdir, reterr);
                if (r < 0)
                        return r;
        }
        /* 3. allowed roots; 4. blocked paths and allowed roots on both resolved forms */
        const char *forms[] = {m.source, lexical, kernel};
        for (size_t i = 0; i < ELEMENTSOF(forms); i++) {
                r = source_policy(b, forms[i], homes, roots, policy->allow_external_sources,
                                  reterr);
                if (r < 0)
                        return r;
        }
        free(m.source);
        m.source = TAKE_PTR(kernel);
        *ret = m;
        m = (PcSandboxMount){0};
        return 0;
}

/* ---- network and profiles -------------------------------------------------------------- */

int pc_sandbox_network_check(const char *network, bool allow_container_join, PcError *reterr)
{
        _cleanup_free_ char *n = pc__trim(network);
        if (strcasecmp(n, "host") == 0)
                return pc_error_set(reterr, -EPERM,
                                    "Sandbox security: network mode \"%s\" is blocked. Network "
                                    "\"host\" mode bypasses container network isolation. Use "
                                    "\"bridge\" or \"none\" instead.",
                                    n);
        if (strncasecmp(n, "container:", 10) == 0 && !allow_container_join)
                return pc_error_set(reterr, -EPERM,
                                    "Sandbox security: network mode \"%s\" is blocked by default. "
                                    "Network \"container:*\" joins another container namespace "
                                    "and bypasses sandbox network isolation. Use a custom bridge "
                                    "network, or set dangerouslyAllowContainerNamespaceJoin=true "
                                    "only when you fully trust this runtime.",
                                    n);
        return 0;
}

int pc_sandbox_profiles_check(const char *seccomp, const char *apparmor, PcError *reterr)
{
        _cleanup_free_ char *s = pc__trim(seccomp);
        _cleanup_free_ char *a = pc__trim(apparmor);
        if (strcasecmp(s, "unconfined") == 0)
                return pc_error_set(reterr, -EPERM,
                                    "Sandbox security: seccomp profile \"%s\" is blocked. "
                                    "Disabling seccomp removes syscall filtering and weakens "
                                    "sandbox isolation. Use a custom seccomp profile file or omit "
                                    "this setting.",
                                    s);
        if (strcasecmp(a, "unconfined") == 0)
                return pc_error_set(reterr, -EPERM,
                                    "Sandbox security: apparmor profile \"%s\" is blocked. "
                                    "Disabling AppArmor removes mandatory access controls and "
                                    "weakens sandbox isolation. Use a named AppArmor profile or "
                                    "omit this setting.",
                                    a);
        return 0;
}
