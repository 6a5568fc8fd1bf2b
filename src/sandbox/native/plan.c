/* SPDX-License-Identifier: MIT */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "base/alloc.h"
#include "base/buf.h"

/* Index = capability number (linux/capability.h). */
static const char *const cap_names[] = {
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
};

const char *const pc_native_default_caps[] = {
        "CHOWN",      "DAC_OVERRIDE", "FOWNER",      "FSETID",           "KILL",
        "SETGID",     "SETUID",       "SETPCAP",     "NET_BIND_SERVICE", "NET_RAW",
        "SYS_CHROOT", "MKNOD",        "AUDIT_WRITE", "SETFCAP",          NULL,
};

int pc_native_cap_from_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(cap_names); i++)
                if (streq(cap_names[i], name))
                        return (int) i;
        return -EINVAL;
}

const char *pc_native_cap_to_name(int cap)
{
        if (cap < 0 || (size_t) cap >= ELEMENTSOF(cap_names))
                return NULL;
        return cap_names[cap];
}

static const struct {
        const char *name;
        int resource;
} rlimit_names[] = {
        {"as", RLIMIT_AS},
        {"core", RLIMIT_CORE},
        {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},
        {"fsize", RLIMIT_FSIZE},
        {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK},
        {"msgqueue", RLIMIT_MSGQUEUE},
        {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},
        {"nproc", RLIMIT_NPROC},
        {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},
        {"rttime", RLIMIT_RTTIME},
        {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK},
};

int pc_native_rlimit_from_name(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(rlimit_names); i++)
                if (streq(rlimit_names[i].name, name))
                        return rlimit_names[i].resource;
        return -EINVAL;
}

static int caps_apply(uint64_t *keep, char *const *names, bool add, PcError *reterr)
{
        for (; names && *names; names++) {
                if (streq(*names, "ALL")) {
                        *keep = add ? (UINT64_C(1) << ELEMENTSOF(cap_names)) - 1 : 0;
                        continue;
                }
                int c = pc_native_cap_from_name(*names);
                if (c < 0)
                        return pc_error_set(reterr, -EINVAL,
                                            "%s: unknown capability '%s'. Hint: use names like "
                                            "NET_RAW or SYS_ADMIN (see capabilities(7))",
                                            add ? "capAdd" : "capDrop", *names);
                if (add)
                        *keep |= UINT64_C(1) << c;
                else
                        *keep &= ~(UINT64_C(1) << c);
        }
        return 0;
}

/* Docker's --tmpfs options: the mount flags among them, the rest is filesystem data. Docker
 * mounts every tmpfs noexec, nosuid and nodev unless "exec", "suid" or "dev" says otherwise. */
static void tmpfs_options(const char *options, unsigned *ret_flags, char **ret_data)
{
        unsigned flags = PC_NATIVE_MNT_NOEXEC | PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV;
        PcBuf data = PC_BUF_INIT;
        _cleanup_free_ char *copy = xstrdup(options ? options : "");
        char *save = NULL;
        for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
                if (streq(o, "ro"))
                        flags |= PC_NATIVE_MNT_RDONLY;
                else if (streq(o, "rw"))
                        flags &= ~PC_NATIVE_MNT_RDONLY;
                else if (streq(o, "exec"))
                        flags &= ~PC_NATIVE_MNT_NOEXEC;
                else if (streq(o, "noexec"))
                        flags |= PC_NATIVE_MNT_NOEXEC;
                else if (streq(o, "suid"))
                        flags &= ~PC_NATIVE_MNT_NOSUID;
                else if (streq(o, "nosuid"))
                        flags |= PC_NATIVE_MNT_NOSUID;
                else if (streq(o, "dev"))
                        flags &= ~PC_NATIVE_MNT_NODEV;
                else if (streq(o, "nodev"))
                        flags |= PC_NATIVE_MNT_NODEV;
                else if (*o) {
                        if (data.len)
                                pc_buf_addch(&data, ',');
                        pc_buf_addstr(&data, o);
                }
        }
        *ret_flags = flags;
        *ret_data = data.len ? pc_buf_detach(&data) : NULL;
        pc_buf_release(&data);
}

static PcNativeMount *mount_add(PcNativePlan *p, size_t *alloc)
{
        p->mounts = xgrow(p->mounts, alloc, p->n_mounts + 1, sizeof(*p->mounts));
        PcNativeMount *m = &p->mounts[p->n_mounts++];
        memset(m, 0, sizeof(*m));
        return m;
}

