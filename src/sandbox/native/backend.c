/* SPDX-License-Identifier: MIT */
/* The native backend's PcSandboxOps (native.h). */
#include "native.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/fs-util.h"
#include "cgroup.h"
#include "images.h"
#include "native-internal.h"
#include "plan.h"
#include "seccomp.h"

/* Set once, before any thread: the gateway owns what it creates. */
static bool owner_process;

void pc_native_set_owner_process(void)
{
        owner_process = true;
}

static int teardown(const char *state_dir, const char *name, PcError *reterr);
static void teardown_owned(const char *state_dir);

int pc_native_backend_open(const char *state_dir, void **ret_instance, PcError *reterr)
{
        if (geteuid() != 0)
                return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EPERM,
                                         "the native sandbox backend needs root (namespaces, "
                                         "mounts, cgroups). Hint: run as root, or set "
                                         "sandbox.backend to \"docker\"");
        PcNativeBackend *b = xcalloc(1, sizeof(*b));
        b->state_dir = xstrdup(state_dir);
        pthread_mutex_init(&b->filter_lock, NULL);
        *ret_instance = b;
        return 0;
}

void pc_native_backend_close(void *instance)
{
        PcNativeBackend *b = instance;
        if (!b)
                return;
        if (owner_process)
                teardown_owned(b->state_dir);
        pc_seccomp_filter_free(b->default_filter);
        pthread_mutex_destroy(&b->filter_lock);
        free(b->state_dir);
        free(b);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *run_dir(const char *state_dir, const char *name)
{
        return name ? xasprintf("%s/run/native/%s", state_dir, name)
                    : xasprintf("%s/run/native", state_dir);
}

/* Serialises create and destroy of one sandbox between processes (two CLIs, CLI and daemon):
 * flock on <state dir>/run/native/.<name>.lock, which outlives the run dir. Returns the fd. */
static int lock_sandbox(const char *state_dir, const char *name, int how, PcError *reterr)
{
        _cleanup_free_ char *base = run_dir(state_dir, NULL);
        int r = pc_mkdir_p(base, 0700);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot create '%s': %s", base, strerror(-r));
        _cleanup_free_ char *path = xasprintf("%s/.%s.lock", base, name);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return pc_error_set(reterr, -errno, "cannot open '%s': %s", path, strerror(errno));
        while (flock(fd, how) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        close(fd);
                        return pc_error_set(reterr, r, "cannot lock '%s': %s", path, strerror(-r));
                }
        return fd;
}

/* ---- pid 1 bookkeeping ----------------------------------------------------------------- */

/* The start time (field 22 of /proc/<pid>/stat) of pid, if its comm is comm (NULL: any). */
static int proc_starttime(pid_t pid, const char *comm, uint64_t *ret)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        char *open_p = strchr(buf, '('), *close_p = strrchr(buf, ')');
        if (!open_p || !close_p)
                return -EIO;
        if (comm && ((size_t) (close_p - open_p - 1) != strlen(comm) ||
                     strncmp(open_p + 1, comm, strlen(comm)) != 0))
                return -ESRCH;
        /* After ") ": field 3 is the state; starttime is field 22. */
        char *p = close_p + 2;
        if (*p == 'Z' || *p == 'X')
                return -ESRCH;
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return -EIO;
                p++;
        }
        *ret = strtoull(p, NULL, 10);
        return 0;
}

/* Is pid 1 of a sandbox pid, started at start_time, still our helper? */
static int helper_starttime(pid_t pid, uint64_t *ret)
{
        return proc_starttime(pid, PC_NATIVE_INIT_COMM, ret);
}

typedef struct State {
        pid_t pid;
        uint64_t start_time;
        char config_hash[PC_SHA256_HEX_SIZE];
        int64_t created_at_ms;
        char image[256];
        pid_t owner_pid; /* 0: no owner (made by the CLI) */
        uint64_t owner_start_time;
} State;

