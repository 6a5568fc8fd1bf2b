/* SPDX-License-Identifier: MIT */
/*
 * The sandbox probe: a static binary run INSIDE a sandbox that reports, as one JSON object on
 * stdout, what the sandbox looks like from there. Tests assert on this, never on what our own
 * configuration claims. No dependencies beyond libc, so it runs in any image.
 *
 *   probe                 everything below
 *   probe fork-bomb N     tries to start N processes; reports how many it got
 *   probe alloc MIB       touches MIB mebibytes; only returns if the limit allows it
 *   probe write PATH      tries to create PATH; reports errno
 *   probe connect IP PORT tries a TCP connection to IP:PORT; reports errno
 *   probe ids             reports uid, euid, gid, egid (run as a setuid copy: no_new_privs)
 *   probe escapes [PORT]  tries each way out of a sandbox (mount, unshare, setns, ptrace of
 *                         pid 1, kexec, modules, bpf, keyctl, mknod, raising an rlimit,
 *                         writing /proc/sys, connecting to 127.0.0.1:PORT, ...); reports the
 *                         errno of each (0 = it worked, which a sandbox must never allow)
 *   probe compat32        the same for a few syscalls made through the 32-bit compat entry
 *                         (int $0x80, x86_64 only): getpid, ptrace, unshare, mount,
 *                         io_uring_setup; {"supported":false} elsewhere
 */
#define _GNU_SOURCE /* unshare, setns */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static void json_str(const char *s)
{
        putchar('"');
        for (; s && *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c == '"' || c == '\\')
                        printf("\\%c", c);
                else if (c < 0x20)
                        printf("\\u%04x", c);
                else
                        putchar(c);
        }
        putchar('"');
}

/* The value of "Key:" in /proc/self/status, trimmed; NULL if absent. */
static char *status_field(const char *key, char *buf, size_t n)
{
        FILE *f = fopen("/proc/self/status", "re");
        if (!f)
                return NULL;
        char line[512];
        char *res = NULL;
        size_t kl = strlen(key);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
                        char *v = line + kl + 1;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        v[strcspn(v, "\n")] = '\0';
                        snprintf(buf, n, "%s", v);
                        res = buf;
                        break;
                }
        fclose(f);
        return res;
}

static void field_str(const char *name, const char *value, int *first)
{
        printf("%s\"%s\":", *first ? "" : ",", name);
        *first = 0;
        if (value)
                json_str(value);
        else
                printf("null");
}

static void field_file(const char *name, const char *path, int *first)
{
        char buf[8192];
        FILE *f = fopen(path, "re");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
                fclose(f);
        buf[n] = '\0';
        field_str(name, f ? buf : NULL, first);
}

static void field_limit(const char *name, int resource, int *first)
{
        struct rlimit rl;
        getrlimit(resource, &rl);
        printf("%s\"%s\":[%lld,%lld]", *first ? "" : ",", name,
               rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long) rl.rlim_cur,
               rl.rlim_max == RLIM_INFINITY ? -1LL : (long long) rl.rlim_max);
        *first = 0;
}

static int write_errno(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return errno;
        (void) write(fd, "probe\n", 6);
        close(fd);
        return 0;
}

