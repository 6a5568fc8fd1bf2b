/* SPDX-License-Identifier: MIT */
/*
 * A small client for the Docker Engine API, spoken directly over its unix socket or plain
 * tcp://, never through the docker CLI (docs: docs.docker.com/engine/api, v1.41).
 *
 * Model: blocking calls with deadlines. Every request opens its own connection
 * ("Connection: close"), so there is no connection state to go stale and a PcEngine can be
 * shared by sequential callers. After pc_engine_open() and pc_engine_set_timeout() nothing in
 * it changes, so calls from several threads are safe (background execs run on their own). Every
 * wait is a poll() bounded by a deadline: plain requests use the engine's timeout
 * (pc_engine_set_timeout), exec streams the timeout of the exec request.
 *
 * Versions: pc_engine_open() reads /version and speaks min(engine's ApiVersion, 1.41), pinned
 * in every URL (/v1.41/...). Engines older than API 1.40 (Docker 19.03) are refused.
 *
 * Errors (docs/design/errors.md): every call returns >= 0 on success or a negative errno and
 * fills reterr (which may be NULL). An engine that cannot be reached (socket missing, refused,
 * no answer in time) is PC_ERROR_UNAVAILABLE with the address and a hint; a non-2xx reply
 * carries the engine's own "message" and maps 400 → INVALID_ARGUMENT (-EINVAL),
 * 401/403 → PERMISSION_DENIED (-EACCES), 404 → NOT_FOUND (-ENOENT), 409 → CONFLICT (-EBUSY),
 * 503 → UNAVAILABLE (-EAGAIN), anything else → INTERNAL (-EIO); a reply that is not valid
 * HTTP, or breaks a size limit, is INTERNAL (-EBADMSG, -E2BIG). This layer never logs above
 * debug level.
 *
 * Limits on what the engine sends: response head 64 KiB and 100 header lines, response body
 * PC_ENGINE_MAX_BODY; exec output is capped per stream by the caller (and read to the end, so
 * the process is never blocked on a full pipe).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "base/macro.h"

#define PC_ENGINE_DEFAULT_HOST         "unix:///var/run/docker.sock"
#define PC_ENGINE_API_VERSION          "1.41" /* the newest version we speak */
#define PC_ENGINE_API_VERSION_MIN      "1.40" /* older engines are refused */
#define PC_ENGINE_DEFAULT_TIMEOUT_MS   60000  /* per plain request */
#define PC_ENGINE_MAX_BODY             (16u * 1024 * 1024)
#define PC_ENGINE_EXEC_DEFAULT_TIMEOUT (10 * 60 * 1000)
#define PC_ENGINE_EXEC_MAX_TIMEOUT     (24 * 60 * 60 * 1000)
#define PC_ENGINE_EXEC_DEFAULT_OUTPUT  (1u * 1024 * 1024)
#define PC_ENGINE_EXEC_MAX_OUTPUT      (64u * 1024 * 1024)
#define PC_ENGINE_EXEC_MAX_STDIN       (64u * 1024 * 1024)
#define PC_ENGINE_EXEC_MAX_ARGS        4096 /* argv and env entries, each */
#define PC_ENGINE_EXEC_MAX_ARGS_BYTES  (1024 * 1024)
#define PC_ENGINE_EXEC_TAG_ENV         "PINCER_EXEC_TAG" /* see pc_engine_exec() */

typedef struct PcEngine PcEngine;

/* Connects to the engine at docker_host ("unix:///path" or "tcp://host[:port]", port 2375 by
 * default; NULL or "": $DOCKER_HOST, else PC_ENGINE_DEFAULT_HOST), pings /_ping, reads
 * /version and negotiates the API version. TLS (DOCKER_TLS_VERIFY, https) is not supported and
 * refused with INVALID_ARGUMENT. An absent engine fails with PC_ERROR_UNAVAILABLE:
 * "Docker engine unavailable at <addr>: <strerror> (start it with scripts/docker-env.sh ...)".
 * *ret is an owned PcEngine (pc_engine_free). */
int pc_engine_open(const char *docker_host, PcEngine **ret, PcError *reterr);
PcEngine *pc_engine_free(PcEngine *e); /* NULL-safe, returns NULL */
DEFINE_TRIVIAL_CLEANUP_FUNC(PcEngine *, pc_engine_free);

