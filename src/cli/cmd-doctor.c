/* SPDX-License-Identifier: MIT */
/*
 * pincer doctor: checks the installation and says, for each problem, the command that fixes it
 * (docs/install.md "pincer doctor"). Read-only: it creates nothing, not even the state dir.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "cli.h"
#include "config/config.h"
#include "sandbox/docker/backend.h"
#include "sandbox/native/cgroup.h"
#include "sandbox/native/images.h"
#include "sandbox/native/native.h"
#include "sandbox/sandbox.h"

#ifndef PINCER_DATADIR
#define PINCER_DATADIR "/usr/local/share/pincer"
#endif

#define DISK_WARN_BYTES (2ull * 1024 * 1024 * 1024) /* below this much free space: a warning */
#define DISK_FAIL_BYTES (256ull * 1024 * 1024)      /* and below this, a failure */

static const char usage[] =
        "Usage: pincer doctor [--json] [--config FILE]\n"
        "\n"
        "Checks the installation: the state dir's permissions, the configuration, each agent's\n"
        "sandbox backend and image, the Docker engine and its API version, cgroups, user\n"
        "namespaces, seccomp, AppArmor and disk space. Each problem comes with the command\n"
        "that fixes it. Creates nothing.\n"
        "\n"
        "  --json         the checks as JSON: {ok, checks: [{check, status, message, fix}]}\n"
        "  --config FILE  the config file (else $PINCER_CONFIG, <state dir>/pincer.json5)\n"
        "\n"
        "Exit status: 0 nothing failed (warnings allowed), 1 a check failed, 2 usage.\n";

typedef enum Status { ST_OK, ST_INFO, ST_WARN, ST_FAIL } Status;
static const char *const status_name[] = {"ok", "info", "warn", "fail"};

typedef struct Doctor {
        json_t *checks;
        bool failed;
        PcEngine *engine; /* opened on first use */
        bool engine_tried;
        bool docker_used; /* an agent uses the docker backend */
        char engine_error[PC_ERROR_MSG_MAX];
} Doctor;

static void add(Doctor *d, const char *check, Status st, const char *fix, const char *fmt, ...)
        _printf_(5, 6);
static void add(Doctor *d, const char *check, Status st, const char *fix, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        _cleanup_buf_ PcBuf b = PC_BUF_INIT;
        pc_buf_vaddf(&b, fmt, ap);
        va_end(ap);
        json_array_append_new(d->checks, json_pack("{s:s,s:s,s:s,s:s?}", "check", check, "status",
                                                   status_name[st], "message", b.buf ? b.buf : "",
                                                   "fix", fix));
        if (st == ST_FAIL)
                d->failed = true;
}

static PcEngine *engine(Doctor *d)
{
        if (!d->engine_tried) {
                d->engine_tried = true;
                PcError err = PC_ERROR_INIT;
                if (pc_engine_open(NULL, &d->engine, &err) < 0)
                        snprintf(d->engine_error, sizeof(d->engine_error), "%s", err.msg);
        }
        return d->engine;
}

static const char *docker_start_fix(void)
{
        return access("/run/systemd/system", F_OK) == 0
                       ? "systemctl start docker (or point DOCKER_HOST at the engine's socket)"
                       : "scripts/docker-env.sh (or point DOCKER_HOST at the engine's socket)";
}

static void check_state_dir(Doctor *d, const char *dir)
{
        struct stat st;
        if (stat(dir, &st) < 0) {
                _cleanup_free_ char *fix =
                        xasprintf("install -d -m 0700 %s && pincer onboard", dir);
                add(d, "stateDir", ST_FAIL, fix, "state dir %s: %s", dir, strerror(errno));
                return;
        }
        if (!S_ISDIR(st.st_mode)) {
                add(d, "stateDir", ST_FAIL, "set PINCER_STATE_DIR to a directory",
                    "state dir %s is not a directory", dir);
                return;
        }
        if (st.st_mode & 077) {
                _cleanup_free_ char *fix = xasprintf("chmod 0700 %s", dir);
                add(d, "stateDir", ST_FAIL, fix,
                    "state dir %s has mode %04o: others can read tokens and sandboxes in it", dir,
                    st.st_mode & 07777);
                return;
        }
        if (st.st_uid != geteuid()) {
                _cleanup_free_ char *fix =
                        xasprintf("chown -R %u %s (or run as uid %u)", geteuid(), dir, st.st_uid);
                add(d, "stateDir", ST_WARN, fix, "state dir %s is owned by uid %u, not by uid %u",
                    dir, st.st_uid, geteuid());
                return;
        }
        add(d, "stateDir", ST_OK, NULL, "state dir %s (0700, owned by uid %u)", dir, st.st_uid);
}

