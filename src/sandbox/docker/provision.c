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
 * The provisioning container keeps the engine's default seccomp profile, not Pincer's built-in
 * one (which every sandbox gets): it runs the operator's own script (configuration, not agent
 * input) as root with the network, package maintainer scripts may need syscalls a sandbox must
 * not have, and nothing of the agent ever runs in it. The native backend's provisioning
 * applies no filter either.
 */
#include "base/alloc.h"
#include "base/buf.h"
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

static const char *tail_of(const PcBuf *b)
{
        return b->len > OUTPUT_QUOTED ? b->buf + b->len - OUTPUT_QUOTED : b->buf;
}

char *pc_docker_provisioned_image(PcDockerBackend *b, const PcSandboxSpec *spec, PcError *reterr)
{
        if (!pc_sandbox_spec_needs_provisioning(spec))
                return xstrdup(spec->image);

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

        json_t *body = json_pack("{s:s,s:s,s:[s,s],s:[s],s:s,s:{s:s,s:s},s:{s:b,s:s}}", "Image",
                                 spec->image, "User", "0:0", "Entrypoint", "/bin/sh", "-c", "Cmd",
                                 script, "WorkingDir", "/", "Labels", "pincer.provisioning", "1",
                                 "pincer.provisionedImage", tag, "HostConfig", "Init", 1,
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
                 * request sets both anyway. */
                json_t *config = json_pack("{s:n,s:n,s:s,s:s}", "Entrypoint", "Cmd", "User", "",
                                           "WorkingDir", "");
                r = pc_engine_commit(b->engine, id, tag, config, NULL, reterr);
                json_decref(config);
        }
        (void) pc_engine_container_remove(b->engine, id, NULL);
        if (r < 0)
                return NULL;
        return TAKE_PTR(tag);
}