static void report(void)
{
        int first = 1;
        char buf[512], cwd[4096];
        printf("{");
        printf("\"uid\":%d,\"gid\":%d,\"euid\":%d", (int) getuid(), (int) getgid(),
               (int) geteuid());
        first = 0;
        gid_t groups[64];
        int ng = getgroups(64, groups);
        printf(",\"groups\":[");
        for (int i = 0; i < ng; i++)
                printf("%s%d", i ? "," : "", (int) groups[i]);
        printf("]");
        static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
                field_str(caps[i], status_field(caps[i], buf, sizeof(buf)), &first);
        field_str("NoNewPrivs", status_field("NoNewPrivs", buf, sizeof(buf)), &first);
        field_str("Seccomp", status_field("Seccomp", buf, sizeof(buf)), &first);
        gethostname(buf, sizeof(buf));
        field_str("hostname", buf, &first);
        field_str("cwd", getcwd(cwd, sizeof(cwd)), &first);
        field_file("mountinfo", "/proc/self/mountinfo", &first);
        field_file("netdev", "/proc/net/dev", &first);
        field_file("resolv", "/etc/resolv.conf", &first);
        field_file("hosts", "/etc/hosts", &first);
        field_file("cgroup", "/proc/self/cgroup", &first);
        field_file("uidMap", "/proc/self/uid_map", &first);
        field_file("gidMap", "/proc/self/gid_map", &first);
        field_limit("nofile", RLIMIT_NOFILE, &first);
        field_limit("nproc", RLIMIT_NPROC, &first);
        printf(",\"rootWriteErrno\":%d", write_errno("/probe-root-write"));
        printf(",\"tmpWriteErrno\":%d", write_errno("/tmp/probe-tmp-write"));
        printf(",\"cwdWriteErrno\":%d", write_errno("probe-cwd-write"));
        extern char **environ;
        printf(",\"env\":{");
        for (char **e = environ; *e; e++) {
                char *eq = strchr(*e, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                printf("%s", e == environ ? "" : ",");
                json_str(*e);
                putchar(':');
                json_str(eq + 1);
                *eq = '=';
        }
        printf("}");
        /* Processes visible: a fresh pid namespace shows only the sandbox's own. */
        DIR *d = opendir("/proc");
        int procs = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                procs += de->d_name[0] >= '1' && de->d_name[0] <= '9';
        if (d)
                closedir(d);
        printf(",\"visibleProcesses\":%d", procs);
        printf("}\n");
}

static int fork_bomb(int n)
{
        int got = 0;
        for (int i = 0; i < n; i++) {
                pid_t p = fork();
                if (p < 0)
                        break;
                if (p == 0) {
                        pause();
                        _exit(0);
                }
                got++;
        }
        printf("{\"requested\":%d,\"started\":%d}\n", n, got);
        fflush(stdout);
        signal(SIGTERM, SIG_IGN);
        kill(0, SIGTERM);
        kill(0, SIGKILL);
        return 0;
}

static int alloc_mib(long mib)
{
        for (long i = 0; i < mib; i++) {
                char *p = malloc(1 << 20);
                if (!p) {
                        printf("{\"allocatedMiB\":%ld,\"failed\":true}\n", i);
                        return 1;
                }
                memset(p, 1, 1 << 20);
        }
        printf("{\"allocatedMiB\":%ld,\"failed\":false}\n", mib);
        return 0;
}

static int try_errno(long r)
{
        return r < 0 ? errno : 0;
}

static int try_connect(int port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return errno;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int r = try_errno(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
        close(fd);
        return r;
}

static int try_open(const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC);
        if (fd < 0)
                return errno;
        char c;
        int r = (flags & O_ACCMODE) == O_RDONLY ? try_errno(read(fd, &c, 1))
                                                : try_errno(write(fd, "x\n", 2));
        close(fd);
        return r;
}

/* PTRACE_ATTACH to pid 1; detached again at once if it worked, so the sandbox's init keeps
 * running (a tracer that exits leaves its tracee stopped). */
static int try_ptrace_pid1(void)
{
        if (ptrace(PTRACE_ATTACH, 1, NULL, NULL) < 0)
                return errno;
        (void) waitpid(1, NULL, __WALL);
        (void) ptrace(PTRACE_DETACH, 1, NULL, NULL);
        return 0;
}

/* A file descriptor from a syscall: closed again; 0 if it worked. */
static int try_fd(long r)
{
        if (r < 0)
                return errno;
        close((int) r);
        return 0;
}

/* Opens for writing without writing anything (a write to /proc/sysrq-trigger would act). */
static int try_open_nowrite(const char *path, int flags)
{
        int fd = open(path, flags | O_CLOEXEC);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

/* clone() with CLONE_NEWNS|CLONE_NEWUSER: the child exits at once. */
static int try_clone_newns(void)
{
        long r = syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0);
        if (r < 0)
                return errno;
        if (r == 0)
                _exit(0);
        waitpid((pid_t) r, NULL, 0);
        return 0;
}

static int connect_to(const char *ip, int port)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return errno;
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
        if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
                close(fd);
                return EINVAL;
        }
        struct timeval tv = {.tv_sec = 3};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int r = try_errno(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
        close(fd);
        return r;
}

