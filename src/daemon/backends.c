/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <string.h>

#include "backends.h"
#include "base/macro.h"
#include "sandbox/docker/backend.h"
#include "sandbox/native/native.h"

/* PcSandboxBackendDef.open takes no arguments: the state dir and the output callback of the
 * process live here. Written once, before the first manager exists. */
static char native_state_dir[PATH_MAX];
static PcProvisionOutputFn provision_output;

static int open_docker(void **ret, PcError *reterr)
{
        int r = pc_docker_backend_open(ret, reterr);
        if (r >= 0) {
                PcDockerBackend *b = *ret;
                b->on_output = provision_output;
        }
        return r;
}

static int open_native(void **ret, PcError *reterr)
{
        int r = pc_native_backend_open(native_state_dir, ret, reterr);
        if (r >= 0) {
                /* What a crashed gateway or CLI left behind (dead pid 1, cgroups, run dirs). */
                PcError ignored = PC_ERROR_INIT;
                (void) pc_native_cleanup_stale(native_state_dir, &ignored);
        }
        return r;
}

int pc_daemon_open_manager(const PcConfig *cfg, PcProvisionOutputFn on_output, PcStore **ret_store,
                           PcSandboxManager **ret_manager, PcError *reterr)
{
        static const PcSandboxBackendDef backends[] = {
                {.name = "docker",
                 .ops = &pc_docker_sandbox_ops,
                 .open = open_docker,
                 .close = pc_docker_backend_close},
                {.name = "native",
                 .ops = &pc_native_sandbox_ops,
                 .open = open_native,
                 .close = pc_native_backend_close},
        };
        PcStore *store = NULL;
        int r = pc_store_open(pc_config_state_dir(cfg), &store, reterr);
        if (r < 0)
                return r;
        if (!native_state_dir[0])
                (void) snprintf(native_state_dir, sizeof(native_state_dir), "%s",
                                pc_config_state_dir(cfg));
        provision_output = on_output;
        *ret_store = store;
        *ret_manager = pc_sandbox_manager_new(store, backends, ELEMENTSOF(backends));
        return 0;
}
