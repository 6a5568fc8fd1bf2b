/* SPDX-License-Identifier: MIT */
/*
 * The config file watcher (docs/api.md "Reload"): inotify through libuv's uv_fs_event on the
 * directories of the files the config was read from, filtered by file name.
 *
 * Directories, not the files: editors and config managers often replace a file by writing a
 * new one and renaming it over the old (vim, sed -i, Kubernetes' symlink swap), which ends an
 * inotify watch on the old inode. A directory watch sees the rename and every later write.
 * Several events in a row (truncate, write, close, rename) are debounced into one callback,
 * debounce_ms after the last.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "base/alloc.h"
#include "base/log.h"
#include "base/macro.h"
#include "gateway-internal.h"

#define MAX_WATCHED_DIRS 32

typedef struct WatchDir {
        uv_fs_event_t ev;
        PcGatewayWatch *owner; /* NULL once closing */
        char *path;
        char **names; /* base names in this directory that trigger */
        size_t n_names;
} WatchDir;

struct PcGatewayWatch {
        uv_loop_t *loop;
        uv_timer_t timer;
        unsigned debounce_ms;
        PcGatewayWatchFn fn;
        void *userdata;
        WatchDir *dirs[MAX_WATCHED_DIRS];
        size_t n_dirs;
};

static void free_dir(uv_handle_t *h)
{
        WatchDir *d = h->data;
        for (size_t i = 0; i < d->n_names; i++)
                free(d->names[i]);
        free(d->names);
        free(d->path);
        free(d);
}

static void close_dirs(PcGatewayWatch *w)
{
        for (size_t i = 0; i < w->n_dirs; i++) {
                w->dirs[i]->owner = NULL;
                uv_close((uv_handle_t *) &w->dirs[i]->ev, free_dir);
        }
        w->n_dirs = 0;
}

static void on_timer(uv_timer_t *t)
{
        PcGatewayWatch *w = t->data;
        w->fn(w->userdata);
}

static void on_event(uv_fs_event_t *ev, const char *filename, int events, int status)
{
        (void) events;
        WatchDir *d = ev->data;
        PcGatewayWatch *w = d->owner;
        if (!w)
                return;
        if (status < 0) {
                log_warning("Failed to watch %s for config changes: %s, continuing", d->path,
                            uv_strerror(status));
                return;
        }
        bool match = !filename; /* the kernel did not say which: assume ours */
        for (size_t i = 0; !match && i < d->n_names; i++)
                match = streq(d->names[i], filename);
        if (!match)
                return;
        log_debug("config watch: %s/%s changed", d->path, filename ? filename : "?");
        uv_timer_start(&w->timer, on_timer, w->debounce_ms, 0);
}

PcGatewayWatch *pc__gateway_watch_new(uv_loop_t *loop, unsigned debounce_ms, PcGatewayWatchFn fn,
                                      void *userdata)
{
        PcGatewayWatch *w = xcalloc(1, sizeof(*w));
        w->loop = loop;
        w->debounce_ms = debounce_ms;
        w->fn = fn;
        w->userdata = userdata;
        uv_timer_init(loop, &w->timer);
        w->timer.data = w;
        return w;
}

static WatchDir *dir_for(PcGatewayWatch *w, const char *dir)
{
        for (size_t i = 0; i < w->n_dirs; i++)
                if (streq(w->dirs[i]->path, dir))
                        return w->dirs[i];
        if (w->n_dirs == MAX_WATCHED_DIRS)
                return NULL;
        WatchDir *d = xcalloc(1, sizeof(*d));
        d->path = xstrdup(dir);
        d->owner = w;
        uv_fs_event_init(w->loop, &d->ev);
        d->ev.data = d;
        int r = uv_fs_event_start(&d->ev, on_event, dir, 0);
        if (r < 0) {
                log_warning("Failed to watch %s for config changes: %s; send SIGHUP after "
                            "editing files there, continuing",
                            dir, uv_strerror(r));
                d->owner = NULL;
                uv_close((uv_handle_t *) &d->ev, free_dir);
                return NULL;
        }
        w->dirs[w->n_dirs++] = d;
        return d;
}

void pc__gateway_watch_set(PcGatewayWatch *w, const char *const *files, size_t n)
{
        close_dirs(w);
        for (size_t i = 0; i < n; i++) {
                if (!files[i] || !*files[i])
                        continue;
                _cleanup_free_ char *a = xstrdup(files[i]), *b = xstrdup(files[i]);
                const char *dir = dirname(a), *base = basename(b);
                WatchDir *d = dir_for(w, dir);
                if (!d)
                        continue;
                bool have = false;
                for (size_t k = 0; k < d->n_names && !have; k++)
                        have = streq(d->names[k], base);
                if (have)
                        continue;
                d->names = xrealloc(d->names, (d->n_names + 1) * sizeof(char *));
                d->names[d->n_names++] = xstrdup(base);
        }
}

static void free_watch(uv_handle_t *h)
{
        free(h->data);
}

void pc__gateway_watch_free(PcGatewayWatch *w)
{
        if (!w)
                return;
        close_dirs(w);
        uv_timer_stop(&w->timer);
        uv_close((uv_handle_t *) &w->timer, free_watch);
}