static int escapes(int port)
{
        int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_max != RLIM_INFINITY)
                rl.rlim_max += 1;
        printf("{\"mount\":%d", try_errno(mount("tmpfs", "/tmp", "tmpfs", 0, NULL)));
        printf(",\"umount\":%d", try_errno(umount2("/proc", MNT_DETACH)));
        printf(",\"unshareUser\":%d", try_errno(unshare(CLONE_NEWUSER)));
        printf(",\"unshareMount\":%d", try_errno(unshare(CLONE_NEWNS)));
        printf(",\"setns\":%d", nsfd < 0 ? errno : try_errno(setns(nsfd, 0)));
        printf(",\"pivotRoot\":%d", try_errno(syscall(SYS_pivot_root, ".", ".")));
        printf(",\"chroot\":%d", try_errno(chroot("/tmp")));
        printf(",\"ptracePid1\":%d", try_ptrace_pid1());
        printf(",\"kexec\":%d", try_errno(syscall(SYS_kexec_load, 0, 0, NULL, 0)));
        printf(",\"initModule\":%d", try_errno(syscall(SYS_init_module, NULL, 0, "")));
        printf(",\"finitModule\":%d", try_errno(syscall(SYS_finit_module, 0, "", 0)));
        char attr[128] = {0};
        printf(",\"bpf\":%d", try_errno(syscall(SYS_bpf, 0, attr, sizeof(attr))));
        printf(",\"keyctl\":%d", try_errno(syscall(SYS_keyctl, 0, -3, 0)));
        printf(",\"mknod\":%d", try_errno(mknod("/tmp/probe-null", S_IFCHR | 0666, makedev(1, 3))));
        printf(",\"raiseRlimit\":%d", try_errno(setrlimit(RLIMIT_NOFILE, &rl)));
        printf(",\"procSysWrite\":%d", try_open("/proc/sys/kernel/hostname", O_WRONLY));
        printf(",\"sethostname\":%d", try_errno(sethostname("x", 1)));
        printf(",\"readShadow\":%d", try_open("/etc/shadow", O_RDONLY));
        printf(",\"pid1Root\":%d", try_open("/proc/1/root/etc/hostname", O_RDONLY));
        /* 1 when /proc/1/root is this sandbox's own root (pid 1 inside it, e.g. docker-init
         * running as the sandbox user): reading it then shows nothing new. */
        struct stat st_root, st_pid1;
        printf(",\"pid1RootIsOwnRoot\":%d",
               stat("/", &st_root) == 0 && stat("/proc/1/root/", &st_pid1) == 0 &&
                       st_root.st_dev == st_pid1.st_dev && st_root.st_ino == st_pid1.st_ino);
        printf(",\"unshareNet\":%d", try_errno(unshare(CLONE_NEWNET)));
        printf(",\"unsharePid\":%d", try_errno(unshare(CLONE_NEWPID)));
        printf(",\"cloneNewns\":%d", try_clone_newns());
        char perf[128] = {0};
        perf[4] = 112; /* struct perf_event_attr.size (PERF_ATTR_SIZE_VER0 is 64; any size) */
        printf(",\"perfEventOpen\":%d", try_fd(syscall(SYS_perf_event_open, perf, 0, -1, -1, 0)));
        printf(",\"userfaultfd\":%d", try_fd(syscall(SYS_userfaultfd, O_CLOEXEC)));
        char uring[120] = {0};
        printf(",\"ioUringSetup\":%d", try_fd(syscall(SYS_io_uring_setup, 4, uring)));
        char handle[136] = {0};
        handle[0] = 8;
        printf(",\"openByHandleAt\":%d",
               try_fd(syscall(SYS_open_by_handle_at, AT_FDCWD, handle, O_RDONLY)));
        printf(",\"setuidRoot\":%d", try_errno(setuid(0)));
        printf(",\"sysWrite\":%d",
               try_open("/sys/kernel/mm/transparent_hugepage/enabled", O_WRONLY));
        printf(",\"sysrqTrigger\":%d", try_open_nowrite("/proc/sysrq-trigger", O_WRONLY));
        printf(",\"kmsg\":%d", try_open("/dev/kmsg", O_RDONLY | O_NONBLOCK));
        printf(",\"mknodBlock\":%d",
               try_errno(mknod("/tmp/probe-sda", S_IFBLK | 0600, makedev(8, 0))));
        printf(",\"connectLoopback\":%d", port > 0 ? try_connect(port) : -1);
        printf("}\n");
        return 0;
}

#if defined(__x86_64__)
static long sys32(long nr, long a, long b, long c)
{
        long r;
        __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
        return r;
}

/* The i386 numbers: getpid 20, ptrace 26, mount 21, unshare 310, io_uring_setup 425. */
static int compat32(void)
{
        long pid = sys32(20, 0, 0, 0);
        if (pid <= 0) {
                printf("{\"supported\":false}\n");
                return 0;
        }
        printf("{\"supported\":true,\"ptracePid1\":%ld", -sys32(26, PTRACE_ATTACH, 1, 0));
        printf(",\"unshareMount\":%ld", -sys32(310, CLONE_NEWNS, 0, 0));
        printf(",\"mount\":%ld", -sys32(21, 0, 0, 0));
        printf(",\"ioUringSetup\":%ld}\n", -sys32(425, 4, 0, 0));
        return 0;
}
#else
static int compat32(void)
{
        printf("{\"supported\":false}\n");
        return 0;
}
#endif

int main(int argc, char **argv)
{
        if (argc >= 2 && strcmp(argv[1], "compat32") == 0)
                return compat32();
        if (argc >= 2 && strcmp(argv[1], "escapes") == 0)
                return escapes(argc >= 3 ? atoi(argv[2]) : 0);
        if (argc >= 3 && strcmp(argv[1], "fork-bomb") == 0)
                return fork_bomb(atoi(argv[2]));
        if (argc >= 3 && strcmp(argv[1], "alloc") == 0)
                return alloc_mib(atol(argv[2]));
        if (argc >= 4 && strcmp(argv[1], "connect") == 0) {
                printf("{\"errno\":%d}\n", connect_to(argv[2], atoi(argv[3])));
                return 0;
        }
        if (argc >= 2 && strcmp(argv[1], "ids") == 0) {
                printf("{\"uid\":%d,\"euid\":%d,\"gid\":%d,\"egid\":%d}\n", (int) getuid(),
                       (int) geteuid(), (int) getgid(), (int) getegid());
                return 0;
        }
        if (argc >= 3 && strcmp(argv[1], "write") == 0) {
                printf("{\"errno\":%d}\n", write_errno(argv[2]));
                return 0;
        }
        report();
        return 0;
}
