/* SPDX-License-Identifier: MIT */
/*
 * The provisioning phase (pincer.md item 4): setupCommand and packages run once, as root, with
 * a writable root filesystem and the network of sandbox.docker.setupNetwork, in a temporary
 * container from the sandbox's image. On success the container is committed to a derived image
 * tagged by a hash of what went into it, and every sandbox with the same inputs starts from
 * that image with its locked-down settings (read-only root, network none, non-root user). A
 * failure is reported with the command's output and nothing is cached, so the next attempt
 * runs it again. OpenClaw instead runs setupCommand inside the locked-down sandbox itself,
 * where package installs cannot work.
 *
 * The temporary container is labelled with its owner, this process ("<boot id>/<pid>/<start
 * time>"), and the sandbox it is for. A gateway killed while provisioning cannot remove it; the
 * next provisioning on the engine removes every provisioning container whose owner ran on this
 * machine and is gone (another live gateway's are left alone).
 *
 * The provisioning container keeps the engine's default seccomp profile, not Pincer's built-in
 * one (which every sandbox gets): it runs the operator's own script (configuration, not agent
 * input) as root with the network, package maintainer scripts may need syscalls a sandbox must
 * not have, and nothing of the agent ever runs in it. The native backend's provisioning
 * applies no filter either.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/sha256.h"
#include "engine-internal.h"
#include "sandbox/docker/backend.h"

#define PROVISION_EPOCH      "pincer-provision/1"
#define PROVISION_REPO       "pincer-provisioned"
#define PROVISION_TIMEOUT_MS (60 * 60 * 1000) /* apt-get on a slow mirror */
#define OUTPUT_QUOTED        4000             /* bytes of output quoted in an error */

/* The tag: a hash of the base image's id, the script and the network. */
static char *derived_tag(const char *base_id, const char *script, const char *network)
{
        PcSha256 ctx;
        pc_sha256_init(&ctx);
        const char *parts[] = {PROVISION_EPOCH, base_id, script, network};
        for (size_t i = 0; i < ELEMENTSOF(parts); i++) {
                pc_sha256_update(&ctx, parts[i], strlen(parts[i]));
                pc_sha256_update(&ctx, "\n", 1);
        }
        uint8_t digest[PC_SHA256_DIGEST_SIZE];
        pc_sha256_final(&ctx, digest);
        char hex[PC_SHA256_HEX_SIZE];
        pc_hex_encode(digest, sizeof(digest), hex);
        return xasprintf("%s:%.16s", PROVISION_REPO, hex);
}

static int wait_exit(PcEngine *e, const char *id, int *ret_status, PcError *reterr)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/wait", id);
        PcEngineResponse resp = PC_ENGINE_RESPONSE_INIT;
        int r = pc__engine_request_until(e, "POST", path, NULL, pc__now_ms() + PROVISION_TIMEOUT_MS,
                                         &resp, reterr);
        if (r >= 0)
                *ret_status = (int) json_integer_value(json_object_get(resp.json, "StatusCode"));
        pc_engine_response_release(&resp);
        return r;
}

static void read_logs(PcEngine *e, const char *id, PcBuf *out)
{
        _cleanup_free_ char *path = xasprintf("/containers/%s/logs?stdout=1&stderr=1", id);
        PcEngineResponse resp = PC_ENGINE_RESPONSE_INIT;
        if (pc_engine_request(e, "GET", path, NULL, &resp, NULL) >= 0) {
                /* The log stream is multiplexed like exec output; merge both streams. */
                PcMux mux;
                pc__mux_init(&mux, out, out, 1024 * 1024);
                (void) pc__mux_feed(&mux, resp.body.buf, resp.body.len);
                (void) pc__mux_finish(&mux);
                pc__mux_release(&mux);
        }
        pc_engine_response_release(&resp);
}

/* The start time (field 22 of /proc/<pid>/stat) of pid; 0 when it is gone. */
static unsigned long long start_time_of(long pid)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        if (!p || !p[1] || !p[2] || p[2] == 'Z' || p[2] == 'X')
                return 0;
        p += 2; /* field 3, the state */
        for (int field = 3; field < 22; field++) {
                p = strchr(p, ' ');
                if (!p)
                        return 0;
                p++;
        }
        return strtoull(p, NULL, 10);
}

static void boot_id(char out[64])
{
        out[0] = '\0';
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, out, 63) : -1;
        out[n > 0 ? n : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
}

/* "<boot id>/<pid>/<start time>" of this process. */
static char *owner_id(void)
{
        char boot[64];
        boot_id(boot);
        return xasprintf("%s/%ld/%llu", boot, (long) getpid(), start_time_of((long) getpid()));
}

/* Whether owner names a process of this boot that no longer runs. */
static bool owner_is_gone(const char *owner)
{
        char boot[64];
        boot_id(boot);
        size_t n = strlen(boot);
        if (!owner || !n || strncmp(owner, boot, n) != 0 || owner[n] != '/')
                return false; /* another machine's, or not ours to judge */
        char *end = NULL;
        long pid = strtol(owner + n + 1, &end, 10);
        if (pid <= 0 || !end || *end != '/')
                return false;
        unsigned long long start = strtoull(end + 1, NULL, 10);
        return start_time_of(pid) != start;
}

