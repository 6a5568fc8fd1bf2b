/* SPDX-License-Identifier: MIT */
#include "seccomp.h"

#include <fcntl.h>
#include <jansson.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base/alloc.h"
#include "sandbox/seccomp-default.h"

/* Docker's (Go) name of the native architecture, for includes/excludes "arches". */
#if defined(__x86_64__)
#define NATIVE_ARCH "amd64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64le"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
#else
#define NATIVE_ARCH "unknown"
#endif

struct PcSeccompFilter {
        struct sock_fprog prog; /* prog.filter owned */
        char *summary;
};

/* Syscalls a sandbox should never reach; their resolved state goes into the summary. */
static const char *const notable[] = {
        "mount",
        "umount2",
        "pivot_root",
        "unshare",
        "setns",
        "clone3",
        "ptrace",
        "bpf",
        "keyctl",
        "add_key",
        "request_key",
        "kexec_load",
        "kexec_file_load",
        "init_module",
        "finit_module",
        "delete_module",
        "perf_event_open",
        "userfaultfd",
        "open_by_handle_at",
        "io_uring_setup",
        "chroot",
        "reboot",
        "swapon",
};

enum { N_UNSEEN = 0, N_ALLOWED, N_CONDITIONAL, N_DENIED };

typedef struct Compiler {
        scmp_filter_ctx ctx;
        uint32_t default_action;
        size_t n_rules;
        unsigned char state[ELEMENTSOF(notable)];
        const char *origin;
        PcError *reterr;
} Compiler;

static bool action_allows(uint32_t a)
{
        return a == SCMP_ACT_ALLOW || a == SCMP_ACT_LOG;
}

static void note(Compiler *c, const char *name, uint32_t action, bool conditional)
{
        for (size_t i = 0; i < ELEMENTSOF(notable); i++)
                if (streq(notable[i], name)) {
                        if (action_allows(action))
                                c->state[i] = conditional ? N_CONDITIONAL : N_ALLOWED;
                        else if (c->state[i] == N_UNSEEN)
                                c->state[i] = N_DENIED;
                }
}

/* Adds one rule; unknown names and rules equal to the default are skipped (Docker does
 * the same). path names the rule in errors. */
static int add_rule(Compiler *c, const char *name, uint32_t action, unsigned n_args,
                    const struct scmp_arg_cmp *args, const char *path)
{
        int nr, r;

        if (action == c->default_action)
                return 0;
        nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0;
        r = seccomp_rule_add_array(c->ctx, action, nr, n_args, args);
        if (r == -EACCES)
                return 0;
        if (r < 0)
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: cannot add the rule for '%s': %s",
                                    c->origin, path, name, strerror(-r));
        note(c, name, action, n_args > 0);
        c->n_rules++;
        return 0;
}

/* --- Docker profiles ------------------------------------------------------------------ */

