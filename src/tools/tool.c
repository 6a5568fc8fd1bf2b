/* SPDX-License-Identifier: MIT */
#include "tool.h"

void pc_tool_result_init(PcToolResult *r)
{
        *r = (PcToolResult){.exit_code = -1};
}

void pc_tool_result_release(PcToolResult *r)
{
        json_decref(r->content);
        json_decref(r->details);
        pc_tool_result_init(r);
}

void pc_tool_result_text(PcToolResult *r, const char *text, bool is_error)
{
        json_decref(r->content);
        r->content = json_pack("[{s:s,s:s}]", "type", "text", "text", text);
        r->is_error = is_error;
}
