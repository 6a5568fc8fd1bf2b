/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes the whole config pipeline on one buffer: JSON5, $include (which can only fail here:
 * the buffer's directory does not exist), ${VAR}, schema validation, cross-field rules, the
 * agent table, and the effective and redacted views of a config that loads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static const char *fake_env(const char *name, void *userdata)
{
        (void) userdata;
        if (strcmp(name, "HOME") == 0)
                return "/home/fuzz";
        if (strcmp(name, "SET") == 0)
                return "value";
        return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        PcConfigLoadOptions opts = {.env = fake_env, .state_dir = "/nonexistent/state"};
        PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        int r = pc_config_load_buffer((const char *) data, size, "/nonexistent/fuzz.json5", &opts,
                                      &diags, &cfg, &err);
        if (r >= 0) {
                if (!cfg || diags.n_errors != 0)
                        abort();
                for (size_t i = 0; i < pc_config_n_agents(cfg); i++) {
                        json_t *e = pc_config_agent_effective(cfg, pc_config_agent(cfg, i), true);
                        if (!e)
                                abort();
                        json_decref(e);
                }
                json_decref(pc_config_redacted(cfg));
                pc_config_unref(cfg);
        } else if (cfg || diags.n_errors == 0)
                abort(); /* a failed load always says why */
        pc_diags_clear(&diags);
        return 0;
}
