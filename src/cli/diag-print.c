/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>

#include "base/buf.h"
#include "cli.h"

void pc_cli_print_diags(FILE *f, const PcDiags *d)
{
        _cleanup_buf_ PcBuf out = PC_BUF_INIT;
        pc_diags_format_text(d, &out);
        fputs(out.buf, f);
}

json_t *pc_cli_diags_json(const PcDiags *d, PcDiagLevel level)
{
        json_t *arr = json_array();
        for (size_t i = 0; i < d->n; i++) {
                const PcDiag *e = &d->items[i];
                if (e->level != level)
                        continue;
                json_t *o = json_object();
                json_object_set_new(o, "path", json_string(e->path));
                json_object_set_new(o, "file", e->file ? json_string(e->file) : json_null());
                json_object_set_new(o, "line", e->line ? json_integer(e->line) : json_null());
                json_object_set_new(o, "column", e->line ? json_integer(e->col) : json_null());
                json_object_set_new(o, "message", json_string(e->message));
                json_object_set_new(o, "hint", e->hint ? json_string(e->hint) : json_null());
                json_array_append_new(arr, o);
        }
        return arr;
}