static int parse_action(Compiler *c, json_t *v, json_t *errno_v, int default_errno,
                        const char *path, uint32_t *ret)
{
        const char *s = json_string_value(v);
        int e = default_errno;

        if (!s)
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: must be a string", c->origin,
                                    path);
        if (errno_v && !json_is_null(errno_v)) {
                if (!json_is_integer(errno_v) || json_integer_value(errno_v) < 0 ||
                    json_integer_value(errno_v) > 4095)
                        return pc_error_set(c->reterr, -EINVAL,
                                            "%s: %s: errnoRet must be an integer 0..4095",
                                            c->origin, path);
                e = (int) json_integer_value(errno_v);
        }
        if (streq(s, "SCMP_ACT_ALLOW"))
                *ret = SCMP_ACT_ALLOW;
        else if (streq(s, "SCMP_ACT_ERRNO"))
                *ret = SCMP_ACT_ERRNO((uint32_t) e);
        else if (streq(s, "SCMP_ACT_KILL") || streq(s, "SCMP_ACT_KILL_THREAD"))
                *ret = SCMP_ACT_KILL_THREAD;
        else if (streq(s, "SCMP_ACT_KILL_PROCESS"))
                *ret = SCMP_ACT_KILL_PROCESS;
        else if (streq(s, "SCMP_ACT_TRAP"))
                *ret = SCMP_ACT_TRAP;
        else if (streq(s, "SCMP_ACT_TRACE"))
                *ret = SCMP_ACT_TRACE((uint32_t) e);
        else if (streq(s, "SCMP_ACT_LOG"))
                *ret = SCMP_ACT_LOG;
        else if (streq(s, "SCMP_ACT_NOTIFY"))
                return pc_error_set(c->reterr, -EOPNOTSUPP,
                                    "%s: %s: SCMP_ACT_NOTIFY is not supported (it needs a "
                                    "listener)",
                                    c->origin, path);
        else
                return pc_error_set(c->reterr, -EINVAL,
                                    "%s: %s: unknown action '%.64s' (expected SCMP_ACT_ALLOW, "
                                    "SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
                                    "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE or "
                                    "SCMP_ACT_LOG)",
                                    c->origin, path, s);
        return 0;
}

static int parse_op(Compiler *c, json_t *v, const char *path, enum scmp_compare *ret)
{
        static const struct {
                const char *name;
                enum scmp_compare op;
        } ops[] = {
                {"SCMP_CMP_NE", SCMP_CMP_NE},
                {"SCMP_CMP_LT", SCMP_CMP_LT},
                {"SCMP_CMP_LE", SCMP_CMP_LE},
                {"SCMP_CMP_EQ", SCMP_CMP_EQ},
                {"SCMP_CMP_GE", SCMP_CMP_GE},
                {"SCMP_CMP_GT", SCMP_CMP_GT},
                {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
        };
        const char *s = json_string_value(v);

        for (size_t i = 0; s && i < ELEMENTSOF(ops); i++)
                if (streq(s, ops[i].name)) {
                        *ret = ops[i].op;
                        return 0;
                }
        return pc_error_set(c->reterr, -EINVAL,
                            "%s: %s: unknown operator%s%.64s%s (expected SCMP_CMP_EQ, _NE, _LT, "
                            "_LE, _GE, _GT or _MASKED_EQ)",
                            c->origin, path, s ? " '" : "", s ? s : "", s ? "'" : "");
}

static int check_string_array(Compiler *c, json_t *v, const char *path)
{
        size_t i;
        json_t *e;

        if (!v || json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: must be an array of strings",
                                    c->origin, path);
        json_array_foreach (v, i, e)
                if (!json_is_string(e))
                        return pc_error_set(c->reterr, -EINVAL, "%s: %s[%zu]: must be a string",
                                            c->origin, path, i);
        return 0;
}

static bool array_has(json_t *arr, const char *s)
{
        size_t i;
        json_t *e;

        json_array_foreach (arr, i, e)
                if (json_is_string(e) && streq(json_string_value(e), s))
                        return true;
        return false;
}

/* -1 when a.b < running kernel's, 0 equal, 1 greater; "4.8" style. */
static bool kernel_at_least(const char *want)
{
        struct utsname u;
        unsigned wa = 0, wb = 0, ka = 0, kb = 0;

        if (sscanf(want, "%u.%u", &wa, &wb) < 1 || uname(&u) < 0 ||
            sscanf(u.release, "%u.%u", &ka, &kb) < 1)
                return false;
        return ka > wa || (ka == wa && kb >= wb);
}

/* Evaluates includes (want=true) or excludes (want=false): returns 1 when the filter matches
 * this host (empty capability set, native arch, running kernel), 0 otherwise, or -errno. */
static int eval_filter(Compiler *c, json_t *f, const char *path, bool includes)
{
        _cleanup_free_ char *p_caps = xasprintf("%s.caps", path);
        _cleanup_free_ char *p_arches = xasprintf("%s.arches", path);
        json_t *caps, *arches, *mk;
        int r;

        if (!f || json_is_null(f))
                return includes ? 1 : 0;
        if (!json_is_object(f))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: must be an object", c->origin,
                                    path);
        caps = json_object_get(f, "caps");
        arches = json_object_get(f, "arches");
        mk = json_object_get(f, "minKernel");
        if ((r = check_string_array(c, caps, p_caps)) < 0 ||
            (r = check_string_array(c, arches, p_arches)) < 0)
                return r;
        if (mk && !json_is_null(mk) && !json_is_string(mk))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s.minKernel: must be a string",
                                    c->origin, path);
        if (includes) {
                if (json_array_size(caps) > 0)
                        return 0; /* no capability is ever granted */
                if (json_array_size(arches) > 0 && !array_has(arches, NATIVE_ARCH))
                        return 0;
                if (json_is_string(mk) && !kernel_at_least(json_string_value(mk)))
                        return 0;
                return 1;
        }
        if (json_array_size(arches) > 0 && array_has(arches, NATIVE_ARCH))
                return 1;
        if (json_is_string(mk) && kernel_at_least(json_string_value(mk)))
                return 1;
        return 0; /* excluded caps never match an empty set */
}

