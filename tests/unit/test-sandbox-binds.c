/* SPDX-License-Identifier: MIT */
/* Bind parsing and every bind safety rule (spec 1.9), network and profile rules (1.10). */
#include "test-util.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "sandbox/sandbox-internal.h"
#include "sandbox/sandbox.h"

/* A scratch tree per test:
 *   <tmp>/home/.ssh/                  a fake home with a credential dir
 *   <tmp>/ws/                         the agent workspace (an allowed root)
 *   <tmp>/sbx/                        the sandbox workspace (an allowed root)
 *   <tmp>/outside/sub/                not an allowed root                          */
typedef struct Tree {
        char *root, *home, *ws, *sbx, *outside;
} Tree;

static char *path(const Tree *t, const char *rel)
{
        return xasprintf("%s/%s", t->root, rel);
}

static int setup(void **state)
{
        Tree *t = xcalloc(1, sizeof(*t));
        char tmpl[] = "/tmp/pc-binds-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        /* the tree's own path may sit behind a symlink (/tmp on some systems): use the real one */
        char real[4096];
        assert_non_null(realpath(tmpl, real));
        t->root = xstrdup(real);
        t->home = path(t, "home");
        t->ws = path(t, "ws");
        t->sbx = path(t, "sbx");
        t->outside = path(t, "outside");
        const char *dirs[] = {"home", "home/.ssh", "ws",         "ws/data",
                              "sbx",  "outside",   "outside/sub"};
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *p = path(t, dirs[i]);
                assert_int_equal(mkdir(p, 0755), 0);
        }
        *state = t;
        return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(p);
}