static int state_read(const char *dir, State *ret)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, PC_NATIVE_STATE_FILE);
        json_t *v = json_load_file(path, 0, NULL);
        if (!v)
                return access(path, F_OK) < 0 ? -ENOENT : -EBADMSG;
        memset(ret, 0, sizeof(*ret));
        ret->pid = (pid_t) json_integer_value(json_object_get(v, "pid"));
        ret->start_time = (uint64_t) json_integer_value(json_object_get(v, "startTime"));
        ret->created_at_ms = json_integer_value(json_object_get(v, "createdAtMs"));
        snprintf(ret->config_hash, sizeof(ret->config_hash), "%s",
                 json_string_value(json_object_get(v, "configHash")) ?: "");
        snprintf(ret->image, sizeof(ret->image), "%s",
                 json_string_value(json_object_get(v, "image")) ?: "");
        json_t *owner = json_object_get(v, "owner");
        ret->owner_pid = (pid_t) json_integer_value(json_object_get(owner, "pid"));
        ret->owner_start_time = (uint64_t) json_integer_value(json_object_get(owner, "startTime"));
        json_decref(v);
        return ret->pid > 0 ? 0 : -EBADMSG;
}

static int state_write(const char *dir, const State *s)
{
        json_t *v = json_pack("{s:I, s:I, s:s, s:I, s:s}", "pid", (json_int_t) s->pid, "startTime",
                              (json_int_t) s->start_time, "configHash", s->config_hash,
                              "createdAtMs", (json_int_t) s->created_at_ms, "image", s->image);
        if (s->owner_pid > 0)
                json_object_set_new(v, "owner",
                                    json_pack("{s:I, s:I}", "pid", (json_int_t) s->owner_pid,
                                              "startTime", (json_int_t) s->owner_start_time));
        _cleanup_free_ char *tmp = xasprintf("%s/%s.tmp", dir, PC_NATIVE_STATE_FILE);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, PC_NATIVE_STATE_FILE);
        int r = json_dump_file(v, tmp, JSON_COMPACT) < 0 ? -EIO : 0;
        json_decref(v);
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        return r;
}

/* Is the sandbox in dir running (its pid 1 alive, and really ours)? */
static bool state_alive(const State *s)
{
        uint64_t st;
        return helper_starttime(s->pid, &st) == 0 && st == s->start_time;
}

/* Was the sandbox made by an owner process (the gateway) that is gone now? */
static bool state_orphaned(const State *s)
{
        uint64_t st;
        return s->owner_pid > 0 &&
               !(proc_starttime(s->owner_pid, NULL, &st) == 0 && st == s->owner_start_time);
}

/* Is it owned by this process? */
static bool state_ours(const State *s)
{
        uint64_t st;
        return s->owner_pid == getpid() && proc_starttime(getpid(), NULL, &st) == 0 &&
               st == s->owner_start_time;
}

/* Kills the sandbox's pid 1 (and with it the pid namespace) and waits for it to go. */
static void kill_helper(const State *s)
{
        if (!state_alive(s))
                return;
        int pidfd = (int) syscall(SYS_pidfd_open, s->pid, 0);
        (void) kill(s->pid, SIGKILL);
        if (pidfd >= 0) {
                struct pollfd p = {.fd = pidfd, .events = POLLIN};
                (void) poll(&p, 1, 5000);
                close(pidfd);
        }
}

/* Removes everything of sandbox name: pid 1, cgroups, run dir. 0 when nothing was there. */
static int teardown(const char *state_dir, const char *name, PcError *reterr)
{
        _cleanup_free_ char *dir = run_dir(state_dir, name);
        State s;
        if (state_read(dir, &s) == 0)
                kill_helper(&s);
        PcCgroup *cg = NULL;
        int r = pc_cgroup_open(name, &cg, NULL);
        if (r == 0) {
                r = pc_cgroup_destroy(cg, reterr);
                pc_cgroup_free(cg);
                if (r < 0)
                        return pc_error_prefix(reterr, "removing the cgroups");
        }
        r = pc_rm_rf(dir);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot remove '%s': %s", dir, strerror(-r));
        return 0;
}

