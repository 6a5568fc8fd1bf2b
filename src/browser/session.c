/* SPDX-License-Identifier: MIT */
/*
 * The running browsers: one per key, started on demand, restarted after a crash, stopped when
 * idle, when their sandbox goes away, or when the gateway stops.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/fs-util.h"
#include "base/log.h"
#include "browser-internal.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static PcBrowser **registry;
static size_t n_registry;

int64_t pc_browser_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Finds or makes the browser of key; returned locked. */
PcBrowser *pc_browser_get(const char *key);
PcBrowser *pc_browser_get(const char *key)
{
        pthread_mutex_lock(&registry_lock);
        PcBrowser *b = NULL;
        for (size_t i = 0; i < n_registry; i++)
                if (streq(registry[i]->key, key))
                        b = registry[i];
        if (!b) {
                b = xcalloc(1, sizeof(*b));
                pthread_mutex_init(&b->lock, NULL);
                b->key = xstrdup(key);
                registry = xrealloc(registry, (n_registry + 1) * sizeof(*registry));
                registry[n_registry++] = b;
        }
        pthread_mutex_unlock(&registry_lock);
        pthread_mutex_lock(&b->lock);
        return b;
}

static void on_event(void *userdata, const PcCdpMessage *ev)
{
        PcBrowser *b = userdata;
        if (streq(ev->method, "Runtime.consoleAPICalled") ||
            streq(ev->method, "Runtime.exceptionThrown")) {
                char text[PC_BROWSER_CONSOLE_TEXT + 1] = "";
                const char *type = "error";
                if (streq(ev->method, "Runtime.consoleAPICalled")) {
                        type = json_string_value(json_object_get(ev->params, "type"));
                        size_t i, used = 0;
                        json_t *a;
                        json_array_foreach (json_object_get(ev->params, "args"), i, a) {
                                const char *s = json_string_value(json_object_get(a, "value"));
                                char num[64];
                                json_t *v = json_object_get(a, "value");
                                if (!s && json_is_number(v)) {
                                        snprintf(num, sizeof(num), "%g", json_number_value(v));
                                        s = num;
                                }
                                if (!s)
                                        s = json_string_value(json_object_get(a, "description"));
                                if (!s)
                                        s = json_string_value(json_object_get(a, "type"));
                                int n = snprintf(text + used, sizeof(text) - used, "%s%s",
                                                 i ? " " : "", s ? s : "");
                                if (n < 0 || (size_t) n >= sizeof(text) - used)
                                        break;
                                used += (size_t) n;
                        }
                } else {
                        json_t *d = json_object_get(ev->params, "exceptionDetails");
                        const char *s = json_string_value(
                                json_object_get(json_object_get(d, "exception"), "description"));
                        if (!s)
                                s = json_string_value(json_object_get(d, "text"));
                        snprintf(text, sizeof(text), "%s", s ? s : "uncaught exception");
                }
                const char *target = NULL, *k;
                json_t *v;
                json_object_foreach (b->sessions, k, v)
                        if (streq_ptr(json_string_value(v), ev->session_id))
                                target = k;
                json_t *msg = json_pack("{s:s,s:s,s:s?}", "type", type ? type : "log", "text", text,
                                        "targetId", target);
                json_array_append_new(b->console, msg);
                while (json_array_size(b->console) > PC_BROWSER_CONSOLE_MAX)
                        json_array_remove(b->console, 0);
        } else if (streq(ev->method, "Target.detachedFromTarget")) {
                const char *sid = json_string_value(json_object_get(ev->params, "sessionId"));
                const char *k;
                json_t *v;
                void *tmp;
                json_object_foreach_safe (b->sessions, tmp, k, v)
                        if (streq_ptr(json_string_value(v), sid))
                                json_object_del(b->sessions, k);
        } else if (streq(ev->method, "Target.targetDestroyed")) {
                const char *t = json_string_value(json_object_get(ev->params, "targetId"));
                if (t) {
                        json_object_del(b->sessions, t);
                        if (streq_ptr(b->current, t)) {
                                free(b->current);
                                b->current = NULL;
                        }
                }
        }
}

bool pc_browser_running(PcBrowser *b)
{
        if (b->cdp)
                pc_cdp_drain(b->cdp); /* notices an end of file: it exited */
        if (b->cdp && !pc_cdp_alive(b->cdp)) {
                /* it died (killed, crashed, its sandbox removed) */
                pc_browser_stop(b);
                b->crashed = true;
        }
        return b->cdp != NULL;
}

void pc_browser_stop(PcBrowser *b)
{
        pc_cdp_free(b->cdp);
        b->cdp = NULL;
        pc_browser_process_kill(b->proc);
        b->proc = NULL;
        if (b->profile_dir) {
                (void) pc_rm_rf(b->profile_dir);
                free(b->profile_dir);
                b->profile_dir = NULL;
        }
        free(b->current);
        b->current = NULL;
        json_decref(b->sessions);
        b->sessions = NULL;
        if (b->launcher.release)
                b->launcher.release(b->launcher.userdata);
        b->launcher = (PcBrowserLauncher){0};
}

