/* SPDX-License-Identifier: MIT */
/*
 * The filesystem of a native sandbox (design notes section 6, steps 2-7), in two halves.
 *
 * The creator, in the host's mount namespace, before the fork (pc__native_sources_open):
 * every host-side source (the image's root filesystem, the binds, the generated files) is
 * opened as a detached mount with open_tree(OPEN_TREE_CLONE), made private, given the plan's
 * flags and, with a user namespace, idmapped with it (MOUNT_ATTR_IDMAP; only a process
 * privileged in the host's namespace may do that, P4/P5). pid 1 inherits the fds.
 *
 * pid 1, in the new mount namespace (pc__native_setup_root): hostname; / rprivate; the image
 * moved to <run>/lower and an overlay at <run>/root (upper: the sandbox's dir, or a scratch
 * tmpfs with a read-only root), everything relative to the cwd, the run dir (with a user
 * namespace pid 1 may not be able to look the state dir's path up); the /dev nodes opened with
 * open_tree() BEFORE the pivot; pivot_root(".", ".") and detach the old root; then, inside the
 * new root only, /proc, /dev, the tmpfs mounts and the detached mounts moved onto their
 * targets, so every target path is resolved inside the sandbox's root (a symlink in the image
 * cannot point a mount at the host); finally the root is remounted read-only (nosuid, nodev).
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs-util.h"
#include "native-internal.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV  0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif

struct pc_mount_attr {
        uint64_t attr_set;
        uint64_t attr_clr;
        uint64_t propagation;
        uint64_t userns_fd;
};

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

#define FAIL(step, ...)                                                                            \
        ({                                                                                         \
                int _e_ = -errno;                                                                  \
                snprintf(msg, msg_size, step, ##__VA_ARGS__);                                      \
                _e_ ? _e_ : -EIO;                                                                  \
        })

static int open_tree_clone(const char *path)
{
        return (int) syscall(SYS_open_tree, AT_FDCWD, path,
                             OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
}

/* The same, refusing any symlink on the way (the path was resolved when it was checked). */
static int open_tree_nofollow(const char *path)
{
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
        int fd = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (fd < 0)
                return -1;
        int t = (int) syscall(SYS_open_tree, fd, "",
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
        int saved = errno;
        close(fd);
        errno = saved;
        return t;
}

/* The plan's flags, private propagation and, with userns_fd >= 0, the idmap. */
static int set_attr(int fd, unsigned flags, int userns_fd)
{
        struct pc_mount_attr a = {.propagation = MS_PRIVATE};
        if (userns_fd >= 0) {
                a.attr_set |= MOUNT_ATTR_IDMAP;
                a.userns_fd = (uint64_t) userns_fd;
        }
        if (flags & PC_NATIVE_MNT_RDONLY)
                a.attr_set |= MOUNT_ATTR_RDONLY;
        if (flags & PC_NATIVE_MNT_NOSUID)
                a.attr_set |= MOUNT_ATTR_NOSUID;
        if (flags & PC_NATIVE_MNT_NODEV)
                a.attr_set |= MOUNT_ATTR_NODEV;
        if (flags & PC_NATIVE_MNT_NOEXEC)
                a.attr_set |= MOUNT_ATTR_NOEXEC;
        return (int) syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
                             sizeof(a));
}

/* The mount point for a detached mount of type st_mode: a directory or an empty file. */
static int make_target(const char *target, bool dir)
{
        if (dir)
                return pc_mkdir_p(target, 0755);
        _cleanup_free_ char *parent = xstrdup(target);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                int r = pc_mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
        }
        /* A file target that is a symlink in the image (/etc/resolv.conf often is) is
         * replaced by a plain file: in the overlay's upper layer, never in the image. */
        struct stat st;
        if (lstat(target, &st) == 0 && S_ISLNK(st.st_mode) && unlink(target) < 0)
                return -errno;
        int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0644);
        if (fd < 0 && errno != EEXIST && errno != EISDIR)
                return -errno;
        if (fd >= 0)
                close(fd);
        return 0;
}