/* ---- what this process knows of a running sandbox ---------------------------------------- */

/* sb->data: the last inspect's answer for a running sandbox, with a pidfd of its pid 1. While
 * that process lives the answer stands: state.json is only written when pid 1 is started, and
 * every way of removing or replacing the sandbox (destroy here or in another process, a crash)
 * ends that process. One poll() instead of a lock, state.json and /proc per tool call. */
typedef struct Live {
        int pidfd;
        PcSandboxInfo info;
} Live;

static void live_forget(PcSandbox *sb)
{
        Live *l = sb->data;
        if (!l)
                return;
        close(l->pidfd);
        free(l);
        sb->data = NULL;
}

static bool live_lookup(PcSandbox *sb, PcSandboxInfo *ret)
{
        Live *l = sb->data;
        if (!l)
                return false;
        struct pollfd p = {.fd = l->pidfd, .events = POLLIN};
        if (poll(&p, 1, 0) != 0) { /* exited (readable), or cannot tell */
                live_forget(sb);
                return false;
        }
        *ret = l->info;
        return true;
}

static void live_remember(PcSandbox *sb, const State *s, const PcSandboxInfo *info)
{
        live_forget(sb);
        int fd = (int) syscall(SYS_pidfd_open, s->pid, 0);
        if (fd < 0)
                return;
        /* The pidfd names whatever process has the pid now: still the helper of s? */
        uint64_t st;
        if (helper_starttime(s->pid, &st) < 0 || st != s->start_time) {
                close(fd);
                return;
        }
        Live *l = xcalloc(1, sizeof(*l));
        l->pidfd = fd;
        l->info = *info;
        sb->data = l;
}

/* ---- the user ---------------------------------------------------------------------------- */

/* Looks name (or a numeric id) up in the image's passwd or group file: the id (field 3), and
 * for passwd the primary gid (field 4) and the home (field 6). */
static int lookup(const char *rootfs, const char *file, const char *name, uint32_t *ret_id,
                  uint32_t *ret_gid, char **ret_home)
{
        _cleanup_free_ char *path = xasprintf("%s/etc/%s", rootfs, file);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -ENOENT;
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                char *fields[7] = {};
                char *p = line;
                for (int i = 0; i < 7; i++) {
                        fields[i] = p;
                        p = strchr(p, ':');
                        if (!p)
                                break;
                        *p++ = '\0';
                }
                if (!fields[2])
                        continue;
                unsigned long id = strtoul(fields[2], NULL, 10);
                bool match = streq(fields[0], name);
                if (!match) {
                        char *e2;
                        unsigned long want = strtoul(name, &e2, 10);
                        match = *name && !*e2 && want == id;
                }
                if (!match)
                        continue;
                *ret_id = (uint32_t) id;
                if (ret_gid)
                        *ret_gid = fields[3] ? (uint32_t) strtoul(fields[3], NULL, 10) : 0;
                if (ret_home)
                        *ret_home = xstrdup(fields[5] && *fields[5] ? fields[5] : "/");
                return 0;
        }
        return -ESRCH;
}

static bool numeric(const char *s, uint32_t *ret)
{
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!*s || *end || errno || v > UINT32_MAX - 1)
                return false;
        *ret = (uint32_t) v;
        return true;
}

/* docker.user "uid[:gid]" or "name[:group]": numbers are taken as they are; names are looked
 * up in the image (a name that is not there is an error, as with Docker). */