/* Removes the provisioning containers that dead gateways on this machine left behind. */
static void reap_orphans(PcEngine *e)
{
        json_t *list = NULL;
        if (pc_engine_container_list(e, "pincer.provisioning=1", &list, NULL) < 0)
                return;
        size_t i;
        const json_t *c;
        json_array_foreach (list, i, c) {
                const json_t *labels = json_object_get(c, "Labels");
                const char *owner = json_string_value(json_object_get(labels, "pincer.owner"));
                const char *id = json_string_value(json_object_get(c, "Id"));
                /* a sandbox made from an image provisioned before the labels were cleared
                 * carries them too: never one of those */
                if (!id || json_object_get(labels, "pincer.sandbox") || !owner_is_gone(owner))
                        continue;
                PcError err = PC_ERROR_INIT;
                if (pc_engine_container_remove(e, id, &err) < 0)
                        log_warning("provisioning: cannot remove the container %.12s a stopped "
                                    "gateway left: %s",
                                    id, err.msg);
                else
                        log_info("provisioning: removed the container %.12s a stopped gateway "
                                 "left (sandbox '%s')",
                                 id,
                                 json_string_value(json_object_get(labels, "pincer.sandboxName"))
                                         ?: "?");
        }
        json_decref(list);
}

static const char *tail_of(const PcBuf *b)
{
        return b->len > OUTPUT_QUOTED ? b->buf + b->len - OUTPUT_QUOTED : b->buf;
}

char *pc_docker_provisioned_image(PcDockerBackend *b, const PcSandboxSpec *spec, PcError *reterr)
{
        if (!pc_sandbox_spec_needs_provisioning(spec))
                return xstrdup(spec->image);
        reap_orphans(b->engine);

        json_t *base = NULL;
        int r = pc_engine_image_inspect(b->engine, spec->image, &base, reterr);
        if (r < 0) {
                if (r == -ENOENT && reterr && reterr->kind == PC_ERROR_NOT_FOUND)
                        pc_error_set(reterr, r,
                                     "sandbox image '%s' not found; build it with "
                                     "scripts/sandbox-image.sh --name '%s'",
                                     spec->image, spec->image);
                return NULL;
        }
        const char *base_id = json_string_value(json_object_get(base, "Id"));
        _cleanup_free_ char *script = pc_sandbox_spec_provision_script(spec);
        const char *network = spec->setup_network ? spec->setup_network : "bridge";
        _cleanup_free_ char *tag = derived_tag(base_id ? base_id : spec->image, script, network);
        json_decref(base);

        json_t *existing = NULL;
        r = pc_engine_image_inspect(b->engine, tag, &existing, NULL);
        json_decref(existing);
        if (r >= 0)
                return TAKE_PTR(tag); /* provisioned before */

        _cleanup_free_ char *owner = owner_id();
        json_t *body = json_pack("{s:s,s:s,s:[s,s],s:[s],s:s,s:{s:s,s:s,s:s,s:s},s:{s:b,s:s}}",
                                 "Image", spec->image, "User", "0:0", "Entrypoint", "/bin/sh", "-c",
                                 "Cmd", script, "WorkingDir", "/", "Labels", "pincer.provisioning",
                                 "1", "pincer.provisionedImage", tag, "pincer.owner", owner,
                                 "pincer.sandboxName", spec->name, "HostConfig", "Init", 1,
                                 "NetworkMode", network);
        _cleanup_free_ char *id = NULL;
        r = pc_engine_container_create(b->engine, NULL, body, &id, reterr);
        json_decref(body);
        if (r < 0) {
                pc_error_prefix(reterr, "provisioning image for sandbox '%s'", spec->name);
                return NULL;
        }

        _cleanup_buf_ PcBuf output = PC_BUF_INIT;
        int status = -1;
        r = pc_engine_container_start(b->engine, id, reterr);
        if (r >= 0)
                r = wait_exit(b->engine, id, &status, reterr);
        if (r >= 0) {
                read_logs(b->engine, id, &output);
                if (b->on_output && output.len)
                        b->on_output(output.buf, output.len, b->userdata);
        }
        if (r >= 0 && status != 0)
                r = pc_error_set(reterr, -EIO,
                                 "setupCommand/packages failed with exit status %d while "
                                 "provisioning image for sandbox '%s'; nothing was cached and the "
                                 "next use tries again. Output (last %d bytes):\n%s",
                                 status, spec->name, OUTPUT_QUOTED, tail_of(&output));
        if (r >= 0) {
                /* The derived image keeps the base's own command and user: the sandbox create
                 * request sets both anyway. The provisioning labels are blanked (a commit can
                 * only override them): the sandboxes made from it are not provisioning
                 * containers. */
                json_t *config =
                        json_pack("{s:n,s:n,s:s,s:s,s:{s:s,s:s,s:s}}", "Entrypoint", "Cmd", "User",
                                  "", "WorkingDir", "", "Labels", "pincer.provisioning", "",
                                  "pincer.owner", "", "pincer.sandboxName", "");
                r = pc_engine_commit(b->engine, id, tag, config, NULL, reterr);
                json_decref(config);
        }
        (void) pc_engine_container_remove(b->engine, id, NULL);
        if (r < 0)
                return NULL;
        return TAKE_PTR(tag);
}
