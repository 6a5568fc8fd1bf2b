/* SPDX-License-Identifier: MIT */
#include "backend.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "sandbox/seccomp-default.h"

#define SECCOMP_PROFILE_MAX (1024 * 1024)

int pc_docker_backend_open(void **ret_instance, PcError *reterr)
{
        PcEngine *e = NULL;
        int r = pc_engine_open(NULL, &e, reterr);
        if (r < 0)
                return r;
        PcDockerSelf *self = NULL;
        r = pc_docker_self_detect(e, &self, reterr);
        if (r < 0) {
                pc_engine_free(e);
                return r;
        }
        PcDockerBackend *b = xcalloc(1, sizeof(*b));
        b->engine = e;
        b->self = self;
        *ret_instance = b;
        return 0;
}

void pc_docker_backend_close(void *instance)
{
        PcDockerBackend *b = instance;
        if (!b)
                return;
        pc_engine_free(b->engine);
        pc_docker_self_free(b->self);
        free(b);
}

static int64_t now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The profile file's JSON, compacted: the engine wants the content, not the path. */
static char *read_seccomp_profile(const char *path, PcError *reterr)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                pc_error_set(reterr, -errno, "cannot read seccompProfile '%s': %s", path,
                             strerror(errno));
                return NULL;
        }
        if (!S_ISREG(st.st_mode) || st.st_size > SECCOMP_PROFILE_MAX) {
                pc_error_set(reterr, -EINVAL,
                             "seccompProfile '%s' must be a regular file of at most %d bytes", path,
                             SECCOMP_PROFILE_MAX);
                return NULL;
        }
        json_error_t jerr;
        json_t *v = json_loadfd(fd, 0, &jerr);
        if (!v) {
                pc_error_set(reterr, -EINVAL, "seccompProfile '%s' is not JSON: %s at %d:%d", path,
                             jerr.text, jerr.line, jerr.column);
                return NULL;
        }
        char *s = json_dumps(v, JSON_COMPACT);
        json_decref(v);
        return s;
}

static json_t *strv_json(char *const *v)
{
        json_t *a = json_array();
        for (; v && *v; v++)
                json_array_append_new(a, json_string(*v));
        return a;
}

json_t *pc_docker_create_body(const PcSandboxSpec *spec, const char *image, int64_t created_at_ms,
                              PcError *reterr)
{
        json_t *env = json_array();
        for (size_t i = 0; i < spec->n_env; i++)
                json_array_append_new(env,
                                      json_sprintf("%s=%s", spec->env[i].key, spec->env[i].value));
        json_t *labels = json_object();
        for (size_t i = 0; i < spec->n_labels; i++)
                json_object_set_new(labels, spec->labels[i].key,
                                    json_string(spec->labels[i].value));
        json_object_set_new(labels, "pincer.createdAtMs",
                            json_sprintf("%lld", (long long) created_at_ms));

        json_t *host = json_object();
        json_object_set_new(host, "Init", json_true());
        json_object_set_new(host, "ReadonlyRootfs", json_boolean(spec->read_only_root));
        json_object_set_new(host, "NetworkMode",
                            json_string(spec->network ? spec->network : "none"));

        json_t *tmpfs = json_object();
        for (size_t i = 0; i < spec->n_tmpfs; i++)
                json_object_set_new(
                        tmpfs, spec->tmpfs[i].path,
                        json_string(spec->tmpfs[i].options ? spec->tmpfs[i].options : ""));
        json_object_set_new(host, "Tmpfs", tmpfs);

        json_t *binds = json_array();
        for (size_t i = 0; i < spec->n_mounts; i++) {
                const PcSandboxMount *mt = &spec->mounts[i];
                if (mt->kind == PC_MOUNT_BIND && mt->options)
                        json_array_append_new(binds, json_sprintf("%s:%s:%s", mt->source,
                                                                  mt->target, mt->options));
                else
                        json_array_append_new(binds, json_sprintf("%s:%s%s", mt->source, mt->target,
                                                                  mt->read_only ? ":ro" : ""));
        }
        json_object_set_new(host, "Binds", binds);
        json_object_set_new(host, "CapDrop", strv_json(spec->cap_drop));
        json_object_set_new(host, "CapAdd", strv_json(spec->cap_add));

        json_t *secopt = json_array();
        json_array_append_new(secopt, json_string("no-new-privileges"));
        if (spec->seccomp_profile) {
                _cleanup_free_ char *profile = read_seccomp_profile(spec->seccomp_profile, reterr);
                if (!profile) {
                        json_decref(secopt);
                        json_decref(host);
                        json_decref(env);
                        json_decref(labels);
                        return NULL;
                }
                json_array_append_new(secopt, json_sprintf("seccomp=%s", profile));
        } else {
                /* Pincer's default, not the engine's: the same profile as the native backend
                 * (the engine's allows ptrace and io_uring, and widens with capAdd). */
                _cleanup_free_ char *profile = pc_seccomp_default_profile_json();
                json_array_append_new(secopt, json_sprintf("seccomp=%s", profile));
        }
        if (spec->apparmor_profile)
                json_array_append_new(secopt, json_sprintf("apparmor=%s", spec->apparmor_profile));
        json_object_set_new(host, "SecurityOpt", secopt);

        if (spec->pids_limit > 0)
                json_object_set_new(host, "PidsLimit", json_integer(spec->pids_limit));
        if (spec->memory_bytes > 0)
                json_object_set_new(host, "Memory", json_integer(spec->memory_bytes));
        if (spec->memory_swap_bytes != 0)
                json_object_set_new(host, "MemorySwap", json_integer(spec->memory_swap_bytes));
        if (spec->cpus > 0)
                json_object_set_new(host, "NanoCpus",
                                    json_integer((json_int_t) (spec->cpus * 1e9)));
        json_t *ulimits = json_array();
        for (size_t i = 0; i < spec->n_ulimits; i++)
                json_array_append_new(ulimits,
                                      json_pack("{s:s,s:I,s:I}", "Name", spec->ulimits[i].name,
                                                "Soft", (json_int_t) spec->ulimits[i].soft, "Hard",
                                                (json_int_t) spec->ulimits[i].hard));
        json_object_set_new(host, "Ulimits", ulimits);
        json_object_set_new(host, "Dns", strv_json(spec->dns));
        json_object_set_new(host, "ExtraHosts", strv_json(spec->extra_hosts));

        json_t *body = json_object();
        json_object_set_new(body, "Image", json_string(image));
        /* Our own idle process, whatever the image's entrypoint: tools run through exec. */
        json_object_set_new(body, "Entrypoint", json_pack("[s]", "sleep"));
        json_object_set_new(body, "Cmd", json_pack("[s]", "infinity"));
        json_object_set_new(body, "WorkingDir", json_string(spec->workdir));
        if (spec->user)
                json_object_set_new(body, "User", json_string(spec->user));
        if (spec->hostname)
                json_object_set_new(body, "Hostname", json_string(spec->hostname));
        json_object_set_new(body, "Env", env);
        json_object_set_new(body, "Labels", labels);
        json_object_set_new(body, "HostConfig", host);
        return body;
}