static int resolve_user(const char *rootfs, const char *user, uid_t *ret_uid, gid_t *ret_gid,
                        char **ret_home, PcError *reterr)
{
        if (!user || !*user) {
                *ret_uid = 0;
                *ret_gid = 0;
                *ret_home = xstrdup("/root");
                return 0;
        }
        _cleanup_free_ char *u = xstrdup(user);
        char *g = strchr(u, ':');
        if (g)
                *g++ = '\0';
        uint32_t uid = 0, gid = 0, pgid = 0;
        char *home = NULL;
        if (lookup(rootfs, "passwd", u, &uid, &pgid, &home) < 0) {
                if (!numeric(u, &uid))
                        return pc_error_set(reterr, -ESRCH,
                                            "user '%s' is not in the image's /etc/passwd. Hint: "
                                            "use a numeric \"uid:gid\" in sandbox.docker.user",
                                            u);
                pgid = uid;
        }
        gid = pgid;
        if (g && lookup(rootfs, "group", g, &gid, NULL, NULL) < 0 && !numeric(g, &gid)) {
                free(home);
                return pc_error_set(reterr, -ESRCH, "group '%s' is not in the image's /etc/group",
                                    g);
        }
        *ret_uid = uid;
        *ret_gid = gid;
        *ret_home = home ? home : xstrdup("/");
        return 0;
}

/* ---- ops ----------------------------------------------------------------------------------- */

/* Is AppArmor enforcing on this host? (The module is loaded and enabled, and its
 * filesystem is there, as apparmor_parser and Docker check.) */