static int parse_args(Compiler *c, json_t *args, const char *path, struct scmp_arg_cmp *out,
                      unsigned *ret_n)
{
        size_t i;
        json_t *a;

        if (!args || json_is_null(args)) {
                *ret_n = 0;
                return 0;
        }
        if (!json_is_array(args))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s.args: must be an array", c->origin,
                                    path);
        if (json_array_size(args) > 6)
                return pc_error_set(c->reterr, -EINVAL,
                                    "%s: %s.args: at most 6 argument comparisons", c->origin, path);
        json_array_foreach (args, i, a) {
                _cleanup_free_ char *ap = xasprintf("%s.args[%zu]", path, i);
                _cleanup_free_ char *opp = xasprintf("%s.op", ap);
                json_t *idx = json_object_get(a, "index"), *val = json_object_get(a, "value");
                json_t *val2 = json_object_get(a, "valueTwo");
                enum scmp_compare op = SCMP_CMP_EQ;
                int r;

                if (!json_is_object(a))
                        return pc_error_set(c->reterr, -EINVAL, "%s: %s: must be an object",
                                            c->origin, ap);
                if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
                    json_integer_value(idx) > 5)
                        return pc_error_set(c->reterr, -EINVAL,
                                            "%s: %s.index: must be an integer 0..5", c->origin, ap);
                if (!json_is_integer(val) ||
                    (val2 && !json_is_null(val2) && !json_is_integer(val2)))
                        return pc_error_set(c->reterr, -EINVAL, "%s: %s.value: must be an integer",
                                            c->origin, ap);
                r = parse_op(c, json_object_get(a, "op"), opp, &op);
                if (r < 0)
                        return r;
                out[i] = (struct scmp_arg_cmp){
                        .arg = (unsigned) json_integer_value(idx),
                        .op = op,
                        .datum_a = (uint64_t) json_integer_value(val),
                        .datum_b = val2 ? (uint64_t) json_integer_value(val2) : 0,
                };
        }
        *ret_n = (unsigned) json_array_size(args);
        return 0;
}