/* The engine answered "no such object". Not a connect() -ENOENT: an engine whose socket went
 * away is PC_ERROR_UNAVAILABLE, and must not read as a missing container or image. */
static bool engine_not_found(int r, const PcError *err)
{
        return r == -ENOENT && err && err->kind == PC_ERROR_NOT_FOUND;
}

static int docker_create(PcSandbox *sb, const PcSandboxSpec *spec, PcError *reterr)
{
        PcDockerBackend *b = sb->backend;
        _cleanup_free_ char *image = pc_docker_provisioned_image(b, spec, reterr);
        if (!image)
                return reterr ? reterr->code : -EIO;

        json_t *found = NULL;
        int r = pc_engine_image_inspect(b->engine, image, &found, reterr);
        if (engine_not_found(r, reterr))
                return pc_error_set(
                        reterr, -ENOENT,
                        "sandbox image '%s' not found; build it with "
                        "scripts/sandbox-image.sh --name '%s' (or docker build/pull it)",
                        image, image);
        json_decref(found);
        if (r < 0)
                return r;

        json_t *body = pc_docker_create_body(spec, image, now_ms(), reterr);
        if (!body)
                return reterr ? reterr->code : -EINVAL;
        if (b->self) {
                r = pc_docker_self_translate_binds(b->self, spec, body, reterr);
                if (r < 0) {
                        json_decref(body);
                        return r;
                }
        }
        _cleanup_free_ char *id = NULL;
        r = pc_engine_container_create(b->engine, spec->name, body, &id, reterr);
        json_decref(body);
        if (r < 0)
                return r;
        r = pc_engine_container_start(b->engine, id, reterr);
        if (r < 0) {
                /* Nothing half-created stays behind; the start error is what matters. */
                (void) pc_engine_container_remove(b->engine, id, NULL);
                return r;
        }
        return 0;
}