static bool apparmor_active(void)
{
        char v[4] = {};
        _cleanup_close_ int fd =
                open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, v, sizeof(v) - 1) <= 0 || v[0] != 'Y')
                return false;
        return access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static int check_supported(const PcSandboxSpec *spec, PcError *reterr)
{
        if (spec->apparmor_profile && !apparmor_active())
                return pc_error_set_kind(
                        reterr, PC_ERROR_INVALID_ARGUMENT, -EOPNOTSUPP,
                        "sandbox.docker.apparmorProfile is '%s', but AppArmor is not active on "
                        "this host (/sys/module/apparmor/parameters/enabled is absent or not "
                        "'Y'), so the native backend cannot confine the sandbox with it. Hint: "
                        "remove apparmorProfile from the sandbox.docker settings (agents.defaults "
                        "or the agent's), or run on a host with AppArmor enabled and the profile "
                        "loaded",
                        spec->apparmor_profile);
        if (spec->userns) {
                int r = pc__native_userns_check_host(reterr);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_file(const char *dir, const char *name, const char *content)
{
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd =
                open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        size_t n = strlen(content);
        if (write(fd, content, n) != (ssize_t) n)
                return -EIO;
        return 0;
}

static int default_filter(PcNativeBackend *b, const PcSeccompFilter **ret, PcError *reterr)
{
        int r = 0;
        pthread_mutex_lock(&b->filter_lock);
        if (!b->default_filter)
                r = pc_seccomp_filter_new(NULL, &b->default_filter, reterr);
        *ret = b->default_filter;
        pthread_mutex_unlock(&b->filter_lock);
        return r;
}

static int native_create(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr)
{
        PcNativeBackend *b = sb->backend;
        _cleanup_(pc_cgroup_freep) PcCgroup *cg = NULL; /* before any goto fail */
        _cleanup_(pc_cgroup_join_close) PcCgroupJoin join = PC_CGROUP_JOIN_INIT;
        live_forget(sb);
        if (!pc_cgroup_name_valid(spec->name))
                return pc_error_set(reterr, -EINVAL, "invalid sandbox name '%s'", spec->name);
        int r = check_supported(spec, reterr);
        if (r < 0)
                return r;
        _cleanup_(pc_native_plan_freep) PcNativePlan *plan = NULL;
        r = pc_native_plan_build(spec, &plan, reterr);
        if (r < 0)
                return r;

        _cleanup_close_ int lock = lock_sandbox(b->state_dir, spec->name, LOCK_EX, reterr);
        if (lock < 0)
                return lock;
        _cleanup_free_ char *dir = run_dir(b->state_dir, spec->name);
        State old;
        if (state_read(dir, &old) == 0 && state_alive(&old)) {
                /* Another process created exactly this sandbox while we waited for the lock
                 * (two first uses at once): it is what the spec asks for, so use it. */
                if (streq(old.config_hash, spec->config_hash))
                        return 0;
                return pc_error_set_kind(reterr, PC_ERROR_CONFLICT, -EEXIST,
                                         "a native sandbox named '%s' is running", spec->name);
        }
        r = teardown(b->state_dir, spec->name, reterr); /* leftovers of a dead one */
        if (r < 0)
                return r;

        /* setupCommand and packages: a derived image, provisioned once and cached by hash. */
        _cleanup_free_ char *image = NULL;
        if (pc_sandbox_spec_needs_provisioning(spec)) {
                _cleanup_free_ char *script = pc_sandbox_spec_provision_script(spec);
                _cleanup_buf_ PcBuf output = PC_BUF_INIT;
                r = pc_image_provision(b->state_dir, spec->image, script, &output, &image, reterr);
                if (r < 0) {
                        (void) pc_error_prefix(reterr, "provisioning image for sandbox '%s'",
                                               spec->name);
                        return r;
                }
        } else
                image = xstrdup(spec->image);

        _cleanup_free_ char *rootfs = NULL;
        r = pc_image_path(b->state_dir, image, &rootfs, reterr);
        if (r < 0)
                return r;
        uid_t uid = 0;
        gid_t gid = 0;
        _cleanup_free_ char *home = NULL;
        r = resolve_user(rootfs, plan->user, &uid, &gid, &home, reterr);
        if (r < 0)
                return r;
        if (spec->userns && (uid >= PC_NATIVE_USERNS_COUNT || gid >= PC_NATIVE_USERNS_COUNT))
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -ERANGE,
                                         "sandbox.docker.user '%s' is uid %u, gid %u, outside "
                                         "the ids 0-%" PRIu32 " the user namespace of "
                                         "sandbox.native.userns maps. Hint: use a smaller id, "
                                         "or set sandbox.native.userns to false",
                                         plan->user, (unsigned) uid, (unsigned) gid,
                                         PC_NATIVE_USERNS_COUNT - 1);

        /* Docker creates a missing bind source as a directory; so do we. */
        for (size_t i = 0; i < plan->n_mounts; i++)
                if (plan->mounts[i].type == PC_NATIVE_MOUNT_BIND &&
                    access(plan->mounts[i].source, F_OK) < 0) {
                        r = pc_mkdir_p(plan->mounts[i].source, 0755);
                        if (r < 0)
                                return pc_error_set(reterr, r, "cannot create bind source '%s': %s",
                                                    plan->mounts[i].source, strerror(-r));
                }

        _cleanup_(pc_seccomp_filter_freep) PcSeccompFilter *own_filter = NULL;
        const PcSeccompFilter *filter = NULL;
        if (plan->seccomp_profile) {
                /* A file: read and compiled for each sandbox, so an edit applies to the next. */
                r = pc_seccomp_filter_new(plan->seccomp_profile, &own_filter, reterr);
                filter = own_filter;
        } else
                r = default_filter(b, &filter, reterr);
        if (r < 0)
                return r;

        r = pc_mkdir_p(dir, 0700);
        if (r < 0)
                return pc_error_set(reterr, r, "cannot create '%s': %s", dir, strerror(-r));
        /* Mount points (only ever mounted inside the sandbox) and the overlay's layers. */
        static const char *const subdirs[] = {"root", "lower", "scratch", "upper", "work"};
        for (size_t i = 0; i < ELEMENTSOF(subdirs) && r >= 0; i++) {
                if (i >= 3 && plan->read_only_root)
                        break;
                _cleanup_free_ char *sub = xasprintf("%s/%s", dir, subdirs[i]);
                r = RET_NERRNO(mkdir(sub, i == 4 ? 0700 : 0755));
        }
        /* With a user namespace, pid 1 (the namespace's root, host id PC_NATIVE_USERNS_BASE)
         * has no rights on host-owned files: it may enter the run dir (group), and the
         * overlay's upper and work dirs are its own (it writes them as the overlay's mounter). */
        if (r >= 0 && spec->userns) {
                r = RET_NERRNO(chown(dir, 0, PC_NATIVE_USERNS_BASE));
                if (r >= 0)
                        r = RET_NERRNO(chmod(dir, 0710));
                for (size_t i = 3; i < ELEMENTSOF(subdirs) && r >= 0 && !plan->read_only_root;
                     i++) {
                        _cleanup_free_ char *sub = xasprintf("%s/%s", dir, subdirs[i]);
                        r = RET_NERRNO(chown(sub, PC_NATIVE_USERNS_BASE, PC_NATIVE_USERNS_BASE));
                }
        }
        if (r >= 0 && plan->resolv_conf)
                r = write_file(dir, "resolv.conf", plan->resolv_conf);
        if (r >= 0)
                r = write_file(dir, "hosts", plan->hosts);
        if (r >= 0) {
                _cleanup_free_ char *hn = xasprintf("%s\n", plan->hostname);
                r = write_file(dir, "hostname", hn);
        }
        if (r < 0) {
                pc_error_set(reterr, r, "cannot prepare '%s': %s", dir, strerror(-r));
                goto fail;
        }

        PcCgroupLimits lim = {.memory_bytes = plan->memory_bytes,
                              .memory_swap_bytes = plan->memory_swap_bytes,
                              .pids_max = plan->pids_max,
                              .cpus = plan->cpus};
        r = pc_cgroup_create(spec->name, &lim, &cg, reterr);
        if (r >= 0)
                r = pc_cgroup_join_open(cg, &join, reterr);
        if (r < 0)
                goto fail;

        PcNativeInit init = {.plan = plan,
                             .rootfs = rootfs,
                             .run_dir = dir,
                             .uid = uid,
                             .gid = gid,
                             .home = home,
                             .filter = filter,
                             /* the built-in profile allows what pid 1 itself does */
                             .filter_in_init = !plan->seccomp_profile};
        State s = {.created_at_ms = now_ms()};
        r = pc__native_spawn(&init, &join, &s.pid, reterr);
        pc_cgroup_join_close(&join);
        if (r < 0)
                goto fail;
        r = helper_starttime(s.pid, &s.start_time);
        if (r >= 0) {
                snprintf(s.config_hash, sizeof(s.config_hash), "%s", spec->config_hash);
                snprintf(s.image, sizeof(s.image), "%s", spec->image);
                if (owner_process) {
                        s.owner_pid = getpid();
                        r = proc_starttime(s.owner_pid, NULL, &s.owner_start_time);
                }
                if (r >= 0)
                        r = state_write(dir, &s);
        }
        if (r < 0) {
                (void) kill(s.pid, SIGKILL);
                pc_error_set(reterr, r, "recording the sandbox in '%s': %s", dir, strerror(-r));
                goto fail;
        }
        return 0;
fail:;
        PcError ignored = PC_ERROR_INIT;
        (void) teardown(b->state_dir, spec->name, &ignored);
        return r;
}

static int native_exec(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret, PcError *reterr)
{
        PcNativeBackend *b = sb->backend;
        _cleanup_free_ char *dir = run_dir(b->state_dir, sb->name);
        _cleanup_close_ int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                         "no native sandbox '%s'", sb->name);
        return pc__native_control_exec(dfd, req, ret, reterr);
}

