/* SPDX-License-Identifier: MIT */
#include "base/alloc.h"
#include "base/redact.h"
#include "config-internal.h"

PcConfig *pc_config_ref(PcConfig *c)
{
        if (c)
                c->n_ref++;
        return c;
}

PcConfig *pc_config_unref(PcConfig *c)
{
        if (!c || --c->n_ref > 0)
                return NULL;
        for (size_t i = 0; i < c->n_agents; i++) {
                free(c->agents[i].id);
                free(c->agents[i].source);
                free(c->agents[i].workspace);
                free(c->agents[i].agent_dir);
                if (c->effective)
                        json_decref(c->effective[i]);
        }
        free(c->effective);
        free(c->agents);
        json_decref(c->root);
        json_decref(c->keepalive);
        json_decref(c->sources);
        pc_jsonpos_free(c->pos);
        pc_source_files_clear(&c->files);
        free(c->path);
        free(c->state_dir);
        free(c->home);
        free(c);
        return NULL;
}

const char *pc_config_path(const PcConfig *c)
{
        return c->path;
}

const char *pc_config_source(const PcConfig *c, size_t i)
{
        return json_string_value(json_array_get(c->sources, i));
}

bool pc_config_file_exists(const PcConfig *c)
{
        return c->file_exists;
}

const char *pc_config_state_dir(const PcConfig *c)
{
        return c->state_dir;
}

const json_t *pc_config_root(const PcConfig *c)
{
        return c->root;
}

size_t pc_config_n_agents(const PcConfig *c)
{
        return c->n_agents;
}

const PcAgent *pc_config_agent(const PcConfig *c, size_t i)
{
        return i < c->n_agents ? &c->agents[i] : NULL;
}

const PcAgent *pc_config_default_agent(const PcConfig *c)
{
        return &c->agents[c->default_agent];
}

const PcAgent *pc_config_find_agent(const PcConfig *c, const char *id)
{
        _cleanup_free_ char *norm = pc_agent_id_normalize(id);
        for (size_t i = 0; i < c->n_agents; i++)
                if (streq(c->agents[i].id, norm))
                        return &c->agents[i];
        return NULL;
}

json_t *pc_config_redacted(const PcConfig *c)
{
        json_t *copy = json_deep_copy(c->root);
        pc_redact_json(copy);
        return copy;
}