int pc_browser_start(PcBrowser *b, const PcBrowserOptions *o, PcError *reterr)
{
        if (b->cdp)
                return 0;
        b->launcher = o->launcher;
        free(b->where);
        b->where = xstrdup(o->where);
        b->idle_stop_ms = o->idle_stop_ms;
        const char *profile = o->profile_dir;
        if (!profile) {
                char tmpl[] = "/tmp/pincer-browser-XXXXXX";
                if (!mkdtemp(tmpl)) {
                        int r = pc_error_set(reterr, -errno, "browser profile directory: %s",
                                             strerror(errno));
                        pc_browser_stop(b); /* gives the launcher back */
                        return r;
                }
                b->profile_dir = xstrdup(tmpl);
                profile = b->profile_dir;
        }
        char user_data[4200], window[64];
        snprintf(user_data, sizeof(user_data), "--user-data-dir=%s", profile);
        snprintf(window, sizeof(window), "--window-size=%d,%d", PC_BROWSER_VIEW_W,
                 PC_BROWSER_VIEW_H);
        const char *argv[64 + 32];
        size_t n = 0;
        argv[n++] = o->executable;
        if (o->headless)
                argv[n++] = "--headless=new";
        if (o->no_sandbox)
                argv[n++] = "--no-sandbox";
        static const char *const fixed[] = {
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-breakpad",
                "--disable-crash-reporter",
                "--disable-extensions",
                "--disable-sync",
                "--disable-gpu",
                "--password-store=basic",
                "--use-mock-keychain",
                "--hide-scrollbars",
                "--mute-audio",
        };
        for (size_t i = 0; i < ELEMENTSOF(fixed); i++)
                argv[n++] = fixed[i];
        argv[n++] = user_data;
        argv[n++] = window;
        for (size_t i = 0; o->extra_args && o->extra_args[i] && n < 64 + 30; i++)
                argv[n++] = o->extra_args[i];
        argv[n++] = "about:blank";
        argv[n] = NULL;

        int fd = -1;
        PcBrowserProcess *proc = NULL;
        int r = b->launcher.start(b->launcher.userdata, argv, &fd, &proc, reterr);
        if (r < 0) {
                if (r == -ENOENT || reterr->kind == PC_ERROR_NOT_FOUND)
                        pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                          "Chromium (%s) is not installed %s. %s", o->executable,
                                          streq(o->where, "sandbox") ? "in the sandbox image"
                                                                     : "on the gateway host",
                                          o->missing_hint ? o->missing_hint : "");
                pc_browser_stop(b);
                return r;
        }
        b->proc = proc;
        b->cdp = pc_cdp_new(fd, fd, on_event, b);
        b->sessions = json_object();
        if (!b->console)
                b->console = json_array();
        /* the first answer says it is up */
        json_t *ver = NULL;
        r = pc_cdp_call(b->cdp, NULL, "Browser.getVersion", NULL, o->start_timeout_ms, &ver,
                        reterr);
        if (r < 0) {
                bool missing = r == -EPIPE;
                pc_browser_stop(b);
                if (missing)
                        return pc_error_set_kind(
                                reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                "Chromium (%s) did not start %s: it is missing or exited at once. "
                                "%s",
                                o->executable,
                                streq(o->where, "sandbox") ? "in the sandbox" : "on the host",
                                o->missing_hint ? o->missing_hint : "");
                return pc_error_prefix(
                        reterr, "Chromium did not start within %d ms: ", o->start_timeout_ms);
        }
        json_decref(ver);
        r = pc_cdp_call(b->cdp, NULL, "Target.setDiscoverTargets",
                        json_pack("{s:b}", "discover", 1), o->action_timeout_ms, NULL, reterr);
        if (r < 0) {
                pc_browser_stop(b);
                return r;
        }
        b->started_ms = pc_browser_now_ms();
        return 0;
}

/* Copies, not pointers into b->sessions or b->current: an event read during any CDP call
 * (a tab closed, a target detached) may remove those entries. */
int pc_browser_attach(PcBrowser *b, const char *target_id, int timeout_ms, char **ret_session,
                      PcError *reterr)
{
        const char *known = json_string_value(json_object_get(b->sessions, target_id));
        if (known) {
                *ret_session = xstrdup(known);
                return 0;
        }
        _cleanup_free_ char *tid = xstrdup(target_id);
        json_t *res = NULL;
        int r = pc_cdp_call(b->cdp, NULL, "Target.attachToTarget",
                            json_pack("{s:s,s:b}", "targetId", tid, "flatten", 1), timeout_ms, &res,
                            reterr);
        if (r < 0)
                return r;
        const char *s = json_string_value(json_object_get(res, "sessionId"));
        if (!s) {
                json_decref(res);
                return pc_error_set(reterr, -EIO, "Target.attachToTarget gave no sessionId");
        }
        _cleanup_free_ char *sid = xstrdup(s);
        json_decref(res);
        json_object_set_new(b->sessions, tid, json_string(sid));
        static const char *const domains[] = {"Page.enable", "Runtime.enable"};
        for (size_t i = 0; i < ELEMENTSOF(domains); i++) {
                r = pc_cdp_call(b->cdp, sid, domains[i], NULL, timeout_ms, NULL, reterr);
                if (r < 0)
                        return r;
        }
        r = pc_cdp_call(b->cdp, sid, "Emulation.setDeviceMetricsOverride",
                        json_pack("{s:i,s:i,s:i,s:b}", "width", PC_BROWSER_VIEW_W, "height",
                                  PC_BROWSER_VIEW_H, "deviceScaleFactor", 1, "mobile", 0),
                        timeout_ms, NULL, reterr);
        if (r < 0)
                return r;
        *ret_session = TAKE_PTR(sid);
        return 0;
}