static int native_destroy(PcSandbox *sb, PcError *reterr)
{
        PcNativeBackend *b = sb->backend;
        live_forget(sb);
        if (!pc_cgroup_name_valid(sb->name))
                return pc_error_set(reterr, -EINVAL, "invalid sandbox name '%s'", sb->name);
        _cleanup_close_ int lock = lock_sandbox(b->state_dir, sb->name, LOCK_EX, reterr);
        if (lock < 0)
                return lock;
        return teardown(b->state_dir, sb->name, reterr);
}

static int native_inspect(PcSandbox *sb, PcSandboxInfo *ret, PcError *reterr)
{
        PcNativeBackend *b = sb->backend;
        memset(ret, 0, sizeof(*ret));
        if (!pc_cgroup_name_valid(sb->name)) {
                ret->state = PC_SANDBOX_STATE_MISSING;
                return 0;
        }
        if (live_lookup(sb, ret))
                return 0;
        /* Shared: waits for a create or destroy in another process to finish, so two first
         * uses at once see one sandbox (the second one reuses it). */
        _cleanup_close_ int lock = lock_sandbox(b->state_dir, sb->name, LOCK_SH, NULL);
        (void) lock; /* held until return */
        _cleanup_free_ char *dir = run_dir(b->state_dir, sb->name);
        State s;
        int r = state_read(dir, &s);
        if (r < 0) {
                ret->state = access(dir, F_OK) == 0 ? PC_SANDBOX_STATE_STOPPED
                                                    : PC_SANDBOX_STATE_MISSING;
                return 0;
        }
        ret->state = state_alive(&s) ? PC_SANDBOX_STATE_RUNNING : PC_SANDBOX_STATE_STOPPED;
        memcpy(ret->config_hash, s.config_hash, sizeof(ret->config_hash));
        ret->created_at_ms = s.created_at_ms;
        memcpy(ret->image, s.image, sizeof(ret->image));
        if (ret->state == PC_SANDBOX_STATE_RUNNING)
                live_remember(sb, &s, ret);
        return 0;
}