/* The hosts file Docker writes for a container without a network, plus extraHosts. */
static char *hosts_content(const PcSandboxSpec *spec, const char *hostname)
{
        PcBuf b = PC_BUF_INIT;
        pc_buf_addstr(&b, "127.0.0.1\tlocalhost\n"
                          "::1\tlocalhost ip6-localhost ip6-loopback\n"
                          "fe00::0\tip6-localnet\n"
                          "ff00::0\tip6-mcastprefix\n"
                          "ff02::1\tip6-allnodes\n"
                          "ff02::2\tip6-allrouters\n");
        for (char **h = spec->extra_hosts; h && *h; h++) {
                const char *colon = strchr(*h, ':');
                if (!colon)
                        continue;
                pc_buf_addf(&b, "%s\t%.*s\n", colon + 1, (int) (colon - *h), *h);
        }
        pc_buf_addf(&b, "127.0.1.1\t%s\n", hostname);
        return pc_buf_detach(&b);
}

int pc_native_plan_build(const PcSandboxSpec *spec, PcNativePlan **ret, PcError *reterr)
{
        if (spec->network && !streq(spec->network, "none"))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EOPNOTSUPP,
                                         "network '%s' is not supported by the native backend "
                                         "(it has no egress yet). Hint: set "
                                         "sandbox.docker.network to \"none\", or use backend "
                                         "\"docker\"",
                                         spec->network);

        _cleanup_(pc_native_plan_freep) PcNativePlan *p = xcalloc(1, sizeof(*p));
        p->name = xstrdup(spec->name);
        p->image = xstrdup(spec->image ? spec->image : "");
        p->hostname = xstrdup(spec->hostname ? spec->hostname : spec->name);
        p->workdir = xstrdup(spec->workdir ? spec->workdir : "/");
        p->user = spec->user ? xstrdup(spec->user) : NULL;
        p->namespaces = PC_NATIVE_NS_MNT | PC_NATIVE_NS_PID | PC_NATIVE_NS_NET | PC_NATIVE_NS_UTS |
                        PC_NATIVE_NS_IPC | (spec->userns ? PC_NATIVE_NS_USER : 0);
        p->read_only_root = spec->read_only_root;

        uint64_t keep = 0;
        for (const char *const *c = pc_native_default_caps; *c; c++)
                keep |= UINT64_C(1) << pc_native_cap_from_name(*c);
        int r = caps_apply(&keep, spec->cap_drop, false, reterr);
        if (r < 0)
                return r;
        r = caps_apply(&keep, spec->cap_add, true, reterr);
        if (r < 0)
                return r;
        p->caps_keep = keep;

        p->rlimits = xcalloc(spec->n_ulimits ? spec->n_ulimits : 1, sizeof(*p->rlimits));
        for (size_t i = 0; i < spec->n_ulimits; i++) {
                const PcSandboxUlimit *u = &spec->ulimits[i];
                int res = pc_native_rlimit_from_name(u->name);
                if (res < 0)
                        return pc_error_set(reterr, -EINVAL,
                                            "ulimits: unknown limit '%s'. Hint: use nofile, "
                                            "nproc, core, stack, ... (setrlimit(2))",
                                            u->name);
                p->rlimits[p->n_rlimits++] = (PcNativeRlimit){.resource = res,
                                                              .name = xstrdup(u->name),
                                                              .soft = u->soft,
                                                              .hard = u->hard};
        }

        p->memory_bytes = spec->memory_bytes;
        p->memory_swap_bytes = spec->memory_swap_bytes;
        p->pids_max = spec->pids_limit;
        p->cpus = spec->cpus;

        size_t alloc = 0;
        for (size_t i = 0; i < spec->n_tmpfs; i++) {
                if (!spec->tmpfs[i].path || spec->tmpfs[i].path[0] != '/')
                        return pc_error_set(reterr, -EINVAL, "tmpfs: '%s' is not an absolute path",
                                            spec->tmpfs[i].path ? spec->tmpfs[i].path : "");
                PcNativeMount *m = mount_add(p, &alloc);
                m->type = PC_NATIVE_MOUNT_TMPFS;
                m->target = xstrdup(spec->tmpfs[i].path);
                tmpfs_options(spec->tmpfs[i].options, &m->flags, &m->data);
        }
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const PcSandboxMount *sm = &spec->mounts[i];
                if (!sm->source || sm->source[0] != '/' || !sm->target || sm->target[0] != '/')
                        return pc_error_set(reterr, -EINVAL,
                                            "mount %zu: source and target must be absolute", i);
                PcNativeMount *m = mount_add(p, &alloc);
                m->type = PC_NATIVE_MOUNT_BIND;
                m->source = xstrdup(sm->source);
                m->target = xstrdup(sm->target);
                /* Pincer differs from Docker: binds are always nosuid and nodev. */
                m->flags = PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV |
                           (sm->read_only ? PC_NATIVE_MNT_RDONLY : 0);
                m->no_symlinks = sm->kind == PC_MOUNT_BIND;
        }

        if (spec->dns && spec->dns[0]) {
                PcBuf b = PC_BUF_INIT;
                for (char **d = spec->dns; *d; d++)
                        pc_buf_addf(&b, "nameserver %s\n", *d);
                p->resolv_conf = pc_buf_detach(&b);
        }
        p->hosts = hosts_content(spec, p->hostname);
        static const struct {
                const char *file, *target;
        } files[] = {
                {"resolv.conf", "/etc/resolv.conf"},
                {"hosts", "/etc/hosts"},
                {"hostname", "/etc/hostname"},
        };
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (i == 0 && !p->resolv_conf)
                        continue;
                PcNativeMount *m = mount_add(p, &alloc);
                m->type = PC_NATIVE_MOUNT_FILE;
                m->source = xstrdup(files[i].file);
                m->target = xstrdup(files[i].target);
                m->flags = PC_NATIVE_MNT_RDONLY | PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV |
                           PC_NATIVE_MNT_NOEXEC;
        }

        p->env = xcalloc(spec->n_env + 1, sizeof(char *));
        for (size_t i = 0; i < spec->n_env; i++)
                p->env[i] = xasprintf("%s=%s", spec->env[i].key, spec->env[i].value);
        p->seccomp_profile = spec->seccomp_profile ? xstrdup(spec->seccomp_profile) : NULL;
        p->apparmor_profile = spec->apparmor_profile ? xstrdup(spec->apparmor_profile) : NULL;
        *ret = TAKE_PTR(p);
        return 0;
}

