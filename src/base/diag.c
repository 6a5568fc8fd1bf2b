/* SPDX-License-Identifier: MIT */
#include "diag.h"

#include <stdarg.h>

#include "alloc.h"
#include "buf.h"

void pc_diags_add(PcDiags *d, PcDiagLevel level, const char *path, const char *file, uint32_t line,
                  uint32_t col, const char *hint, const char *fmt, ...)
{
        if (level == PC_DIAG_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        if (d->n >= PC_DIAGS_MAX)
                return;
        d->items = xgrow(d->items, &d->alloc, d->n + 1, sizeof(PcDiag));
        PcDiag *e = &d->items[d->n++];
        va_list ap;
        va_start(ap, fmt);
        *e = (PcDiag){
                .level = level,
                .path = xstrdup(path ? path : ""),
                .file = file ? xstrdup(file) : NULL,
                .line = line,
                .col = col,
                .message = xvasprintf(fmt, ap),
                .hint = hint && *hint ? xstrdup(hint) : NULL,
        };
        va_end(ap);
}

void pc_diags_clear(PcDiags *d)
{
        for (size_t i = 0; i < d->n; i++) {
                free(d->items[i].path);
                free(d->items[i].file);
                free(d->items[i].message);
                free(d->items[i].hint);
        }
        free(d->items);
        *d = (PcDiags) PC_DIAGS_INIT;
}

void pc_diags_format_text(const PcDiags *d, PcBuf *out)
{
        size_t shown_errors = 0, shown_warnings = 0;
        for (size_t i = 0; i < d->n; i++) {
                const PcDiag *e = &d->items[i];
                const char *level = e->level == PC_DIAG_ERROR ? "error" : "warning";
                *(e->level == PC_DIAG_ERROR ? &shown_errors : &shown_warnings) += 1;
                if (e->file && e->line)
                        pc_buf_addf(out, "%s:%u:%u: %s: ", e->file, e->line, e->col, level);
                else if (e->file)
                        pc_buf_addf(out, "%s: %s: ", e->file, level);
                else
                        pc_buf_addf(out, "%s: ", level);
                if (*e->path)
                        pc_buf_addf(out, "%s: ", e->path);
                pc_buf_addf(out, "%s\n", e->message);
                if (e->hint)
                        pc_buf_addf(out, "  hint: %s\n", e->hint);
        }
        size_t hidden = d->n_errors + d->n_warnings - shown_errors - shown_warnings;
        if (hidden)
                pc_buf_addf(out, "(%zu more not shown)\n", hidden);
}