static int move_to(int fd, const char *target)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        int r = make_target(target, S_ISDIR(st.st_mode));
        if (r < 0)
                return r;
        if (syscall(SYS_move_mount, fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        return 0;
}

static int setup_dev(const int *dev_fds, char *msg, size_t msg_size)
{
        if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") < 0)
                return FAIL("mount tmpfs on /dev");
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                char path[32];
                snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
                int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
                if (fd < 0)
                        return FAIL("create %s", path);
                close(fd);
                if (syscall(SYS_move_mount, dev_fds[i], "", AT_FDCWD, path,
                            MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        return FAIL("bind %s", path);
        }
        static const struct {
                const char *link, *target;
        } links[] = {
                {"/dev/fd", "/proc/self/fd"},       {"/dev/stdin", "/proc/self/fd/0"},
                {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
                {"/dev/ptmx", "pts/ptmx"},
        };
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                if (symlink(links[i].target, links[i].link) < 0)
                        return FAIL("symlink %s", links[i].link);
        if (mkdir("/dev/shm", 01777) < 0 || mkdir("/dev/pts", 0755) < 0)
                return FAIL("mkdir in /dev");
        if (mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=1777,size=65536k") < 0)
                return FAIL("mount /dev/shm");
        /* A private pty instance (optional: a host without devpts support still works). */
        (void) mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620");
        if (mount(NULL, "/dev", NULL, MS_REMOUNT | MS_NOSUID | MS_NOEXEC | MS_RDONLY,
                  "mode=755,size=64k") < 0)
                return FAIL("remount /dev read-only");
        return 0;
}

/* Before the pivot (at <new root>/proc): in a user namespace the kernel only allows a new
 * proc mount while another one is fully visible in the mount namespace (P8). */
static int mount_proc(const char *target, char *msg, size_t msg_size)
{
        if (pc_mkdir_p(target, 0555) < 0 ||
            mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                return FAIL("mount /proc");
        return 0;
}

/* After the pivot: Docker's read-only /proc paths. */
static int setup_proc(char *msg, size_t msg_size)
{
        static const char *const ro[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq",
                                         "/proc/bus", "/proc/fs"};
        for (size_t i = 0; i < ELEMENTSOF(ro); i++) {
                if (access(ro[i], F_OK) < 0)
                        continue;
                if (mount(ro[i], ro[i], NULL, MS_BIND | MS_REC, NULL) < 0 ||
                    mount(NULL, ro[i], NULL,
                          MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          NULL) < 0)
                        return FAIL("make %s read-only", ro[i]);
        }
        return 0;
}

void pc__native_sources_close(PcNativeSources *s)
{
        if (s->run_dir_fd >= 0)
                close(s->run_dir_fd);
        if (s->lower_fd >= 0)
                close(s->lower_fd);
        for (size_t i = 0; i < s->n; i++)
                if (s->fds[i] >= 0)
                        close(s->fds[i]);
        free(s->fds);
        *s = (PcNativeSources){.run_dir_fd = -1, .lower_fd = -1};
}

static int source_fail(PcError *reterr, const char *what, const char *path, int userns_fd)
{
        int r = -errno;
        if (userns_fd >= 0 && r == -EINVAL)
                return pc_error_set(reterr, r,
                                    "cannot mount %s '%s' idmapped (sandbox.native.userns): its "
                                    "filesystem does not support idmapped mounts. Hint: keep it "
                                    "on ext4, xfs, btrfs or tmpfs, or set sandbox.native.userns "
                                    "to false",
                                    what, path);
        return pc_error_set(reterr, r, "cannot open %s '%s' for the sandbox: %s", what, path,
                            strerror(-r));
}

int pc__native_sources_open(const PcNativeInit *init, int userns_fd, PcNativeSources *ret,
                            PcError *reterr)
{
        const PcNativePlan *p = init->plan;
        _cleanup_(pc__native_sources_close) PcNativeSources s = {.run_dir_fd = -1, .lower_fd = -1};
        s.fds = xcalloc(p->n_mounts ? p->n_mounts : 1, sizeof(int));
        for (size_t i = 0; i < p->n_mounts; i++)
                s.fds[i] = -1;
        s.n = p->n_mounts;
        s.run_dir_fd = open(init->run_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (s.run_dir_fd < 0)
                return source_fail(reterr, "the run dir", init->run_dir, -1);
        s.lower_fd = open_tree_clone(init->rootfs);
        if (s.lower_fd < 0 || set_attr(s.lower_fd, 0, userns_fd) < 0)
                return source_fail(reterr, "the image", init->rootfs, userns_fd);
        for (size_t i = 0; i < p->n_mounts; i++) {
                const PcNativeMount *m = &p->mounts[i];
                if (m->type == PC_NATIVE_MOUNT_TMPFS)
                        continue;
                _cleanup_free_ char *src = m->type == PC_NATIVE_MOUNT_FILE
                                                   ? xasprintf("%s/%s", init->run_dir, m->source)
                                                   : xstrdup(m->source);
                s.fds[i] = m->no_symlinks ? open_tree_nofollow(src) : open_tree_clone(src);
                if (s.fds[i] < 0 || set_attr(s.fds[i], m->flags, userns_fd) < 0)
                        return source_fail(reterr, "the mount source", src, userns_fd);
        }
        *ret = s;
        s = (PcNativeSources){.run_dir_fd = -1, .lower_fd = -1};
        return 0;
}

int pc__native_setup_root(const PcNativeInit *init, const PcNativeSources *src, char *msg,
                          size_t msg_size)
{
        const PcNativePlan *p = init->plan;
        if (sethostname(p->hostname, strlen(p->hostname)) < 0)
                return FAIL("sethostname '%s'", p->hostname);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return FAIL("make / private");

        /* The root is always an overlay over the image (moved to <run>/lower, so the image's
         * path, which has a ':', never reaches the option string; relative paths from the
         * run dir, so neither does the state dir's). Its upper layer is the sandbox's own
         * directory when the root is writable; with a read-only root it is a small tmpfs that
         * only ever holds the mount points the image lacks, so the image is never changed. */
        /* The cwd is the run dir already: the middle process entered it before unsharing the
         * mount namespace, which moved it to the new namespace's copy. */
        if (syscall(SYS_move_mount, src->lower_fd, "", AT_FDCWD, "lower", MOVE_MOUNT_F_EMPTY_PATH) <
            0)
                return FAIL("mount the image '%s'", init->rootfs);
        const char *layer = ".";
        if (p->read_only_root) {
                layer = "scratch";
                if (mount("tmpfs", layer, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755") < 0 ||
                    mkdir("scratch/upper", 0755) < 0 || mkdir("scratch/work", 0700) < 0)
                        return FAIL("mount the scratch layer");
        }
        /* In a user namespace the kernel refuses trusted.* xattrs: overlay keeps its own in
         * user.* instead. */
        _cleanup_free_ char *opts =
                xasprintf("lowerdir=lower,upperdir=%s/upper,workdir=%s/work%s", layer, layer,
                          p->namespaces & PC_NATIVE_NS_USER ? ",userxattr" : "");
        if (mount("overlay", "root", "overlay", 0, opts) < 0)
                return FAIL("mount the overlay root");

        /* The /dev nodes, opened while the host's are still reachable. */
        int dev_fds[ELEMENTSOF(dev_nodes)];
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                char path[32];
                snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
                dev_fds[i] = open_tree_clone(path);
                if (dev_fds[i] < 0)
                        return FAIL("open %s", path);
        }
        const int *fds = src->fds;

        int r = mount_proc("root/proc", msg, msg_size);
        if (r < 0)
                return r;
        if (chdir("root") < 0)
                return FAIL("chdir to the new root");
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return FAIL("pivot_root");
        if (umount2(".", MNT_DETACH) < 0)
                return FAIL("detach the old root");
        if (chdir("/") < 0)
                return FAIL("chdir /");

        r = setup_proc(msg, msg_size);
        if (r < 0)
                return r;
        r = pc_mkdir_p("/dev", 0755);
        if (r < 0) {
                errno = -r;
                return FAIL("mkdir /dev");
        }
        r = setup_dev(dev_fds, msg, msg_size);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++)
                close(dev_fds[i]);

        for (size_t i = 0; i < p->n_mounts; i++) {
                const PcNativeMount *m = &p->mounts[i];
                if (m->type == PC_NATIVE_MOUNT_TMPFS) {
                        unsigned long fl = (m->flags & PC_NATIVE_MNT_RDONLY ? MS_RDONLY : 0) |
                                           (m->flags & PC_NATIVE_MNT_NOSUID ? MS_NOSUID : 0) |
                                           (m->flags & PC_NATIVE_MNT_NODEV ? MS_NODEV : 0) |
                                           (m->flags & PC_NATIVE_MNT_NOEXEC ? MS_NOEXEC : 0);
                        r = pc_mkdir_p(m->target, 0755);
                        if (r < 0) {
                                errno = -r;
                                return FAIL("mkdir '%s'", m->target);
                        }
                        if (mount("tmpfs", m->target, "tmpfs", fl, m->data) < 0)
                                return FAIL("mount tmpfs on '%s'", m->target);
                        continue;
                }
                r = move_to(fds[i], m->target);
                if (r < 0) {
                        errno = -r;
                        return FAIL("mount '%s' on '%s'", m->source, m->target);
                }
        }

        unsigned long fl =
                MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (p->read_only_root ? MS_RDONLY : 0);
        if (mount(NULL, "/", NULL, fl, NULL) < 0)
                return FAIL("remount the root%s", p->read_only_root ? " read-only" : "");
        return 0;
}

int pc__native_loopback_up(void)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        struct ifreq ifr = {};
        strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return -errno;
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return -errno;
        return 0;
}