static int add_profile_rule(Compiler *c, const char *name, uint32_t action, unsigned n,
                            const struct scmp_arg_cmp *args, const char *path)
{
        bool dup = false;

        for (unsigned i = 0; i < n; i++)
                for (unsigned j = i + 1; j < n; j++)
                        if (args[i].arg == args[j].arg)
                                dup = true;
        if (!dup)
                return add_rule(c, name, action, n, args, path);
        /* Docker: comparisons on the same argument are alternatives, one rule each. */
        for (unsigned i = 0; i < n; i++) {
                int r = add_rule(c, name, action, 1, &args[i], path);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_syscall(Compiler *c, json_t *sc, size_t i)
{
        _cleanup_free_ char *path = xasprintf("syscalls[%zu]", i);
        _cleanup_free_ char *p_names = xasprintf("%s.names", path);
        _cleanup_free_ char *p_action = xasprintf("%s.action", path);
        _cleanup_free_ char *p_inc = xasprintf("%s.includes", path);
        _cleanup_free_ char *p_exc = xasprintf("%s.excludes", path);
        struct scmp_arg_cmp args[6];
        json_t *names, *name, *n;
        uint32_t action;
        unsigned n_args = 0;
        size_t k;
        int r, inc, exc;

        if (!json_is_object(sc))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: must be an object", c->origin,
                                    path);
        names = json_object_get(sc, "names");
        name = json_object_get(sc, "name");
        if (!names && !name)
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: needs \"names\"", c->origin, path);
        if ((r = check_string_array(c, names, p_names)) < 0)
                return r;
        if (name && !json_is_null(name) && !json_is_string(name))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s.name: must be a string", c->origin,
                                    path);
        if (!json_object_get(sc, "action"))
                return pc_error_set(c->reterr, -EINVAL, "%s: %s: needs \"action\"", c->origin,
                                    path);
        r = parse_action(c, json_object_get(sc, "action"), json_object_get(sc, "errnoRet"), EPERM,
                         p_action, &action);
        if (r < 0)
                return r;
        r = parse_args(c, json_object_get(sc, "args"), path, args, &n_args);
        if (r < 0)
                return r;
        inc = eval_filter(c, json_object_get(sc, "includes"), p_inc, true);
        if (inc < 0)
                return inc;
        exc = eval_filter(c, json_object_get(sc, "excludes"), p_exc, false);
        if (exc < 0)
                return exc;
        if (!inc || exc)
                return 0;
        if (json_is_string(name)) {
                r = add_profile_rule(c, json_string_value(name), action, n_args, args, path);
                if (r < 0)
                        return r;
        }
        json_array_foreach (names, k, n) {
                r = add_profile_rule(c, json_string_value(n), action, n_args, args, p_names);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_arches(Compiler *c, json_t *root)
{
        json_t *arches = json_object_get(root, "architectures"), *map, *e, *sub;
        size_t i, k;
        int r;

        if ((r = check_string_array(c, arches, "architectures")) < 0)
                return r;
        map = json_object_get(root, "archMap");
        if (!map || json_is_null(map))
                return 0;
        if (!json_is_array(map))
                return pc_error_set(c->reterr, -EINVAL, "%s: archMap: must be an array", c->origin);
        json_array_foreach (map, i, e) {
                _cleanup_free_ char *p = xasprintf("archMap[%zu].subArchitectures", i);
                if (!json_is_object(e) || !json_is_string(json_object_get(e, "architecture")))
                        return pc_error_set(c->reterr, -EINVAL,
                                            "%s: archMap[%zu]: needs \"architecture\"", c->origin,
                                            i);
                sub = json_object_get(e, "subArchitectures");
                if ((r = check_string_array(c, sub, p)) < 0)
                        return r;
                (void) k;
        }
        return 0;
}

static int profile_rules(Compiler *c, const char *data, size_t len)
{
        json_error_t jerr;
        json_t *root, *syscalls, *sc;
        size_t i;
        int r;

        if (len > PC_SECCOMP_PROFILE_MAX_SIZE)
                return pc_error_set(c->reterr, -EFBIG, "%s: larger than %d bytes", c->origin,
                                    PC_SECCOMP_PROFILE_MAX_SIZE);
        root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return pc_error_set(c->reterr, -EINVAL, "%s:%d:%d: invalid JSON: %s", c->origin,
                                    jerr.line, jerr.column, jerr.text);
        if (!json_is_object(root)) {
                r = pc_error_set(c->reterr, -EINVAL, "%s: the profile must be a JSON object",
                                 c->origin);
                goto out;
        }
        json_t *def = json_object_get(root, "defaultAction");
        if (!def) {
                r = pc_error_set(c->reterr, -EINVAL, "%s: defaultAction: missing", c->origin);
                goto out;
        }
        r = parse_action(c, def, json_object_get(root, "defaultErrnoRet"), EPERM, "defaultAction",
                         &c->default_action);
        if (r < 0)
                goto out;
        r = check_arches(c, root);
        if (r < 0)
                goto out;
        c->ctx = seccomp_init(c->default_action);
        if (!c->ctx) {
                r = pc_error_set(c->reterr, -EINVAL,
                                 "%s: defaultAction: not supported by libseccomp", c->origin);
                goto out;
        }
        syscalls = json_object_get(root, "syscalls");
        if (syscalls && !json_is_null(syscalls) && !json_is_array(syscalls)) {
                r = pc_error_set(c->reterr, -EINVAL, "%s: syscalls: must be an array", c->origin);
                goto out;
        }
        json_array_foreach (syscalls, i, sc) {
                r = parse_syscall(c, sc, i);
                if (r < 0)
                        goto out;
        }
        r = 0;
out:
        json_decref(root);
        return r;
}

/* --- export and summary --------------------------------------------------------------- */

static void action_text(PcBuf *b, uint32_t a)
{
        if (a == SCMP_ACT_ALLOW)
                pc_buf_addstr(b, "allow");
        else if (a == SCMP_ACT_LOG)
                pc_buf_addstr(b, "log");
        else if (a == SCMP_ACT_KILL_PROCESS)
                pc_buf_addstr(b, "kill-process");
        else if (a == SCMP_ACT_KILL_THREAD)
                pc_buf_addstr(b, "kill-thread");
        else if (a == SCMP_ACT_TRAP)
                pc_buf_addstr(b, "trap");
        else if ((a & 0xffff0000u) == SCMP_ACT_ERRNO(0))
                pc_buf_addf(b, "errno %u (%s)", a & 0xffffu, strerror((int) (a & 0xffffu)));
        else if ((a & 0xffff0000u) == SCMP_ACT_TRACE(0))
                pc_buf_addf(b, "trace %u", a & 0xffffu);
        else
                pc_buf_addf(b, "0x%x", a);
}

static int export_filter(Compiler *c, const char *what, PcSeccompFilter **ret)
{
        _cleanup_close_ int fd = -EBADF;
        PcSeccompFilter *f;
        struct stat st;
        size_t n;
        int r;

        (void) seccomp_attr_set(c->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        fd = memfd_create("pincer-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return pc_error_set(c->reterr, -errno, "memfd_create: %s", strerror(errno));
        r = seccomp_export_bpf(c->ctx, fd);
        if (r < 0)
                return pc_error_set(c->reterr, r, "%s: cannot export the seccomp filter: %s",
                                    c->origin, strerror(-r));
        if (fstat(fd, &st) < 0)
                return pc_error_set(c->reterr, -errno, "fstat: %s", strerror(errno));
        n = (size_t) st.st_size;
        if (n == 0 || n % sizeof(struct sock_filter) != 0 ||
            n / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return pc_error_set(c->reterr, -E2BIG,
                                    "%s: the compiled filter has %zu bytes (at most %d "
                                    "instructions fit)",
                                    c->origin, n, BPF_MAXINSNS);
        f = xcalloc(1, sizeof(*f));
        f->prog.filter = xmalloc(n);
        f->prog.len = (unsigned short) (n / sizeof(struct sock_filter));
        if (pread(fd, f->prog.filter, n, 0) != (ssize_t) n) {
                pc_seccomp_filter_free(f);
                return pc_error_set(c->reterr, -EIO, "cannot read back the seccomp filter");
        }

        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        pc_buf_addf(&b, "profile: %s\ndefault action: ", what);
        action_text(&b, c->default_action);
        pc_buf_addf(&b, "\nrules: %zu (%u BPF instructions, native architecture only)\n",
                    c->n_rules, (unsigned) f->prog.len);
        bool deny_default = !action_allows(c->default_action);
        size_t shown = 0;
        for (size_t i = 0; i < ELEMENTSOF(notable); i++) {
                bool denied = c->state[i] == N_DENIED || (c->state[i] == N_UNSEEN && deny_default);
                if (!denied)
                        continue;
                pc_buf_addstr(&b, shown++ ? " " : "denied: ");
                pc_buf_addstr(&b, notable[i]);
        }
        if (shown)
                pc_buf_addch(&b, '\n');
        for (size_t i = 0; i < ELEMENTSOF(notable); i++)
                if (c->state[i] == N_ALLOWED || c->state[i] == N_CONDITIONAL)
                        pc_buf_addf(&b, "allowed%s: %s\n",
                                    c->state[i] == N_CONDITIONAL ? " (with conditions)" : "",
                                    notable[i]);
        f->summary = pc_buf_detach(&b);
        *ret = f;
        return 0;
}

static int compile(Compiler *c, const char *what, PcSeccompFilter **ret)
{
        int r = export_filter(c, what, ret);
        seccomp_release(c->ctx);
        c->ctx = NULL;
        return r;
}

int pc_seccomp_filter_from_string(const char *json, size_t len, const char *origin,
                                  PcSeccompFilter **ret, PcError *reterr)
{
        Compiler c = {.origin = origin ? origin : "<profile>", .reterr = reterr};
        int r = profile_rules(&c, json, len);

        if (r < 0) {
                if (c.ctx)
                        seccomp_release(c.ctx);
                return r;
        }
        return compile(&c, c.origin, ret);
}

int pc_seccomp_filter_new(const char *docker_profile_path, PcSeccompFilter **ret, PcError *reterr)
{
        if (!docker_profile_path) {
                /* The same JSON the Docker backend sends, so both backends filter alike. */
                _cleanup_free_ char *json = pc_seccomp_default_profile_json();
                Compiler c = {.origin = "built-in default", .reterr = reterr};
                int r = profile_rules(&c, json, strlen(json));
                if (r < 0) {
                        if (c.ctx)
                                seccomp_release(c.ctx);
                        return r;
                }
                return compile(&c, PC_SECCOMP_DEFAULT_DESCRIPTION, ret);
        }

        _cleanup_close_ int fd = open(docker_profile_path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len = 0;

        if (fd < 0)
                return pc_error_set(reterr, -errno, "cannot open seccomp profile '%s': %s",
                                    docker_profile_path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return pc_error_set(reterr, -errno, "%s: %s", docker_profile_path, strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_size > PC_SECCOMP_PROFILE_MAX_SIZE)
                return pc_error_set(reterr, -EFBIG,
                                    "seccomp profile '%s' is not a regular file of at most "
                                    "%d bytes",
                                    docker_profile_path, PC_SECCOMP_PROFILE_MAX_SIZE);
        data = xmalloc((size_t) st.st_size + 1);
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, data + len, (size_t) st.st_size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return pc_error_set(reterr, -errno, "cannot read '%s': %s",
                                            docker_profile_path, strerror(errno));
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return pc_seccomp_filter_from_string(data, len, docker_profile_path, ret, reterr);
}

_no_sanitize_address_ int pc_seccomp_apply(const PcSeccompFilter *f)
{
        return RET_NERRNO(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f->prog, 0, 0));
}

size_t pc_seccomp_summary(const PcSeccompFilter *f, PcBuf *out)
{
        size_t before = out->len;
        pc_buf_addstr(out, f->summary);
        return out->len - before;
}

size_t pc_seccomp_filter_size(const PcSeccompFilter *f)
{
        return f->prog.len;
}

PcSeccompFilter *pc_seccomp_filter_free(PcSeccompFilter *f)
{
        if (!f)
                return NULL;
        free(f->prog.filter);
        free(f->summary);
        free(f);
        return NULL;
}