static void check_disk(Doctor *d, const char *dir)
{
        struct statvfs vfs;
        if (statvfs(dir, &vfs) < 0)
                return; /* the state dir check said why */
        unsigned long long avail = (unsigned long long) vfs.f_bavail * vfs.f_frsize;
        Status st = avail < DISK_FAIL_BYTES ? ST_FAIL : avail < DISK_WARN_BYTES ? ST_WARN : ST_OK;
        add(d, "diskSpace", st,
            st == ST_OK ? NULL
                        : "free space there: pincer image rm NAME, pincer sandbox prune, docker "
                          "system prune",
            "%.1f GiB free in %s", (double) avail / (1024.0 * 1024 * 1024), dir);
}

static void check_agent(Doctor *d, const PcConfig *cfg, const PcAgent *agent)
{
        _cleanup_free_ char *check = xasprintf("agent:%s", agent->id);
        json_t *eff = pc_config_agent_effective(cfg, agent, false);
        const char *mode =
                json_string_value(json_object_get(json_object_get(eff, "sandbox"), "mode"));
        if (!mode || streq(mode, "off")) {
                add(d, check, ST_INFO, NULL,
                    "agent '%s' is not sandboxed (sandbox.mode off): its tools run in the "
                    "gateway's own environment",
                    agent->id);
                json_decref(eff);
                return;
        }
        _cleanup_free_ char *session = pc_sandbox_main_session_key(agent->id, false);
        PcSandboxSpecOptions opts = {.no_mkdir = true};
        _cleanup_(pc_sandbox_spec_freep) PcSandboxSpec *spec = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_sandbox_spec_build(eff, session, &opts, &spec, &err);
        bool browser = json_is_true(json_object_get(
                json_object_get(json_object_get(eff, "sandbox"), "browser"), "enabled"));
        json_decref(eff);
        if (r < 0) {
                add(d, check, ST_FAIL, "pincer sandbox explain --agent <id> (then fix the config)",
                    "agent '%s': its sandbox cannot be created: %s", agent->id, err.msg);
                return;
        }
        if (streq(spec->backend, "native")) {
                json_t *n = pc_native_explain(pc_config_state_dir(cfg), spec);
                json_t *problems = json_object_get(n, "problems");
                size_t i;
                json_t *p;
                json_array_foreach (problems, i, p) {
                        const char *msg = json_string_value(p);
                        bool image = msg && strstr(msg, "image");
                        _cleanup_free_ char *fix =
                                image ? xasprintf("pincer image build %s", spec->image)
                                      : xstrdup("see docs/sandbox.md (native backend)");
                        add(d, check, ST_FAIL, fix, "agent '%s' (native backend): %s", agent->id,
                            msg ? msg : "?");
                }
                if (json_array_size(problems) == 0)
                        add(d, check, ST_OK, NULL, "agent '%s': native backend, image '%s'",
                            agent->id, spec->image);
                json_decref(n);
                _cleanup_free_ char *rootfs = NULL;
                if (browser && json_array_size(problems) == 0 &&
                    pc_image_path(pc_config_state_dir(cfg), spec->image, &rootfs, &err) >= 0) {
                        /* the browser runs in the sandbox: its image needs Chromium
                         * (docs/browser.md) */
                        _cleanup_free_ char *bin = xasprintf("%s/usr/bin/chromium", rootfs);
                        if (access(bin, X_OK) < 0)
                                add(d, check, ST_WARN,
                                    "pincer image build openclaw-sandbox-browser:bookworm-slim "
                                    "--from openclaw-sandbox:bookworm-slim --packages \"chromium "
                                    "fonts-dejavu-core fonts-liberation\", then use it as "
                                    "sandbox.docker.image",
                                    "agent '%s': sandbox.browser.enabled, but image '%s' has no "
                                    "Chromium",
                                    agent->id, spec->image);
                }
                return;
        }
        d->docker_used = true;
        PcEngine *e = engine(d);
        if (!e) {
                add(d, check, ST_FAIL, docker_start_fix(), "agent '%s' (docker backend): %s",
                    agent->id, d->engine_error);
                return;
        }
        json_t *img = NULL;
        r = pc_engine_image_inspect(e, spec->image, &img, &err);
        json_decref(img);
        if (r == -ENOENT && err.kind == PC_ERROR_NOT_FOUND) {
                _cleanup_free_ char *fix = xasprintf(
                        "scripts/sandbox-image.sh --name %s (in a Pincer checkout), or without "
                        "one: docker build -t %s --build-arg BASE_IMAGE=debian:bookworm-slim -f "
                        "%s/Dockerfile.sandbox %s",
                        spec->image, spec->image, PINCER_DATADIR, PINCER_DATADIR);
                add(d, check, ST_FAIL, fix,
                    "agent '%s' (docker backend): image '%s' is not on the engine", agent->id,
                    spec->image);
        } else if (r < 0)
                add(d, check, ST_FAIL, docker_start_fix(), "agent '%s' (docker backend): %s",
                    agent->id, err.msg);
        else
                add(d, check, ST_OK, NULL, "agent '%s': docker backend, image '%s' present",
                    agent->id, spec->image);
}