static int native_stats(PcSandbox *sb, PcSandboxStats *ret, PcError *reterr)
{
        PcNativeBackend *b = sb->backend;
        _cleanup_free_ char *dir = run_dir(b->state_dir, sb->name);
        State s;
        if (state_read(dir, &s) < 0 || !state_alive(&s))
                return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                         "native sandbox '%s' is not running", sb->name);
        _cleanup_(pc_cgroup_freep) PcCgroup *cg = NULL;
        int r = pc_cgroup_open(sb->name, &cg, reterr);
        if (r < 0)
                return r;
        uint64_t mem = 0, lim = 0, cpu = 0;
        uint32_t pids = 0;
        r = pc_cgroup_stats(cg, &mem, &lim, &cpu, &pids);
        if (r < 0)
                return pc_error_set(reterr, r, "reading the cgroups: %s", strerror(-r));
        *ret = (PcSandboxStats){.cpu_usec = cpu,
                                .memory_bytes = mem,
                                .memory_limit_bytes = lim == UINT64_MAX ? 0 : lim,
                                .pids = pids};
        return 0;
}

const PcSandboxOps pc_native_sandbox_ops = {
        .name = "native",
        .create = native_create,
        .exec = native_exec,
        .destroy = native_destroy,
        .inspect = native_inspect,
        .stats = native_stats,
        .release = live_forget,
};

int pc_native_cleanup_stale(const char *state_dir, PcError *reterr)
{
        _cleanup_free_ char *base = run_dir(state_dir, NULL);
        DIR *d = opendir(base);
        int removed = 0;
        char **live = NULL;
        size_t n_live = 0, alloc = 0;
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *dir = run_dir(state_dir, de->d_name);
                        /* Locked: someone is creating or destroying it right now. */
                        _cleanup_free_ char *lp = xasprintf("%s/.%s.lock", base, de->d_name);
                        _cleanup_close_ int lfd =
                                open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                        if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0)
                                continue;
                        State s;
                        if (state_read(dir, &s) == 0 && state_alive(&s) && !state_orphaned(&s)) {
                                live = xgrow(live, &alloc, n_live + 1, sizeof(char *));
                                live[n_live++] = xstrdup(de->d_name);
                                continue;
                        }
                        if (teardown(state_dir, de->d_name, reterr) < 0)
                                continue;
                        removed++;
                }
                closedir(d);
        }
        /* Groups whose run dir is already gone (a crash between the two removals). cgroups
         * are global: only names this state dir has a lock file for are ours, and only while
         * nobody holds that lock and no process is left in them. */
        char **names = NULL;
        if (pc_cgroup_list_stale(&names) >= 0) {
                for (char **n = names; n && *n; n++) {
                        bool is_live = false;
                        for (size_t i = 0; i < n_live; i++)
                                is_live |= streq(live[i], *n);
                        _cleanup_free_ char *lp = xasprintf("%s/.%s.lock", base, *n);
                        _cleanup_close_ int lfd = open(lp, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
                        PcCgroup *cg = NULL;
                        if (is_live || lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) < 0 ||
                            pc_cgroup_open(*n, &cg, NULL) < 0)
                                continue;
                        uint32_t pids = 1;
                        if (pc_cgroup_stats(cg, NULL, NULL, NULL, &pids) >= 0 && pids == 0)
                                (void) pc_cgroup_destroy(cg, NULL);
                        pc_cgroup_free(cg);
                }
                pc_cgroup_names_free(names);
        }
        for (size_t i = 0; i < n_live; i++)
                free(live[i]);
        free(live);
        return removed;
}