/* The address as given ("unix:///var/run/docker.sock"), the negotiated API version ("1.41")
 * and the engine's own version string ("20.10.24+dfsg1"). Borrowed, valid until free. */
const char *pc_engine_address(const PcEngine *e);
const char *pc_engine_api_version(const PcEngine *e);
const char *pc_engine_server_version(const PcEngine *e);

/* Timeout of each plain request (connect + send + whole response), in ms; clamped to
 * [1, PC_ENGINE_EXEC_MAX_TIMEOUT]. Also bounds the control requests around an exec. */
void pc_engine_set_timeout(PcEngine *e, int timeout_ms);

/* ---- Raw requests ---------------------------------------------------------------------- */

/* A reply. Owned by the caller; release with pc_engine_response_release(). */
typedef struct PcEngineResponse {
        int status;   /* HTTP status, 0 when no reply was read */
        json_t *json; /* the body parsed as JSON when it is JSON, else NULL */
        PcBuf body;   /* the raw body, always NUL-terminated */
} PcEngineResponse;

#define PC_ENGINE_RESPONSE_INIT                                                                    \
        {                                                                                          \
                .status = 0, .json = NULL, .body = PC_BUF_INIT                                     \
        }

void pc_engine_response_release(PcEngineResponse *r);

/* Sends "<method> /v<api><path>" with an optional JSON body (borrowed) and reads the whole
 * reply: Content-Length, chunked or close-delimited, at most PC_ENGINE_MAX_BODY bytes.
 * path must start with '/' and hold only printable ASCII without spaces (callers escape query
 * values). 2xx and 304 (the Engine API's "already in that state") are success. *ret is
 * always initialised, and on any other reply it is filled as well (the function then returns
 * the mapped error), so callers may look at ret->status; release it in every case. */
int pc_engine_request(PcEngine *e, const char *method, const char *path, json_t *body,
                      PcEngineResponse *ret, PcError *reterr);

/* ---- Containers and images --------------------------------------------------------------- */

/* GET /_ping. */
int pc_engine_ping(PcEngine *e, PcError *reterr);

/* POST /containers/create?name=<name> with config (borrowed; the Engine API's ContainerConfig
 * with HostConfig inside). name may be NULL. *ret_id is the owned container id. A name in use
 * is -EBUSY (CONFLICT), a missing image -ENOENT. */
int pc_engine_container_create(PcEngine *e, const char *name, json_t *config, char **ret_id,
                               PcError *reterr);
/* POST /containers/{id}/start; starting a running container is not an error. */
int pc_engine_container_start(PcEngine *e, const char *id, PcError *reterr);
/* GET /containers/{id}/json; *ret is an owned JSON object. -ENOENT when there is none. */
int pc_engine_container_inspect(PcEngine *e, const char *id, json_t **ret, PcError *reterr);
/* DELETE /containers/{id}?force=1&v=1: kills it if running, removes its anonymous volumes.
 * -ENOENT when there is no such container (callers that only want it gone may ignore that). */
int pc_engine_container_remove(PcEngine *e, const char *id, PcError *reterr);
/* GET /containers/json?all=1&filters={"label":[label]}; label is "key" or "key=value".
 * *ret is an owned JSON array of container summaries. */
int pc_engine_container_list(PcEngine *e, const char *label, json_t **ret, PcError *reterr);

/* GET /images/{name}/json: 0 when the image exists (*ret, if not NULL, is the owned inspect
 * object), -ENOENT when it does not. */
int pc_engine_image_inspect(PcEngine *e, const char *name, json_t **ret, PcError *reterr);
/* POST /commit?container=<id>&repo=<repo>&tag=<tag>: snapshots a container as image_ref
 * ("repo[:tag]", tag "latest" when absent). config (borrowed, may be NULL) is the ContainerConfig
 * to store with the image. *ret_image_id (may be NULL) is the owned new image id. */
int pc_engine_commit(PcEngine *e, const char *container, const char *image_ref, json_t *config,
                     char **ret_image_id, PcError *reterr);
/* DELETE /images/{name}?force=<force>. -ENOENT when there is no such image, -EBUSY (CONFLICT)
 * when a container still uses it and force is false. */