static void check_docker(Doctor *d, bool needed)
{
        PcEngine *e = engine(d);
        if (!e) {
                add(d, "docker", needed ? ST_FAIL : ST_INFO, needed ? docker_start_fix() : NULL,
                    "%s%s", d->engine_error, needed ? "" : " (no agent uses the docker backend)");
                return;
        }
        add(d, "docker", ST_OK, NULL, "Docker engine %s at %s, API %s", pc_engine_server_version(e),
            pc_engine_address(e), pc_engine_api_version(e));
}

static void check_cgroups(Doctor *d)
{
        const char *mode = pc_cgroup_mode();
        if (streq(mode, "unified"))
                add(d, "cgroups", ST_OK, NULL, "cgroup v2 (unified hierarchy)");
        else if (streq(mode, "hybrid") || streq(mode, "legacy"))
                add(d, "cgroups", ST_OK, NULL,
                    "cgroup v1 (%s): the native backend uses the memory, pids and cpu "
                    "controllers",
                    mode);
        else
                add(d, "cgroups", ST_WARN, "mount -t cgroup2 none /sys/fs/cgroup",
                    "no cgroup file system at /sys/fs/cgroup: the native backend cannot limit "
                    "sandboxes");
}

static long read_long(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        long v = -1;
        if (!f || fscanf(f, "%ld", &v) != 1)
                return -1;
        return v;
}

static void check_userns(Doctor *d)
{
        long max = read_long("/proc/sys/user/max_user_namespaces");
        long clone = read_long("/proc/sys/kernel/unprivileged_userns_clone");
        long aa = read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        if (max == 0)
                add(d, "userNamespaces", ST_WARN, "sysctl -w user.max_user_namespaces=15000",
                    "user namespaces are disabled (user.max_user_namespaces = 0)");
        else if (clone == 0 && geteuid() != 0)
                add(d, "userNamespaces", ST_WARN, "sysctl -w kernel.unprivileged_userns_clone=1",
                    "unprivileged user namespaces are disabled");
        else if (aa == 1 && geteuid() != 0)
                add(d, "userNamespaces", ST_WARN,
                    "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
                    "AppArmor restricts unprivileged user namespaces");
        else
                add(d, "userNamespaces", ST_OK, NULL, "user namespaces available (max %ld)", max);
}

static void check_seccomp(Doctor *d)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
        char line[256];
        bool found = false;
        while (f && fgets(line, sizeof(line), f))
                if (strncmp(line, "Seccomp:", 8) == 0)
                        found = true;
        if (found && access("/proc/sys/kernel/seccomp/actions_avail", R_OK) == 0)
                add(d, "seccomp", ST_OK, NULL, "seccomp filters available");
        else
                add(d, "seccomp", ST_FAIL,
                    "use a kernel built with CONFIG_SECCOMP_FILTER (every distribution kernel is)",
                    "this kernel has no seccomp filters: sandboxes cannot restrict system calls");
}