/* At the owner's shutdown: every sandbox it made. */
static void teardown_owned(const char *state_dir)
{
        _cleanup_free_ char *base = run_dir(state_dir, NULL);
        DIR *d = opendir(base);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = run_dir(state_dir, de->d_name);
                State s;
                if (!pc_cgroup_name_valid(de->d_name) || state_read(dir, &s) < 0 || !state_ours(&s))
                        continue;
                PcError ignored = PC_ERROR_INIT;
                _cleanup_close_ int lock = lock_sandbox(state_dir, de->d_name, LOCK_EX, &ignored);
                if (lock >= 0)
                        (void) teardown(state_dir, de->d_name, &ignored);
        }
        if (d)
                closedir(d);
}

json_t *pc_native_explain(const char *state_dir, const PcSandboxSpec *spec)
{
        json_t *problems = json_array();
        PcError err = PC_ERROR_INIT;
        _cleanup_(pc_native_plan_freep) PcNativePlan *plan = NULL;
        json_t *out;
        if (pc_native_plan_build(spec, &plan, &err) < 0) {
                json_array_append_new(problems, json_string(err.msg));
                out = json_object();
        } else
                out = json_pack("{s:o}", "plan", pc_native_plan_to_json(plan));
        err = (PcError) PC_ERROR_INIT;
        if (check_supported(spec, &err) < 0)
                json_array_append_new(problems, json_string(err.msg));
        if (geteuid() != 0)
                json_array_append_new(problems,
                                      json_string("the native backend needs root (namespaces, "
                                                  "mounts, cgroups)"));
        _cleanup_free_ char *rootfs = NULL;
        err = (PcError) PC_ERROR_INIT;
        if (pc_image_path(state_dir, spec->image, &rootfs, &err) < 0)
                json_array_append_new(problems, json_string(err.msg));
        else
                json_object_set_new(out, "rootfs", json_string(rootfs));
        const char *mode = pc_cgroup_mode();
        json_object_set_new(out, "cgroupMode", json_string(mode));
        if (streq(mode, "none") &&
            (spec->memory_bytes || spec->pids_limit || spec->cpus > 0 || spec->memory_swap_bytes))
                json_array_append_new(problems,
                                      json_string("no cgroup filesystem is mounted: the memory, "
                                                  "pids and cpu limits cannot be applied"));
        PcSeccompFilter *f = NULL;
        err = (PcError) PC_ERROR_INIT;
        if (pc_seccomp_filter_new(spec->seccomp_profile, &f, &err) < 0)
                json_array_append_new(problems, json_string(err.msg));
        else {
                PcBuf sum = PC_BUF_INIT;
                (void) pc_seccomp_summary(f, &sum);
                json_t *lines = json_array();
                char *save = NULL;
                for (char *l = strtok_r(sum.buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                        json_array_append_new(lines, json_string(l));
                json_object_set_new(out, "seccomp", lines);
                pc_buf_release(&sum);
                pc_seccomp_filter_free(f);
        }
        json_object_set_new(out, "problems", problems);
        return out;
}