/* The length of s cut at max bytes, on a UTF-8 boundary. */
static size_t bounded(const char *s, size_t max)
{
        size_t n = s ? strlen(s) : 0;
        if (n <= max)
                return n;
        while (max > 0 && ((unsigned char) s[max] & 0xC0) == 0x80)
                max--;
        return max;
}

int pc_browser_tabs(PcBrowser *b, int timeout_ms, json_t **ret, PcError *reterr)
{
        json_t *res = NULL;
        int r = pc_cdp_call(b->cdp, NULL, "Target.getTargets", NULL, timeout_ms, &res, reterr);
        if (r < 0)
                return r;
        json_t *tabs = json_array();
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(res, "targetInfos"), i, t) {
                if (!streq_ptr(json_string_value(json_object_get(t, "type")), "page"))
                        continue;
                const char *id = json_string_value(json_object_get(t, "targetId"));
                if (!id)
                        continue;
                /* a page sets its own title and URL: bounded */
                const char *title = json_string_value(json_object_get(t, "title"));
                const char *url = json_string_value(json_object_get(t, "url"));
                json_array_append_new(tabs,
                                      json_pack("{s:s,s:s%,s:s%,s:s,s:b}", "targetId", id, "title",
                                                title ? title : "", bounded(title, 500), "url",
                                                url ? url : "", bounded(url, 8192), "type", "page",
                                                "current", streq_ptr(b->current, id)));
        }
        json_decref(res);
        *ret = tabs;
        return 0;
}

int pc_browser_page(PcBrowser *b, int timeout_ms, char **ret_session, PcError *reterr)
{
        if (!b->current) {
                json_t *tabs = NULL;
                int r = pc_browser_tabs(b, timeout_ms, &tabs, reterr);
                if (r < 0)
                        return r;
                const char *id =
                        json_string_value(json_object_get(json_array_get(tabs, 0), "targetId"));
                if (id) {
                        b->current = xstrdup(id);
                } else {
                        json_t *res = NULL;
                        r = pc_cdp_call(b->cdp, NULL, "Target.createTarget",
                                        json_pack("{s:s}", "url", "about:blank"), timeout_ms, &res,
                                        reterr);
                        if (r < 0) {
                                json_decref(tabs);
                                return r;
                        }
                        const char *t = json_string_value(json_object_get(res, "targetId"));
                        b->current = t ? xstrdup(t) : NULL;
                        json_decref(res);
                }
                json_decref(tabs);
                if (!b->current)
                        return pc_error_set(reterr, -EIO, "the browser has no tab");
        }
        return pc_browser_attach(b, b->current, timeout_ms, ret_session, reterr);
}

static void for_each(void (*fn)(PcBrowser *b, const void *arg), const void *arg)
{
        pthread_mutex_lock(&registry_lock);
        size_t n = n_registry;
        PcBrowser **copy = xmalloc((n ? n : 1) * sizeof(*copy));
        if (n)
                memcpy(copy, registry, n * sizeof(*copy));
        pthread_mutex_unlock(&registry_lock);
        for (size_t i = 0; i < n; i++) {
                pthread_mutex_lock(&copy[i]->lock);
                fn(copy[i], arg);
                pthread_mutex_unlock(&copy[i]->lock);
        }
        free(copy);
}

/* A stopped browser keeps its registry entry (small) but not its console messages. */
static void stop_and_forget(PcBrowser *b)
{
        pc_browser_stop(b);
        json_decref(b->console);
        b->console = NULL;
}

static void stop_if_key(PcBrowser *b, const void *arg)
{
        if (!arg || streq(b->key, arg)) {
                if (b->cdp)
                        log_debug("browser of %s stopped", b->key);
                stop_and_forget(b);
        }
}

static void stop_if_idle(PcBrowser *b, const void *arg)
{
        (void) arg;
        if (b->cdp && b->idle_stop_ms > 0 &&
            pc_browser_now_ms() - b->last_used_ms > b->idle_stop_ms) {
                log_info("browser of %s idle for %d ms, stopped", b->key, b->idle_stop_ms);
                stop_and_forget(b);
        }
}

void pc_browser_stop_key(const char *key)
{
        for_each(stop_if_key, key);
}

void pc_browser_stop_all(void)
{
        for_each(stop_if_key, NULL);
}

void pc_browser_stop_idle(void)
{
        for_each(stop_if_idle, NULL);
}
