/* SPDX-License-Identifier: MIT */
/*
 * The sandbox backends of a process that runs tools (the gateway, the CLI): docker and
 * native, opened lazily by the manager. One table for every caller, so `pincer sandbox` and
 * `pincer gateway` see the same backends.
 */
#pragma once

#include "sandbox/manager.h"
#include "store/store.h"

/* Called with the Docker backend's provisioning output (image pulls and builds); NULL: none. */
typedef void (*PcProvisionOutputFn)(const char *text, size_t len, void *userdata);

/*
 * Opens the store of cfg's state dir and a manager with the default backends. The native
 * backend keeps a copy of the state dir of the first call (one state dir per process).
 * Errors: the store's (PcError says which path). On success the caller owns *ret_store and
 * *ret_manager; free the manager before closing the store.
 */
int pc_daemon_open_manager(const PcConfig *cfg, PcProvisionOutputFn on_output, PcStore **ret_store,
                           PcSandboxManager **ret_manager, PcError *reterr);
