/* SPDX-License-Identifier: MIT */
/*
 * Chromium inside a session's sandbox: a long-running sandbox exec on a thread of its own.
 */
#include <errno.h>

#include "browser-internal.h"

int pc_browser_sandbox_launcher(PcSandboxManager *m, const PcConfig *cfg, const char *session_key,
                                PcBrowserLauncher *ret, PcError *reterr)
{
        (void) m;
        (void) cfg;
        (void) session_key;
        (void) ret;
        return pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -EOPNOTSUPP,
                                 "the sandbox browser needs streaming sandbox exec, which this "
                                 "build lacks");
}