PcNativePlan *pc_native_plan_free(PcNativePlan *p)
{
        if (!p)
                return NULL;
        free(p->name);
        free(p->image);
        free(p->hostname);
        free(p->workdir);
        free(p->user);
        for (size_t i = 0; i < p->n_rlimits; i++)
                free(p->rlimits[i].name);
        free(p->rlimits);
        for (size_t i = 0; i < p->n_mounts; i++) {
                free(p->mounts[i].source);
                free(p->mounts[i].target);
                free(p->mounts[i].data);
        }
        free(p->mounts);
        free(p->resolv_conf);
        free(p->hosts);
        for (char **e = p->env; e && *e; e++)
                free(*e);
        free(p->env);
        free(p->seccomp_profile);
        free(p->apparmor_profile);
        free(p);
        return NULL;
}

static json_t *flags_json(unsigned flags)
{
        json_t *a = json_array();
        json_array_append_new(a, json_string(flags & PC_NATIVE_MNT_RDONLY ? "ro" : "rw"));
        if (flags & PC_NATIVE_MNT_NOSUID)
                json_array_append_new(a, json_string("nosuid"));
        if (flags & PC_NATIVE_MNT_NODEV)
                json_array_append_new(a, json_string("nodev"));
        if (flags & PC_NATIVE_MNT_NOEXEC)
                json_array_append_new(a, json_string("noexec"));
        return a;
}

static json_t *limit_json(int64_t v)
{
        return v < 0 ? json_string("unlimited") : json_integer(v);
}

