/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own container, when it runs in one on the engine it creates sandboxes with
 * (Docker-out-of-Docker, docs/install.md "The Docker socket").
 *
 * Bind sources in a sandbox spec are the gateway's own paths, but the engine resolves them on
 * the host. So the backend finds its own container once, at open: a container id from
 * /proc/self/mountinfo (the engine bind-mounts <containers dir>/<id>/hostname, hosts and
 * resolv.conf) or /proc/self/cgroup (".../docker-<id>.scope", "/docker/<id>"), confirmed by
 * inspecting that id on the engine (/.dockerenv alone proves nothing: any image may have it, and
 * it says nothing about which engine). Then every bind source is translated through the
 * container's Mounts: under a bind mount, to the bind's host source; under a volume or tmpfs, or
 * on the container's own filesystem, it has no host path and the create is refused.
 */
#pragma once

#include <jansson.h>

#include "base/error.h"
#include "base/macro.h"
#include "sandbox/docker/engine.h"
#include "sandbox/sandbox.h"

#define PC_DOCKER_SELF_MAX_PROC_FILE (4u * 1024 * 1024) /* mountinfo/cgroup read at most */
#define PC_DOCKER_SELF_MAX_MOUNTS    4096

typedef struct PcDockerSelfMount {
        char *type;        /* "bind", "volume", "tmpfs", ... */
        char *source;      /* host path ("" for tmpfs) */
        char *destination; /* path in the gateway container, normalised */
        char *name;        /* volume name, or NULL */
} PcDockerSelfMount;

typedef struct PcDockerSelf {
        char *id;
        PcDockerSelfMount *mounts;
        size_t n_mounts;
} PcDockerSelf;

PcDockerSelf *pc_docker_self_free(PcDockerSelf *s); /* NULL-safe, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(PcDockerSelf *, pc_docker_self_free);

/* A candidate container id (64 lowercase hex, new string) from the text of
 * /proc/self/mountinfo (the root of the mount on /etc/hostname, /etc/hosts or
 * /etc/resolv.conf) or of /proc/self/cgroup (any 64-hex run bounded by non-hex characters), or
 * NULL when there is none. Pure. */
char *pc_docker_self_id_from_mountinfo(const char *text);
char *pc_docker_self_id_from_cgroup(const char *text);

/* Id and Mounts of a container inspect reply (borrowed). -EINVAL when they are missing or
 * malformed, or there are more than PC_DOCKER_SELF_MAX_MOUNTS mounts. */
int pc_docker_self_from_inspect(json_t *inspect, PcDockerSelf **ret, PcError *reterr);

/* The host path of path (absolute, normalised) in the container, as a new string in *ret.
 * -EPERM with what to do when it has none (a volume, a tmpfs, the container's own files). */
int pc_docker_self_host_path(const PcDockerSelf *s, const char *path, char **ret, PcError *reterr);

/* Finds the container this process runs in on engine e: *ret is the container, or NULL when it
 * runs in none the engine knows (then bind sources are host paths already). */
int pc_docker_self_detect(PcEngine *e, PcDockerSelf **ret, PcError *reterr);

/* Rewrites HostConfig.Binds of a create body made from spec (pc_docker_create_body: one entry
 * per spec mount, "<source>:<rest>") with every source translated to its host path. */
int pc_docker_self_translate_binds(const PcDockerSelf *s, const PcSandboxSpec *spec, json_t *body,
                                   PcError *reterr);
