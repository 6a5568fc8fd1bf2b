/* SPDX-License-Identifier: MIT */
/*
 * The Docker backend: executes a PcSandboxSpec as one long-lived container on a Docker engine,
 * through the Engine API client (engine.h).
 *
 * A sandbox is a container named spec->name, created from the spec's image (or from the image
 * the provisioning phase derived from it, provision.c), running an init process (HostConfig
 * Init) and `sleep infinity`, with every spec setting mapped onto the create request
 * (pc_docker_create_body) and no-new-privileges always. Tool commands run with the exec API.
 * A create that fails after the container exists removes it again: nothing half-created stays.
 */
#pragma once

#include "sandbox/docker/engine.h"
#include "sandbox/docker/self.h"
#include "sandbox/sandbox.h"

extern const PcSandboxOps pc_docker_sandbox_ops;

/* The backend instance. */
typedef struct PcDockerBackend {
        PcEngine *engine;   /* owned */
        PcDockerSelf *self; /* owned: the gateway's own container on that engine, or NULL */
        /* Where the provisioning phase's output goes as it arrives (NULL: nowhere); it is also
         * quoted in the error when provisioning fails. */
        void (*on_output)(const char *text, size_t len, void *userdata);
        void *userdata;
} PcDockerBackend;

/* Opens the engine ($DOCKER_HOST or the default socket) and makes an instance; for
 * PcSandboxBackendDef.open. Failures are PC_ERROR_UNAVAILABLE with a hint. */
int pc_docker_backend_open(void **ret_instance, PcError *reterr);
void pc_docker_backend_close(void *instance);

/* The container create request for spec, from image, labelled with created_at_ms. Pure but for
 * reading spec->seccomp_profile (its content is sent, as the docker CLI does; unset, Pincer's
 * built-in default is sent, never the engine's: sandbox/seccomp-default.h). New reference,
 * or NULL with reterr. */
json_t *pc_docker_create_body(const PcSandboxSpec *spec, const char *image, int64_t created_at_ms,
                              PcError *reterr);

/* provision.c: the image a sandbox starts from. spec->image when there is nothing to
 * provision; otherwise the derived image "pincer-provisioned:<hash>" (built now if it does not
 * exist), where hash covers the base image's id, setupCommand, packages and the network.
 * Returns a new string, or NULL with reterr (a failed setupCommand quotes its output). */
char *pc_docker_provisioned_image(PcDockerBackend *b, const PcSandboxSpec *spec, PcError *reterr);