json_t *pc_native_plan_to_json(const PcNativePlan *p)
{
        static const char *const ns_names[] = {"mnt", "pid", "net", "uts", "ipc", "user"};
        json_t *ns = json_array();
        for (size_t i = 0; i < ELEMENTSOF(ns_names); i++)
                if (p->namespaces & (1u << i))
                        json_array_append_new(ns, json_string(ns_names[i]));

        json_t *mounts = json_array();
        json_array_append_new(
                mounts, json_pack("{s:s, s:s, s:o}", "target", "/", "type", "overlay", "flags",
                                  flags_json(PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV |
                                             (p->read_only_root ? PC_NATIVE_MNT_RDONLY : 0))));
        json_array_append_new(
                mounts, json_pack("{s:s, s:s, s:o}", "target", "/proc", "type", "proc", "flags",
                                  flags_json(PC_NATIVE_MNT_NOSUID | PC_NATIVE_MNT_NODEV |
                                             PC_NATIVE_MNT_NOEXEC)));
        json_array_append_new(mounts,
                              json_pack("{s:s, s:s, s:s, s:o}", "target", "/dev", "type", "tmpfs",
                                        "contents", "null zero full random urandom tty, pts, shm",
                                        "flags",
                                        flags_json(PC_NATIVE_MNT_RDONLY | PC_NATIVE_MNT_NOSUID |
                                                   PC_NATIVE_MNT_NOEXEC)));
        static const char *const types[] = {"bind", "tmpfs", "file"};
        for (size_t i = 0; i < p->n_mounts; i++) {
                const PcNativeMount *m = &p->mounts[i];
                json_t *o = json_pack("{s:s, s:s, s:o}", "target", m->target, "type",
                                      types[m->type], "flags", flags_json(m->flags));
                if (m->source)
                        json_object_set_new(o, "source", json_string(m->source));
                if (m->data)
                        json_object_set_new(o, "options", json_string(m->data));
                json_array_append_new(mounts, o);
        }

        json_t *keep = json_array();
        for (int c = 0; c < 64; c++)
                if ((p->caps_keep >> c) & 1)
                        json_array_append_new(keep, json_string(pc_native_cap_to_name(c)));

        json_t *rl = json_array();
        for (size_t i = 0; i < p->n_rlimits; i++)
                json_array_append_new(rl, json_pack("{s:s, s:o, s:o}", "name", p->rlimits[i].name,
                                                    "soft", limit_json(p->rlimits[i].soft), "hard",
                                                    limit_json(p->rlimits[i].hard)));

        json_t *cg = json_object();
        if (p->memory_bytes)
                json_object_set_new(cg, "memoryBytes", json_integer(p->memory_bytes));
        if (p->memory_swap_bytes)
                json_object_set_new(cg, "memorySwapBytes", limit_json(p->memory_swap_bytes));
        if (p->pids_max)
                json_object_set_new(cg, "pidsMax", json_integer(p->pids_max));
        if (p->cpus > 0)
                json_object_set_new(cg, "cpus", json_real(p->cpus));

        json_t *out = json_pack(
                "{s:o, s:s, s:s*, s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:s*, s:s, s:b, s:s}",
                "namespaces", ns, "hostname", p->hostname, "user", p->user, "workdir", p->workdir,
                "root",
                p->read_only_root ? "overlay of the image, read-only (upper: a scratch "
                                    "tmpfs for mount points)"
                                  : "overlay of the image (upper: the sandbox's dir)",
                "mounts", mounts, "capabilitiesKept", keep, "noNewPrivs", true, "rlimits", rl,
                "cgroupLimits", cg, "network", json_string("none (only lo, up)"), "seccompProfile",
                p->seccomp_profile, "pid1", "pincer helper (reaps, forks each exec)",
                "readOnlyRoot", p->read_only_root, "image", p->image);
        if (p->namespaces & PC_NATIVE_NS_USER) {
                char map[64];
                snprintf(map, sizeof(map), "0 %" PRIu32 " %" PRIu32, PC_NATIVE_USERNS_BASE,
                         PC_NATIVE_USERNS_COUNT);
                json_object_set_new(
                        out, "userns",
                        json_pack("{s:s, s:s, s:s, s:s}", "uidMap", map, "gidMap", map,
                                  "idmappedMounts",
                                  "the image (lower layer of the root), the workspace, the binds "
                                  "and the generated files: id N on disk is id N inside",
                                  "upperOwner",
                                  "the writable root's upper dir belongs to the host ids of the "
                                  "map"));
        }
        return out;
}

size_t pc_native_subid_overlap(const char *text, uint32_t base, uint32_t count)
{
        size_t line = 0;
        uint64_t lo = base, hi = (uint64_t) base + count; /* [lo, hi) */
        for (const char *p = text; p && *p;) {
                line++;
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen(p);
                /* name:start:count; the name may be anything but ':' */
                const char *c1 = *p == '#' ? NULL : memchr(p, ':', len);
                if (c1) {
                        char num[2][24] = {};
                        const char *f = c1 + 1, *end = p + len;
                        bool ok = true;
                        for (int i = 0; i < 2 && ok; i++) {
                                const char *e = i == 0 ? memchr(f, ':', (size_t) (end - f)) : end;
                                if (!e || e == f || (size_t) (e - f) >= sizeof(num[i]))
                                        ok = false;
                                else {
                                        memcpy(num[i], f, (size_t) (e - f));
                                        f = e + 1;
                                }
                        }
                        uint64_t v[2];
                        for (int i = 0; i < 2 && ok; i++) {
                                char *e;
                                errno = 0;
                                unsigned long long x = strtoull(num[i], &e, 10);
                                ok = num[i][0] >= '0' && num[i][0] <= '9' && !*e && !errno &&
                                     x <= UINT32_MAX;
                                v[i] = x;
                        }
                        if (ok && v[1] > 0 && v[0] < hi && v[0] + v[1] > lo)
                                return line;
                }
                if (!eol)
                        break;
                p = eol + 1;
        }
        return 0;
}