static int docker_exec(PcSandbox *sb, const PcExecRequest *req, PcExecResult *ret, PcError *reterr)
{
        PcDockerBackend *b = sb->backend;
        _cleanup_free_ char **env = xcalloc(req->n_env + 1, sizeof(char *));
        for (size_t i = 0; i < req->n_env; i++)
                env[i] = xasprintf("%s=%s", req->env[i].key, req->env[i].value);

        uint64_t timeout = req->timeout_ms;
        if (timeout == 0 || timeout > PC_ENGINE_EXEC_MAX_TIMEOUT)
                timeout =
                        timeout == 0 ? PC_ENGINE_EXEC_DEFAULT_TIMEOUT : PC_ENGINE_EXEC_MAX_TIMEOUT;
        PcEngineExecRequest er = {
                .argv = req->argv,
                .env = (const char *const *) env,
                .workdir = req->workdir,
                .stdin_data = req->stdin_data,
                .stdin_len = req->stdin_len,
                .timeout_ms = (int) timeout,
                .output_cap = req->max_output ? req->max_output : PC_EXEC_DEFAULT_MAX_OUTPUT,
                .on_output = req->on_output,
                .userdata = req->userdata,
                .stdin_fd = req->stdin_fd,
                .cancel_fd = req->cancel_fd,
        };
        PcEngineExecResult res;
        pc_engine_exec_result_init(&res);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int r = pc_engine_exec(b->engine, sb->name, &er, &res, reterr);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        for (size_t i = 0; i < req->n_env; i++)
                free(env[i]);
        if (r < 0) {
                pc_engine_exec_result_release(&res);
                return r;
        }
        bool killed = res.timed_out || res.canceled;
        ret->exit_code = killed ? -1 : res.exit_code;
        ret->signal = killed ? SIGKILL : 0;
        ret->timed_out = res.timed_out;
        ret->canceled = res.canceled;
        pc_buf_add(&ret->out, res.out.buf, res.out.len);
        pc_buf_add(&ret->err, res.err.buf, res.err.len);
        ret->out_truncated = res.out_truncated;
        ret->err_truncated = res.err_truncated;
        ret->duration_us = (uint64_t) (((int64_t) t1.tv_sec - t0.tv_sec) * 1000000 +
                                       ((int64_t) t1.tv_nsec - t0.tv_nsec) / 1000);
        pc_engine_exec_result_release(&res);
        return 0;
}

static int docker_destroy(PcSandbox *sb, PcError *reterr)
{
        PcDockerBackend *b = sb->backend;
        int r = pc_engine_container_remove(b->engine, sb->name, reterr);
        return engine_not_found(r, reterr) ? 0 : r;
}

static int docker_inspect(PcSandbox *sb, PcSandboxInfo *ret, PcError *reterr)
{
        PcDockerBackend *b = sb->backend;
        json_t *c = NULL;
        *ret = (PcSandboxInfo){.state = PC_SANDBOX_STATE_MISSING};
        int r = pc_engine_container_inspect(b->engine, sb->name, &c, reterr);
        if (engine_not_found(r, reterr))
                return 0;
        if (r < 0)
                return r;
        const json_t *state = json_object_get(c, "State");
        ret->state = json_is_true(json_object_get(state, "Running")) ? PC_SANDBOX_STATE_RUNNING
                                                                     : PC_SANDBOX_STATE_STOPPED;
        const json_t *config = json_object_get(c, "Config");
        const json_t *labels = json_object_get(config, "Labels");
        const char *hash = json_string_value(json_object_get(labels, "pincer.configHash"));
        if (hash && strlen(hash) < sizeof(ret->config_hash))
                strcpy(ret->config_hash, hash);
        const char *created = json_string_value(json_object_get(labels, "pincer.createdAtMs"));
        if (created)
                ret->created_at_ms = strtoll(created, NULL, 10);
        const char *image = json_string_value(json_object_get(config, "Image"));
        if (image)
                snprintf(ret->image, sizeof(ret->image), "%s", image);
        json_decref(c);
        return 0;
}

static int docker_stats(PcSandbox *sb, PcSandboxStats *ret, PcError *reterr)
{
        PcDockerBackend *b = sb->backend;
        _cleanup_free_ char *path = xasprintf("/containers/%s/stats?stream=false", sb->name);
        PcEngineResponse resp = PC_ENGINE_RESPONSE_INIT;
        int r = pc_engine_request(b->engine, "GET", path, NULL, &resp, reterr);
        if (r < 0) {
                pc_engine_response_release(&resp);
                return r;
        }
        const json_t *s = resp.json;
        const json_t *cpu = json_object_get(json_object_get(s, "cpu_stats"), "cpu_usage");
        const json_t *mem = json_object_get(s, "memory_stats");
        *ret = (PcSandboxStats){
                .cpu_usec =
                        (uint64_t) json_integer_value(json_object_get(cpu, "total_usage")) / 1000u,
                .memory_bytes = (uint64_t) json_integer_value(json_object_get(mem, "usage")),
                .memory_limit_bytes = (uint64_t) json_integer_value(json_object_get(mem, "limit")),
                .pids = (uint32_t) json_integer_value(
                        json_object_get(json_object_get(s, "pids_stats"), "current")),
        };
        pc_engine_response_release(&resp);
        return 0;
}

const PcSandboxOps pc_docker_sandbox_ops = {
        .name = "docker",
        .create = docker_create,
        .exec = docker_exec,
        .destroy = docker_destroy,
        .inspect = docker_inspect,
        .stats = docker_stats,
};