static int teardown(void **state)
{
        Tree *t = *state;
        nftw(t->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        free(t->root);
        free(t->home);
        free(t->ws);
        free(t->sbx);
        free(t->outside);
        free(t);
        return 0;
}

/* Checks bind under the tree's default policy (plus overrides); returns the code and keeps
 * the error message in *msg (static storage). */
static PcError last_err;

static int check(const Tree *t, const char *bind, bool reserved_ok, bool external_ok,
                 PcSandboxMount *ret)
{
        const char *roots[] = {t->sbx, t->ws, NULL};
        const char *homes[] = {t->home, "/home/tester", NULL};
        PcBindPolicy p = {
                .allowed_roots = roots,
                .home_dirs = homes,
                .workdir = "/workspace",
                .allow_reserved_targets = reserved_ok,
                .allow_external_sources = external_ok,
        };
        PcSandboxMount m = {0};
        last_err = (PcError) PC_ERROR_INIT;
        int r = pc_sandbox_bind_check(bind, &p, ret ? ret : &m, &last_err);
        if (!ret)
                pc_sandbox_mount_release(&m);
        return r;
}

static void assert_refused(const Tree *t, const char *bind, int code, const char *needle,
                           bool external_ok)
{
        int r = check(t, bind, false, external_ok, NULL);
        if (r != code)
                fail_msg("bind '%s': expected %d, got %d (%s)", bind, code, r, last_err.msg);
        if (needle && !strstr(last_err.msg, needle))
                fail_msg("bind '%s': '%s' not in: %s", bind, needle, last_err.msg);
        if (!strstr(last_err.msg, "Hint: "))
                fail_msg("bind '%s': no hint in: %s", bind, last_err.msg);
}

static void assert_accepted(const Tree *t, const char *bind, bool reserved_ok, bool external_ok)
{
        if (check(t, bind, reserved_ok, external_ok, NULL) < 0)
                fail_msg("bind '%s' refused: %s", bind, last_err.msg);
}

/* ---- paths ----------------------------------------------------------------------------- */

static void test_normalize(void **state)
{
        static const char *const cases[][2] = {
                {"/a/./b/../c//", "/a/c"},
                {"/../..", "/"},
                {"", "/"},
                {"/", "/"},
                {"//x///y", "/x/y"},
                {"\\srv\\data", "/srv/data"},
                {"a/../../b", "../b"},
                {"./a/.", "a"},
                {"/etc/../home", "/home"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *n = pc__path_normalize(cases[i][0]);
                if (strcmp(n, cases[i][1]) != 0)
                        fail_msg("normalize('%s') = '%s', expected '%s'", cases[i][0], n,
                                 cases[i][1]);
                free(n);
        }
        assert_true(pc__path_inside("/a", "/a"));
        assert_true(pc__path_inside("/a", "/a/b"));
        assert_false(pc__path_inside("/a", "/ab"));
        assert_true(pc__path_inside("/", "/anything"));
}

static void test_resolve_existing(void **state)
{
        Tree *t = *state;
        _cleanup_free_ char *link = path(t, "ws/out");
        assert_int_equal(symlink(t->outside, link), 0);

        _cleanup_free_ char *p1 = path(t, "ws/out/sub/new/deeper");
        _cleanup_free_ char *r1 = pc__path_resolve_existing(p1);
        _cleanup_free_ char *w1 = path(t, "outside/sub/new/deeper");
        assert_string_equal(r1, w1);

        /* "link/.." walks from the link's target, as the kernel does */
        _cleanup_free_ char *p2 = path(t, "ws/out/../x");
        _cleanup_free_ char *r2 = pc__path_resolve_existing(p2);
        _cleanup_free_ char *w2 = path(t, "x");
        assert_string_equal(r2, w2);

        /* ".." in a missing tail leading back to an existing symlink */
        _cleanup_free_ char *p3 = path(t, "ws/missing/../out/sub");
        _cleanup_free_ char *r3 = pc__path_resolve_existing(p3);
        _cleanup_free_ char *w3 = path(t, "outside/sub");
        assert_string_equal(r3, w3);

        /* a dangling link is followed to where it points */
        _cleanup_free_ char *dl = path(t, "ws/dl");
        assert_int_equal(symlink("/pc-not-there/x", dl), 0);
        _cleanup_free_ char *p5 = path(t, "ws/dl/y");
        _cleanup_free_ char *r5 = pc__path_resolve_existing(p5);
        assert_string_equal(r5, "/pc-not-there/x/y");

        /* nothing exists below / */
        _cleanup_free_ char *r4 = pc__path_resolve_existing("/pc-does-not-exist/a/b");
        assert_string_equal(r4, "/pc-does-not-exist/a/b");
}

/* ---- parsing --------------------------------------------------------------------------- */

static void test_parse(void **state)
{
        PcSandboxMount m = {0};
        PcError err = PC_ERROR_INIT;

        assert_int_equal(pc_sandbox_bind_parse("/srv/a:/a", &m, &err), 0);
        assert_string_equal(m.source, "/srv/a");
        assert_string_equal(m.target, "/a");
        assert_false(m.read_only);
        assert_null(m.options);
        assert_int_equal(m.kind, PC_MOUNT_BIND);
        pc_sandbox_mount_release(&m);

        assert_int_equal(pc_sandbox_bind_parse("  /srv/./a//:/a/b/../c/:ro,z  ", &m, &err), 0);
        assert_string_equal(m.source, "/srv/a");
        assert_string_equal(m.target, "/a/c");
        assert_true(m.read_only);
        assert_string_equal(m.options, "ro,z");
        pc_sandbox_mount_release(&m);

        assert_int_equal(pc_sandbox_bind_parse("/srv/a:/a:rw,rslave", &m, &err), 0);
        assert_false(m.read_only);
        pc_sandbox_mount_release(&m);

        assert_int_equal(pc_sandbox_bind_parse("/srv/a:/a:", &m, &err), 0);
        assert_null(m.options);
        pc_sandbox_mount_release(&m);

        static const struct {
                const char *bind, *needle;
        } bad[] = {
                {"", "Sandbox security: bind mount entry must be a non-empty string."},
                {"   ", "must be a non-empty string"},
                {"data:/data", "Sandbox security: bind mount \"data:/data\" uses a non-absolute "
                               "source path \"data\". Only absolute POSIX paths are supported "
                               "for sandbox binds."},
                {"myvolume:/data:ro", "non-absolute source path \"myvolume\""},
                {"C:\\data:/data", "non-absolute source path"},
                {":/data", "non-absolute source path"},
                {"/srv/a", "has no container path"},
                {"/srv/a:data", "non-absolute container path \"data\""},
                {"/srv/a::ro", "non-absolute container path"},
                {"/srv/a:/a:readonly", "unknown option \"readonly\""},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                err = (PcError) PC_ERROR_INIT;
                int r = pc_sandbox_bind_parse(bad[i].bind, &m, &err);
                if (r != -EINVAL || !strstr(err.msg, bad[i].needle) || !strstr(err.msg, "Hint:"))
                        fail_msg("'%s': %d %s", bad[i].bind, r, err.msg);
        }
}

/* ---- blocked sources ------------------------------------------------------------------- */

static void test_blocked_system_paths(void **state)
{
        Tree *t = *state;
        /* each blocked path, and what the message names (the first list entry that covers it) */
        static const char *const blocked[][2] = {
                {"/etc", "/etc"},
                {"/private/etc", "/private/etc"},
                {"/proc", "/proc"},
                {"/sys", "/sys"},
                {"/dev", "/dev"},
                {"/root", "/root"},
                {"/boot", "/boot"},
                {"/run", "/run"},
                {"/var/run", "/var/run"},
                {"/private/var/run", "/private/var/run"},
                {"/var/run/docker.sock", "/var/run"},
                {"/private/var/run/docker.sock", "/private/var/run"},
                {"/run/docker.sock", "/run"},
                {"/etc/ssl/private", "/etc"},
                {"/proc/1/root", "/proc"},
                {"/dev/shm/x", "/dev"},
                {"/../etc/passwd", "/etc"},
                {"/srv/../etc", "/etc"},
                {"//etc//", "/etc"},
                {"/run/user/1000/docker.sock", "/run"},
        };
        for (size_t i = 0; i < ELEMENTSOF(blocked); i++) {
                char bind[256], needle[256];
                snprintf(bind, sizeof(bind), "%s:/mnt/x:ro", blocked[i][0]);
                snprintf(needle, sizeof(needle), "targets blocked path \"%s\"", blocked[i][1]);
                assert_refused(t, bind, -EPERM, needle, false);
                /* never overridable */
                assert_refused(t, bind, -EPERM, needle, true);
                if (check(t, bind, true, true, NULL) != -EPERM)
                        fail_msg("'%s' accepted with every override", bind);
        }
        assert_refused(t, "/etc:/mnt/etc", -EPERM,
                       "Sandbox security: bind mount \"/etc:/mnt/etc\" targets blocked path "
                       "\"/etc\". Mounting system directories, credential paths, or Docker "
                       "socket paths into sandbox containers is not allowed. Use "
                       "project-specific paths instead (e.g. /home/user/myproject).",
                       true);
        /* "/" covers everything */
        assert_refused(t, "/:/host", -EPERM, "covers blocked path \"/\"", true);
        assert_refused(t, "/./:/host", -EPERM, "covers blocked path \"/\"", true);
        /* Pincer: a directory that contains a blocked path covers it */
        assert_refused(t, "/var:/v", -EPERM, "covers blocked path \"/var/run\"", true);
        assert_refused(t, "/private:/p", -EPERM, "covers blocked path \"/private/etc\"", true);
        assert_refused(t, "/home/tester:/h", -EPERM, "covers blocked path \"/home/tester/.aws\"",
                       true);
        assert_refused(t, "/home:/h", -EPERM, "covers blocked path \"/home/tester/.aws\"", true);
        assert_accepted(t, "/var/lib/data:/d", false, true);
        assert_accepted(t, "/home/tester/project:/p", false, true);
        /* near misses are not blocked (they are only outside the roots) */
        assert_refused(t, "/etcetera:/x", -EPERM, "is outside allowed roots", false);
        assert_accepted(t, "/etcetera:/x", false, true);
        assert_accepted(t, "/running:/x", false, true);
}

static void test_docker_socket_anywhere(void **state)
{
        Tree *t = *state;
        char bind[512];
        /* inside an allowed root, but a Docker socket by name */
        snprintf(bind, sizeof(bind), "%s/docker.sock:/var/run/docker.sock", t->ws);
        assert_refused(t, bind, -EPERM, "docker.sock\"", true);
        /* a symlink inside the workspace to the engine socket */
        _cleanup_free_ char *link = path(t, "ws/engine");
        assert_int_equal(symlink("/var/run/docker.sock", link), 0);
        snprintf(bind, sizeof(bind), "%s:/engine", link);
        assert_refused(t, bind, -EPERM, "blocked path", true);
}

static void test_home_credentials(void **state)
{
        Tree *t = *state;
        static const char *const sub[] = {".aws",   ".cargo", ".config", ".docker",
                                          ".gnupg", ".netrc", ".npm",    ".ssh"};
        for (size_t i = 0; i < ELEMENTSOF(sub); i++) {
                const char *homes[] = {t->home, "/home/tester"};
                for (size_t h = 0; h < ELEMENTSOF(homes); h++) {
                        char bind[512], needle[512];
                        snprintf(bind, sizeof(bind), "%s/%s:/creds:ro", homes[h], sub[i]);
                        snprintf(needle, sizeof(needle), "targets blocked path \"%s/%s\"", homes[h],
                                 sub[i]);
                        assert_refused(t, bind, -EPERM, needle, true);
                        snprintf(bind, sizeof(bind), "%s/%s/inner/file:/creds:ro", homes[h],
                                 sub[i]);
                        assert_refused(t, bind, -EPERM, needle, true);
                }
        }
        /* the home itself and look-alikes are not credential dirs */
        assert_accepted(t, "/home/tester/.sshfoo:/x", false, true);
        assert_accepted(t, "/home/tester/project:/x", false, true);

        /* a symlink in the workspace pointing at the home's .ssh */
        char bind[512];
        _cleanup_free_ char *link = path(t, "ws/keys");
        _cleanup_free_ char *ssh = path(t, "home/.ssh");
        assert_int_equal(symlink(ssh, link), 0);
        snprintf(bind, sizeof(bind), "%s:/keys:ro", link);
        char needle[512];
        snprintf(needle, sizeof(needle), "targets blocked path \"%s\"", ssh);
        assert_refused(t, bind, -EPERM, needle, true);
}

static void test_default_home_dirs(void **state)
{
        Tree *t = *state;
        const char *old = getenv("HOME");
        _cleanup_free_ char *saved = old ? xstrdup(old) : NULL;
        setenv("HOME", t->home, 1);

        const char *roots[] = {t->ws, NULL};
        PcBindPolicy p = {.allowed_roots = roots, .allow_external_sources = true};
        PcSandboxMount m = {0};
        PcError err = PC_ERROR_INIT;
        char bind[512];
        snprintf(bind, sizeof(bind), "%s/.ssh:/k", t->home);
        assert_int_equal(pc_sandbox_bind_check(bind, &p, &m, &err), -EPERM);
        assert_non_null(strstr(err.msg, "/.ssh\""));

        if (saved)
                setenv("HOME", saved, 1);
        else
                unsetenv("HOME");
}

/* ---- symlinks -------------------------------------------------------------------------- */

static void test_symlink_to_etc(void **state)
{
        Tree *t = *state;
        _cleanup_free_ char *link = path(t, "ws/etc-link");
        assert_int_equal(symlink("/etc", link), 0);
        char bind[512];

        /* the link itself, a path below it, and a missing path below it */
        const char *tails[] = {"", "/passwd", "/pc-missing/deeper/file"};
        for (size_t i = 0; i < ELEMENTSOF(tails); i++) {
                snprintf(bind, sizeof(bind), "%s%s:/mnt/cfg:ro", link, tails[i]);
                assert_refused(t, bind, -EPERM, "targets blocked path \"/etc\"", false);
                assert_refused(t, bind, -EPERM, "targets blocked path \"/etc\"", true);
        }
        /* kernel-style "..": link/../etc is /etc/../etc = /etc, lexically <ws>/etc */
        snprintf(bind, sizeof(bind), "%s/../etc:/mnt/cfg", link);
        assert_refused(t, bind, -EPERM, "targets blocked path \"/etc\"", true);

        /* a dangling link to a path under /etc that does not exist (yet) */
        _cleanup_free_ char *dangling = path(t, "ws/later");
        assert_int_equal(symlink("/etc/pc-not-there-yet", dangling), 0);
        snprintf(bind, sizeof(bind), "%s:/mnt/later", dangling);
        assert_refused(t, bind, -EPERM, "targets blocked path \"/etc\"", true);

        /* OpenClaw's own order: normalise first ("a/.." vanishes), then resolve: <ws>/a is a
         * link into the workspace, <ws>/lnk2 a link to /etc; "<ws>/a/../lnk2" is harmless
         * for the kernel (<ws>/deep/lnk2) but /etc for OpenClaw's check, which is kept */
        _cleanup_free_ char *deep = path(t, "ws/deep");
        _cleanup_free_ char *deepdir = path(t, "ws/deep/dir");
        assert_int_equal(mkdir(deep, 0755), 0);
        assert_int_equal(mkdir(deepdir, 0755), 0);
        _cleanup_free_ char *a = path(t, "ws/a");
        _cleanup_free_ char *lnk2 = path(t, "ws/lnk2");
        assert_int_equal(symlink(deepdir, a), 0);
        assert_int_equal(symlink("/etc", lnk2), 0);
        snprintf(bind, sizeof(bind), "%s/../lnk2:/mnt/x", a);
        assert_refused(t, bind, -EPERM, "targets blocked path \"/etc\"", true);

        /* a symlink loop is refused */
        _cleanup_free_ char *l1 = path(t, "ws/loop1");
        _cleanup_free_ char *l2 = path(t, "ws/loop2");
        assert_int_equal(symlink(l2, l1), 0);
        assert_int_equal(symlink(l1, l2), 0);
        snprintf(bind, sizeof(bind), "%s/x:/mnt/x", l1);
        assert_refused(t, bind, -ELOOP, "too many levels of symbolic links", true);
}

static void test_symlinked_parent(void **state)
{
        Tree *t = *state;
        _cleanup_free_ char *link = path(t, "ws/parent");
        assert_int_equal(symlink(t->outside, link), 0);
        char bind[512];

        /* an existing and a not-yet-existing leaf below a parent that escapes the roots */
        snprintf(bind, sizeof(bind), "%s/sub:/mnt/x", link);
        assert_refused(t, bind, -EPERM, "is outside allowed roots", false);
        snprintf(bind, sizeof(bind), "%s/new/file:/mnt/x", link);
        _cleanup_free_ char *resolved = path(t, "outside/new/file");
        char needle[512];
        snprintf(needle, sizeof(needle), "source \"%s\" is outside allowed roots", resolved);
        assert_refused(t, bind, -EPERM, needle, false);

        /* "<link>/../x" is inside the workspace lexically but outside for the kernel */
        _cleanup_free_ char *lnk2 = path(t, "ws/lnk");
        _cleanup_free_ char *sub = path(t, "outside/sub");
        assert_int_equal(symlink(sub, lnk2), 0);
        snprintf(bind, sizeof(bind), "%s/../data:/mnt/x", lnk2);
        assert_refused(t, bind, -EPERM, "is outside allowed roots", false);

        /* a relative link target escapes just the same */
        _cleanup_free_ char *rel = path(t, "ws/rel");
        assert_int_equal(symlink("../outside/sub", rel), 0);
        snprintf(bind, sizeof(bind), "%s/file:/mnt/x", rel);
        _cleanup_free_ char *relres = path(t, "outside/sub/file");
        snprintf(needle, sizeof(needle), "source \"%s\" is outside allowed roots", relres);
        assert_refused(t, bind, -EPERM, needle, false);

        /* with the external override it passes, and the mount uses the resolved path */
        PcSandboxMount m = {0};
        snprintf(bind, sizeof(bind), "%s/new/file:/mnt/x:ro", link);
        assert_int_equal(check(t, bind, false, true, &m), 0);
        assert_string_equal(m.source, resolved);
        assert_true(m.read_only);
        pc_sandbox_mount_release(&m);
}

static void test_allowed_roots(void **state)
{
        Tree *t = *state;
        char bind[512];
        snprintf(bind, sizeof(bind), "%s/data:/data:ro", t->ws);
        assert_accepted(t, bind, false, false);
        snprintf(bind, sizeof(bind), "%s:/ws2", t->ws);
        assert_accepted(t, bind, false, false);
        snprintf(bind, sizeof(bind), "%s/cache:/cache", t->sbx);
        assert_accepted(t, bind, false, false);

        /* outside: refused with the roots listed, accepted with the override */
        snprintf(bind, sizeof(bind), "%s/sub:/sub", t->outside);
        char needle[1024];
        snprintf(needle, sizeof(needle),
                 "is outside allowed roots (%s, %s). Use a dangerous "
                 "override only when you fully trust this runtime.",
                 t->sbx, t->ws);
        assert_refused(t, bind, -EPERM, needle, false);
        assert_accepted(t, bind, false, true);
        assert_refused(t, "/home/user/source:/source:ro", -EPERM, "outside allowed roots", false);
        /* a sibling that shares the prefix is outside */
        snprintf(bind, sizeof(bind), "%s-other/x:/x", t->ws);
        assert_refused(t, bind, -EPERM, "outside allowed roots", false);

        /* a root given through a symlink also admits its real path, and vice versa */
        _cleanup_free_ char *alias = path(t, "alias");
        assert_int_equal(symlink(t->ws, alias), 0);
        const char *roots[] = {alias, NULL};
        const char *homes[] = {t->home, NULL};
        PcBindPolicy p = {.allowed_roots = roots, .home_dirs = homes};
        PcSandboxMount m = {0};
        PcError err = PC_ERROR_INIT;
        snprintf(bind, sizeof(bind), "%s/data:/d", t->ws);
        assert_int_equal(pc_sandbox_bind_check(bind, &p, &m, &err), 0);
        pc_sandbox_mount_release(&m);
        snprintf(bind, sizeof(bind), "%s/data:/d", alias);
        assert_int_equal(pc_sandbox_bind_check(bind, &p, &m, &err), 0);
        _cleanup_free_ char *real = path(t, "ws/data");
        assert_string_equal(m.source, real); /* mounted by its real path */
        pc_sandbox_mount_release(&m);

        /* a link outside the roots into the workspace is refused too: the source as written
         * must be inside as well (OpenClaw's raw check) */
        _cleanup_free_ char *into = path(t, "into-ws");
        _cleanup_free_ char *data = path(t, "ws/data");
        assert_int_equal(symlink(data, into), 0);
        snprintf(bind, sizeof(bind), "%s:/d", into);
        assert_refused(t, bind, -EPERM, "into-ws\" is outside allowed roots", false);

        /* no roots at all: everything is outside */
        PcBindPolicy none = {.home_dirs = homes};
        assert_int_equal(pc_sandbox_bind_check(bind, &none, &m, &err), -EPERM);
}

/* ---- reserved targets ------------------------------------------------------------------ */

static void test_reserved_targets(void **state)
{
        Tree *t = *state;
        char bind[512];
        static const char *const targets[][2] = {
                {"/workspace", "/workspace"},
                {"/workspace/sub", "/workspace"},
                {"/agent", "/agent"},
                {"/agent/x/", "/agent"},
                {"/x/../workspace", "/workspace"},
        };
        for (size_t i = 0; i < ELEMENTSOF(targets); i++) {
                snprintf(bind, sizeof(bind), "%s/data:%s", t->ws, targets[i][0]);
                char needle[256];
                snprintf(needle, sizeof(needle), "targets reserved container path \"%s\"",
                         targets[i][1]);
                assert_refused(t, bind, -EPERM, needle, false);
                assert_accepted(t, bind, true, false);
        }
        snprintf(bind, sizeof(bind), "%s/data:/workspacex", t->ws);
        assert_accepted(t, bind, false, false);

        /* a custom workdir is reserved too (besides /workspace, which stays reserved) */
        const char *roots[] = {t->ws, NULL};
        const char *homes[] = {t->home, NULL};
        PcBindPolicy p = {.allowed_roots = roots, .home_dirs = homes, .workdir = "/work"};
        PcSandboxMount m = {0};
        PcError err = PC_ERROR_INIT;
        snprintf(bind, sizeof(bind), "%s/data:/work/data", t->ws);
        assert_int_equal(pc_sandbox_bind_check(bind, &p, &m, &err), -EPERM);
        assert_non_null(strstr(err.msg, "reserved container path \"/work\""));
        snprintf(bind, sizeof(bind), "%s/data:/workspace", t->ws);
        assert_int_equal(pc_sandbox_bind_check(bind, &p, &m, &err), -EPERM);

        /* a blocked source stays blocked even with the reserved override */
        assert_int_equal(check(t, "/etc:/workspace/etc", true, true, NULL), -EPERM);
        assert_non_null(strstr(last_err.msg, "blocked path \"/etc\""));
}

/* ---- network and profiles -------------------------------------------------------------- */

static void test_network(void **state)
{
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_sandbox_network_check("none", false, &err), 0);
        assert_int_equal(pc_sandbox_network_check("bridge", false, &err), 0);
        assert_int_equal(pc_sandbox_network_check("my-net", false, &err), 0);
        assert_int_equal(pc_sandbox_network_check("", false, &err), 0);
        static const char *const host[] = {"host", "HOST", " Host "};
        for (size_t i = 0; i < ELEMENTSOF(host); i++) {
                assert_int_equal(pc_sandbox_network_check(host[i], true, &err), -EPERM);
                assert_non_null(strstr(err.msg, "is blocked. Network \"host\" mode bypasses "
                                                "container network isolation. Use \"bridge\" "
                                                "or \"none\" instead."));
        }
        assert_int_equal(pc_sandbox_network_check("container:abc", false, &err), -EPERM);
        assert_non_null(strstr(err.msg, "Sandbox security: network mode \"container:abc\" is "
                                        "blocked by default."));
        assert_non_null(strstr(err.msg, "dangerouslyAllowContainerNamespaceJoin=true"));
        assert_int_equal(pc_sandbox_network_check("Container:abc", false, &err), -EPERM);
        assert_int_equal(pc_sandbox_network_check("container:abc", true, &err), 0);
}

static void test_profiles(void **state)
{
        PcError err = PC_ERROR_INIT;
        assert_int_equal(pc_sandbox_profiles_check(NULL, NULL, &err), 0);
        assert_int_equal(pc_sandbox_profiles_check("/etc/p.json", "pincer", &err), 0);
        assert_int_equal(pc_sandbox_profiles_check("Unconfined", NULL, &err), -EPERM);
        assert_non_null(strstr(err.msg, "seccomp profile \"Unconfined\" is blocked"));
        assert_int_equal(pc_sandbox_profiles_check(NULL, " unconfined ", &err), -EPERM);
        assert_non_null(strstr(err.msg, "apparmor profile \"unconfined\" is blocked"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),
                cmocka_unit_test_setup_teardown(test_resolve_existing, setup, teardown),
                cmocka_unit_test(test_parse),
                cmocka_unit_test_setup_teardown(test_blocked_system_paths, setup, teardown),
                cmocka_unit_test_setup_teardown(test_docker_socket_anywhere, setup, teardown),
                cmocka_unit_test_setup_teardown(test_home_credentials, setup, teardown),
                cmocka_unit_test_setup_teardown(test_default_home_dirs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_to_etc, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlinked_parent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_allowed_roots, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reserved_targets, setup, teardown),
                cmocka_unit_test(test_network),
                cmocka_unit_test(test_profiles),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