static void check_apparmor(Doctor *d)
{
        _cleanup_fclose_ FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");
        int c = f ? fgetc(f) : EOF;
        if (c == 'Y')
                add(d, "apparmor", ST_OK, NULL, "AppArmor enabled");
        else
                add(d, "apparmor", ST_INFO, NULL,
                    "AppArmor not enabled: docker.apparmorProfile settings have no effect");
}

static void print_text(const Doctor *d)
{
        size_t i;
        json_t *c;
        json_array_foreach (d->checks, i, c) {
                const char *st = json_string_value(json_object_get(c, "status"));
                const char *fix = json_string_value(json_object_get(c, "fix"));
                printf("%-5s %s\n",
                       streq(st, "fail")   ? "FAIL"
                       : streq(st, "warn") ? "WARN"
                                           : st,
                       json_string_value(json_object_get(c, "message")));
                if (fix)
                        printf("      fix: %s\n", fix);
        }
        printf("%s\n",
               d->failed ? "Some checks failed: run the fix commands above." : "No check failed.");
}

static int run(int argc, char **argv)
{
        static const struct option options[] = {
                {"json", no_argument, NULL, 'j'},
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool json = false;
        const char *config_path = NULL;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "jc:h", options, NULL)) >= 0)
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case 'c':
                        config_path = optarg;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return PC_EXIT_OK;
                default:
                        return pc_cli_usage_error("doctor", "unknown option");
                }
        if (optind < argc)
                return pc_cli_usage_error("doctor", "unexpected argument '%s'", argv[optind]);

        Doctor d = {.checks = json_array()};
        PcConfigLoadOptions lo = {.path = config_path};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        _cleanup_(pc_config_unrefp) PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_config_load(&lo, &diags, &cfg, &err);

        const char *state_dir = cfg ? pc_config_state_dir(cfg) : NULL;
        _cleanup_free_ char *fallback = NULL;
        if (!state_dir) {
                const char *env = getenv("PINCER_STATE_DIR");
                const char *home = getenv("HOME");
                fallback = env && *env ? xstrdup(env) : xasprintf("%s/.pincer", home ? home : "");
                state_dir = fallback;
        }
        check_state_dir(&d, state_dir);

        if (r < 0 || !cfg) {
                const char *first = diags.n ? diags.items[0].message : err.msg;
                _cleanup_free_ char *fix = xasprintf(
                        "pincer config validate%s%s (shows every error), then edit the file",
                        config_path ? " --config " : "", config_path ? config_path : "");
                add(&d, "config", ST_FAIL, fix, "the configuration is not valid: %s%s%s",
                    diags.n && diags.items[0].path && *diags.items[0].path ? diags.items[0].path
                                                                           : "",
                    diags.n && diags.items[0].path && *diags.items[0].path ? ": " : "",
                    first && *first ? first : "see pincer config validate");
        } else if (!pc_config_file_exists(cfg))
                add(&d, "config", ST_WARN, "pincer onboard",
                    "no configuration file at %s: running on the defaults", pc_config_path(cfg));
        else
                add(&d, "config", ST_OK, NULL, "configuration %s is valid%s", pc_config_path(cfg),
                    diags.n_warnings ? " (with warnings: pincer config validate)" : "");

        if (cfg)
                for (size_t i = 0; i < pc_config_n_agents(cfg); i++)
                        check_agent(&d, cfg, pc_config_agent(cfg, i));
        check_docker(&d, d.docker_used);
        check_cgroups(&d);
        check_userns(&d);
        check_seccomp(&d);
        check_apparmor(&d);
        check_disk(&d, state_dir);

        if (json) {
                json_t *out = json_pack("{s:b,s:O}", "ok", !d.failed, "checks", d.checks);
                pc_cli_print_json(out);
                json_decref(out);
        } else
                print_text(&d);
        json_decref(d.checks);
        pc_engine_free(d.engine);
        return d.failed ? PC_EXIT_FAILURE : PC_EXIT_OK;
}

const PcVerb pc_verb_doctor = {
        .name = "doctor",
        .run = run,
        .summary = "check the installation and print how to fix each problem",
        .usage = usage,
};