int pc_engine_image_remove(PcEngine *e, const char *name, bool force, PcError *reterr);

/* ---- Exec --------------------------------------------------------------------------------- */

/* What to run. Everything is borrowed for the duration of the call. */
typedef struct PcEngineExecRequest {
        const char *const *argv; /* NULL-terminated, at least one entry */
        const char *const *env;  /* NULL-terminated "KEY=value" entries, or NULL */
        const char *workdir;     /* NULL: the container's */
        const char *user;        /* NULL: the container's */
        const char *stdin_data;  /* NULL: no stdin is attached; else stdin_len bytes, then EOF */
        size_t stdin_len;        /* <= PC_ENGINE_EXEC_MAX_STDIN */
        int timeout_ms;          /* 0: PC_ENGINE_EXEC_DEFAULT_TIMEOUT; <= ..._MAX_TIMEOUT */
        size_t output_cap; /* per stream; 0: PC_ENGINE_EXEC_DEFAULT_OUTPUT; <= ..._MAX_OUTPUT */
        /* Long-running execs (see PcExecRequest): output handed to on_output as it arrives
         * (stream 1 stdout, 2 stderr; then not kept in ret), stdin relayed from stdin_fd until
         * its EOF, and the exec killed (as on timeout) once cancel_fd is readable. 0/NULL: off. */
        void (*on_output)(void *userdata, int stream, const char *data, size_t len);
        void *userdata;
        int stdin_fd;
        int cancel_fd;
} PcEngineExecRequest;

/* What happened. Owned by the caller: pc_engine_exec_result_release(). */
typedef struct PcEngineExecResult {
        int exit_code;      /* the process's exit status (137 after a kill), -1 when unknown */
        bool timed_out;     /* the timeout expired and the process was killed */
        bool canceled;      /* cancel_fd became readable and the process was killed */
        bool still_running; /* timed out, and the kill could not be confirmed */
        PcBuf out, err;     /* stdout and stderr, each at most output_cap bytes */
        bool out_truncated, err_truncated;
        uint64_t out_total, err_total; /* bytes the process wrote, including those discarded */
        char exec_id[72];              /* the engine's exec id */
} PcEngineExecResult;

void pc_engine_exec_result_init(PcEngineExecResult *r);
void pc_engine_exec_result_release(PcEngineExecResult *r);

/* Runs argv in the running container (id or name) and collects its output (docs:
 * ContainerExec, ExecStart, ExecInspect):
 *  - POST /containers/{id}/exec (AttachStdout/AttachStderr, AttachStdin when stdin is given,
 *    Tty false), then POST /exec/{id}/start. Without stdin the reply body is the multiplexed
 *    output stream. With stdin the request carries "Connection: Upgrade" and "Upgrade: tcp",
 *    the engine answers 101 and the connection becomes a raw duplex stream: stdin is written
 *    (interleaved with reading, so a process echoing its input never deadlocks), then the
 *    write side is shut down (the process sees EOF) and the output is read to the end.
 *  - Output is demultiplexed (8-byte frame headers) into ret->out / ret->err, each capped at
 *    output_cap bytes; past the cap it is read and discarded and *_truncated is set.
 *  - The exit code comes from GET /exec/{id}/json once the stream has ended.
 *  - Timeout: counted from the start request. The Engine API has no way to kill an exec
 *    (moby#9098), and ExecInspect's Pid is the host pid, which means nothing inside the
 *    container's pid namespace. So every exec gets an extra environment variable
 *    PINCER_EXEC_TAG=<128 random bits>; on timeout a second exec, as the same user, runs a
 *    /bin/sh script that SIGKILLs every process in the container whose /proc/<pid>/environ
 *    carries the tag (children inherit it). Then ExecInspect gives the exit code (137).
 *    ret->timed_out is set; ret->still_running when the process was still alive after the
 *    kill (no /bin/sh in the image, or it cleared its environment).
 * Returns 0 when the process ran (whatever its exit code, or timed out), < 0 when it could not
 * be run or the stream broke; ret is always initialised and must be released. */
int pc_engine_exec(PcEngine *e, const char *container, const PcEngineExecRequest *req,
                   PcEngineExecResult *ret, PcError *reterr);
