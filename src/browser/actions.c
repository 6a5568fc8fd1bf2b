/* SPDX-License-Identifier: MIT */
/*
 * The browser tool's actions (OpenClaw's browser tool, spec gateway 3.10): status, start,
 * stop, tabs, open, focus, close, navigate, snapshot, screenshot, act, console.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "browser-internal.h"

PcBrowser *pc_browser_get(const char *key);

void pc_browser_result_release(PcBrowserResult *r)
{
        json_decref(r->content);
        json_decref(r->details);
        *r = (PcBrowserResult){0};
}

/* OpenClaw's jsonResult: the text is the JSON, details the object. Steals x. */
static void json_result(PcBrowserResult *ret, json_t *x)
{
        char *text = json_dumps(x, JSON_INDENT(2));
        ret->content = json_pack("[{s:s,s:s}]", "type", "text", "text", text ? text : "{}");
        free(text);
        ret->details = x;
}

static void text_result(PcBrowserResult *ret, const char *text, json_t *details, bool is_error)
{
        ret->content = json_pack("[{s:s,s:s}]", "type", "text", "text", text);
        ret->details = details;
        ret->is_error = is_error;
}

/* The answer when a snapshot ref no longer names an element (ACT_REF_NOT_FOUND). */
static void ref_not_found(PcBrowserResult *ret, const char *ref, const char *why)
{
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "Element %s not found on the page%s; take a new snapshot and use its refs", ref,
                 why);
        text_result(ret, msg, json_pack("{s:b,s:s}", "ok", 0, "code", "ACT_REF_NOT_FOUND"), true);
}

_printf_(2, 3) static int bad(PcError *reterr, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char msg[PC_ERROR_MSG_MAX];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return pc_error_set(reterr, -EINVAL, "%s", msg);
}

/* Evaluates expression in the page and returns its value (JSON-decoded when want_json). */
static int page_eval(PcBrowser *b, const char *sid, const char *expr, int timeout_ms,
                     json_t **ret_value, PcError *reterr)
{
        json_t *res = NULL;
        int r = pc_cdp_call(b->cdp, sid, "Runtime.evaluate",
                            json_pack("{s:s,s:b,s:b,s:b}", "expression", expr, "returnByValue", 1,
                                      "awaitPromise", 1, "userGesture", 1),
                            timeout_ms, &res, reterr);
        if (r < 0)
                return r;
        json_t *exc = json_object_get(res, "exceptionDetails");
        if (exc) {
                const char *d = json_string_value(
                        json_object_get(json_object_get(exc, "exception"), "description"));
                if (!d)
                        d = json_string_value(json_object_get(exc, "text"));
                r = pc_error_set(reterr, -EIO, "the page script threw: %s", d ? d : "an error");
                json_decref(res);
                return r;
        }
        json_t *v = json_object_get(json_object_get(res, "result"), "value");
        *ret_value = json_incref(v ? v : json_null());
        json_decref(res);
        return 0;
}

/* Calls one of snapshot.c's functions with JSON arguments; decodes its JSON string answer. */
static int page_call(PcBrowser *b, const char *sid, const char *fn, json_t *args, int timeout_ms,
                     json_t **ret, PcError *reterr)
{
        _cleanup_buf_ PcBuf expr = PC_BUF_INIT;
        char *a = json_dumps(args, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(args);
        pc_buf_addf(&expr, "%s(...%s)", fn, a);
        free(a);
        json_t *v = NULL;
        int r = page_eval(b, sid, expr.buf, timeout_ms, &v, reterr);
        if (r < 0)
                return r;
        json_error_t jerr;
        json_t *out = json_is_string(v) ? json_loads(json_string_value(v), 0, &jerr) : NULL;
        json_decref(v);
        if (!out)
                return pc_error_set(reterr, -EIO, "the page answered something unexpected");
        *ret = out;
        return 0;
}

static int do_snapshot(PcBrowser *b, const char *sid, const json_t *args, int timeout_ms,
                       json_t **ret, PcError *reterr)
{
        json_int_t max = PC_BROWSER_SNAPSHOT_CHARS;
        const json_t *mc = json_object_get(args, "maxChars");
        if (mc) {
                if (!json_is_integer(mc) || json_integer_value(mc) < 1 ||
                    json_integer_value(mc) > PC_BROWSER_SNAPSHOT_MAX)
                        return pc_error_set(reterr, -EINVAL,
                                            "browser: 'maxChars' must be an integer from 1 to %d",
                                            PC_BROWSER_SNAPSHOT_MAX);
                max = json_integer_value(mc);
        }
        bool interactive = json_is_true(json_object_get(args, "interactive"));
        return page_call(b, sid, pc_browser_snapshot_js, json_pack("[I,b]", max, interactive),
                         timeout_ms, ret, reterr);
}

static void snapshot_result(PcBrowserResult *ret, const char *target, const char *lead,
                            json_t *snap)
{
        _cleanup_buf_ PcBuf t = PC_BUF_INIT;
        if (lead)
                pc_buf_addf(&t, "%s\n", lead);
        pc_buf_addf(&t, "Page: %s\nURL: %s\nTarget: %s\n\n%s",
                    json_string_value(json_object_get(snap, "title")) ?: "",
                    json_string_value(json_object_get(snap, "url")) ?: "", target,
                    json_string_value(json_object_get(snap, "snapshot")) ?: "");
        json_object_set_new(snap, "ok", json_true());
        json_object_set_new(snap, "targetId", json_string(target));
        json_object_set_new(snap, "format", json_string("ai"));
        text_result(ret, t.buf, snap, false);
}

static int wait_load(PcBrowser *b, int timeout_ms, PcError *reterr)
{
        int r = pc_cdp_wait(b->cdp, timeout_ms, reterr);
        pc_cdp_expect(b->cdp, NULL, "");
        return r;
}

static int do_navigate(PcBrowser *b, const char *sid, const char *url, int timeout_ms,
                       char *errtext, size_t errlen, PcError *reterr)
{
        json_t *res = NULL;
        pc_cdp_expect(b->cdp, sid, "Page.loadEventFired");
        int r = pc_cdp_call(b->cdp, sid, "Page.navigate", json_pack("{s:s}", "url", url),
                            timeout_ms, &res, reterr);
        if (r < 0)
                return r;
        const char *e = json_string_value(json_object_get(res, "errorText"));
        bool same_doc = !json_object_get(res, "loaderId");
        if (e && *e) {
                snprintf(errtext, errlen, "%s", e);
                json_decref(res);
                pc_cdp_expect(b->cdp, NULL, "");
                return 0;
        }
        json_decref(res);
        if (same_doc) {
                pc_cdp_expect(b->cdp, NULL, "");
                return 0;
        }
        r = wait_load(b, timeout_ms, reterr);
        if (r == -ETIMEDOUT)
                return pc_error_set(reterr, r,
                                    "%s did not finish loading within %d ms (timeoutMs raises the "
                                    "limit)",
                                    url, timeout_ms);
        return r;
}

/* file:// only in a sandbox: there it names the sandbox's files; on the host it would read
 * any file the gateway can, past the file tools' confinement. */
static int check_url(const char *url, bool allow_file, PcError *reterr)
{
        if (!url || !*url)
                return pc_error_set(reterr, -EINVAL, "browser: 'targetUrl' is required (a URL)");
        if (strlen(url) > PC_BROWSER_URL_MAX)
                return pc_error_set(reterr, -E2BIG, "browser: the URL is longer than %d bytes",
                                    PC_BROWSER_URL_MAX);
        static const char *const schemes[] = {"http://", "https://", "about:", "data:", "file://"};
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
                if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0 &&
                    (allow_file || !streq(schemes[i], "file://")))
                        return 0;
        return pc_error_set(reterr, -EINVAL,
                            "browser: '%.200s' is not a URL Pincer opens (http://, https://, "
                            "about:, data:%s)",
                            url, allow_file ? " or file://" : "; file:// only in a sandbox");
}

static int mouse_click(PcBrowser *b, const char *sid, double x, double y, const char *button,
                       int clicks, int timeout_ms, PcError *reterr)
{
        static const char *const types[] = {"mouseMoved", "mousePressed", "mouseReleased"};
        for (int c = 1; c <= clicks; c++)
                for (size_t i = c == 1 ? 0 : 1; i < ELEMENTSOF(types); i++) {
                        int r = pc_cdp_call(b->cdp, sid, "Input.dispatchMouseEvent",
                                            json_pack("{s:s,s:f,s:f,s:s,s:i}", "type", types[i],
                                                      "x", x, "y", y, "button",
                                                      i == 0 ? "none" : button, "clickCount", c),
                                            timeout_ms, NULL, reterr);
                        if (r < 0)
                                return r;
                }
        return 0;
}

typedef struct Key {
        const char *key, *code, *text;
        int vk;
} Key;

static const Key keys[] = {
        {"Enter", "Enter", "\r", 13},
        {"Tab", "Tab", NULL, 9},
        {"Escape", "Escape", NULL, 27},
        {"Backspace", "Backspace", NULL, 8},
        {"Delete", "Delete", NULL, 46},
        {"ArrowUp", "ArrowUp", NULL, 38},
        {"ArrowDown", "ArrowDown", NULL, 40},
        {"ArrowLeft", "ArrowLeft", NULL, 37},
        {"ArrowRight", "ArrowRight", NULL, 39},
        {"Home", "Home", NULL, 36},
        {"End", "End", NULL, 35},
        {"PageUp", "PageUp", NULL, 33},
        {"PageDown", "PageDown", NULL, 34},
        {"Space", "Space", " ", 32},
};

static int press_key(PcBrowser *b, const char *sid, const char *name, int timeout_ms,
                     PcError *reterr)
{
        Key k = {0};
        char one[8] = "";
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (strcasecmp(keys[i].key, name) == 0)
                        k = keys[i];
        if (!k.key) {
                if (strlen(name) != 1)
                        return pc_error_set(reterr, -EINVAL,
                                            "browser: unknown key '%.40s' (a single character, or "
                                            "Enter, Tab, Escape, Backspace, Delete, Arrow*, Home, "
                                            "End, PageUp, PageDown, Space)",
                                            name);
                snprintf(one, sizeof(one), "%s", name);
                k = (Key){.key = one, .text = one, .vk = (unsigned char) one[0]};
        }
        int r = pc_cdp_call(b->cdp, sid, "Input.dispatchKeyEvent",
                            json_pack("{s:s,s:s,s:s*,s:s*,s:i}", "type",
                                      k.text ? "keyDown" : "rawKeyDown", "key", k.key, "code",
                                      k.code, "text", k.text, "windowsVirtualKeyCode", k.vk),
                            timeout_ms, NULL, reterr);
        if (r < 0)
                return r;
        return pc_cdp_call(b->cdp, sid, "Input.dispatchKeyEvent",
                           json_pack("{s:s,s:s,s:s*,s:i}", "type", "keyUp", "key", k.key, "code",
                                     k.code, "windowsVirtualKeyCode", k.vk),
                           timeout_ms, NULL, reterr);
}

/* Locates ref (scrolling it into view; focus 2 also focuses it). 1: found, 0: missing. */
static int locate_box(PcBrowser *b, const char *sid, const char *ref, int how, int timeout_ms,
                      double *x, double *y, double box[4], PcError *reterr)
{
        json_t *pos = NULL;
        int r = page_call(b, sid, pc_browser_ref_js, json_pack("[s,i]", ref, how), timeout_ms, &pos,
                          reterr);
        if (r < 0)
                return r;
        bool missing = json_object_get(pos, "error") != NULL;
        *x = json_number_value(json_object_get(pos, "x"));
        *y = json_number_value(json_object_get(pos, "y"));
        if (box) {
                box[0] = json_number_value(json_object_get(pos, "left"));
                box[1] = json_number_value(json_object_get(pos, "top"));
                box[2] = json_number_value(json_object_get(pos, "w"));
                box[3] = json_number_value(json_object_get(pos, "h"));
        }
        json_decref(pos);
        return missing ? 0 : 1;
}

static int locate(PcBrowser *b, const char *sid, const char *ref, int how, int timeout_ms,
                  double *x, double *y, PcError *reterr)
{
        return locate_box(b, sid, ref, how, timeout_ms, x, y, NULL, reterr);
}

static int do_act(PcBrowser *b, const char *sid, const PcBrowserOptions *o, const json_t *args,
                  int timeout_ms, PcBrowserResult *ret, PcError *reterr)
{
        const json_t *req = json_object_get(args, "request");
        if (req && !json_is_object(req))
                return bad(reterr, "browser: '%s' must be an object", "request");
        if (!req)
                req = args;
        const char *kind = json_string_value(json_object_get(req, "kind"));
        if (!kind)
                return pc_error_set(reterr, -EINVAL,
                                    "browser: act needs request.kind (click, type, press, scroll, "
                                    "hover, wait, evaluate)");
        const char *ref = json_string_value(json_object_get(req, "ref"));
        if (ref && strlen(ref) > 32)
                return bad(reterr, "browser: '%s' is not a ref from a snapshot", "ref");
        double x = 0, y = 0;
        int r;
        bool needs_ref = streq(kind, "click") || streq(kind, "type") || streq(kind, "hover") ||
                         streq(kind, "fill");
        if (needs_ref && !ref)
                return pc_error_set(reterr, -EINVAL,
                                    "browser: act %s needs request.ref (from a "
                                    "snapshot)",
                                    kind);
        if (ref) {
                /* 1: scroll into view; 2: and focus (type); 3: and select its text (fill) */
                int how = streq(kind, "fill") ? 3 : streq(kind, "type") ? 2 : 1;
                r = locate(b, sid, ref, how, timeout_ms, &x, &y, reterr);
                if (r < 0)
                        return r;
                if (r == 0) {
                        ref_not_found(ret, ref, ": it is gone or the page changed");
                        return 0;
                }
        }
        json_t *out = json_pack("{s:b,s:s,s:s?}", "ok", 1, "kind", kind, "ref", ref);
        if (streq(kind, "click")) {
                const char *button = json_string_value(json_object_get(req, "button"));
                if (!button)
                        button = "left";
                if (!streq(button, "left") && !streq(button, "right") && !streq(button, "middle")) {
                        json_decref(out);
                        return bad(reterr, "browser: '%s' must be left, right or middle", "button");
                }
                int clicks = json_is_true(json_object_get(req, "doubleClick")) ? 2 : 1;
                r = mouse_click(b, sid, x, y, button, clicks, timeout_ms, reterr);
        } else if (streq(kind, "hover")) {
                r = pc_cdp_call(b->cdp, sid, "Input.dispatchMouseEvent",
                                json_pack("{s:s,s:f,s:f}", "type", "mouseMoved", "x", x, "y", y),
                                timeout_ms, NULL, reterr);
        } else if (streq(kind, "type") || streq(kind, "fill")) {
                const char *text = json_string_value(json_object_get(req, "text"));
                if (!text)
                        text = json_string_value(json_object_get(req, "value"));
                if (!text || strlen(text) > PC_BROWSER_TEXT_MAX) {
                        json_decref(out);
                        return pc_error_set(reterr, -EINVAL,
                                            "browser: act %s needs request.text (a string of at "
                                            "most %d bytes)",
                                            kind, PC_BROWSER_TEXT_MAX);
                }
                r = pc_cdp_call(b->cdp, sid, "Input.insertText", json_pack("{s:s}", "text", text),
                                timeout_ms, NULL, reterr);
                if (r >= 0 && json_is_true(json_object_get(req, "submit")))
                        r = press_key(b, sid, "Enter", timeout_ms, reterr);
        } else if (streq(kind, "press")) {
                const char *key = json_string_value(json_object_get(req, "key"));
                if (!key) {
                        json_decref(out);
                        return bad(reterr, "browser: act press needs request.%s (e.g. Enter)",
                                   "key");
                }
                r = press_key(b, sid, key, timeout_ms, reterr);
        } else if (streq(kind, "scroll") || streq(kind, "scrollIntoView")) {
                if (!ref) {
                        double dx = json_number_value(json_object_get(req, "deltaX"));
                        double dy = json_object_get(req, "deltaY")
                                            ? json_number_value(json_object_get(req, "deltaY"))
                                            : PC_BROWSER_VIEW_H * 0.8;
                        r = pc_cdp_call(b->cdp, sid, "Input.dispatchMouseEvent",
                                        json_pack("{s:s,s:i,s:i,s:f,s:f}", "type", "mouseWheel",
                                                  "x", PC_BROWSER_VIEW_W / 2, "y",
                                                  PC_BROWSER_VIEW_H / 2, "deltaX", dx, "deltaY",
                                                  dy),
                                        timeout_ms, NULL, reterr);
                } else {
                        r = 0; /* locate() scrolled it into view */
                }
        } else if (streq(kind, "wait")) {
                const json_t *t = json_object_get(req, "timeMs");
                json_int_t ms = json_is_integer(t) ? json_integer_value(t) : 0;
                if (ms < 0 || ms > 60000) {
                        json_decref(out);
                        return bad(reterr, "browser: '%s' must be 0..60000", "timeMs");
                }
                const char *text = json_string_value(json_object_get(req, "text"));
                const char *gone = json_string_value(json_object_get(req, "textGone"));
                if ((text && strlen(text) > 1000) || (gone && strlen(gone) > 1000)) {
                        json_decref(out);
                        return bad(reterr, "browser: '%s' is longer than 1000 bytes", "text");
                }
                if (!text && !gone) {
                        usleep((useconds_t) ms * 1000);
                        r = 0;
                } else {
                        /* until the page's text has (or no longer has) it, or timeoutMs */
                        json_t *w = json_string(text ? text : gone);
                        char *want = w ? json_dumps(w, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
                        json_decref(w);
                        if (!want) {
                                json_decref(out);
                                return bad(reterr, "browser: '%s' is not valid text", "text");
                        }
                        json_t *t_val = NULL;
                        _cleanup_buf_ PcBuf e = PC_BUF_INIT;
                        pc_buf_addf(&e,
                                    "String(document.body ? document.body.innerText : '')"
                                    ".includes(%s)",
                                    want);
                        free(want);
                        int64_t until = pc_browser_now_ms() + timeout_ms;
                        bool met = false;
                        while ((r = page_eval(b, sid, e.buf, timeout_ms, &t_val, reterr)) >= 0) {
                                met = json_is_true(t_val) == (text != NULL);
                                json_decref(t_val);
                                t_val = NULL;
                                if (met || pc_browser_now_ms() >= until)
                                        break;
                                usleep(100 * 1000);
                        }
                        if (r >= 0 && !met) {
                                json_decref(out);
                                char msg[1200];
                                snprintf(msg, sizeof(msg),
                                         "The page %s \"%s\" after %d ms (timeoutMs raises "
                                         "the limit)",
                                         text ? "still does not show" : "still shows",
                                         text ? text : gone, timeout_ms);
                                text_result(
                                        ret, msg,
                                        json_pack("{s:b,s:s}", "ok", 0, "code", "ACT_WAIT_TIMEOUT"),
                                        true);
                                return 0;
                        }
                }
        } else if (streq(kind, "evaluate")) {
                if (!o->evaluate_enabled) {
                        json_decref(out);
                        text_result(
                                ret,
                                "evaluate is disabled (browser.evaluateEnabled is false); "
                                "use snapshot and act instead",
                                json_pack("{s:b,s:s}", "ok", 0, "code", "ACT_EVALUATE_DISABLED"),
                                true);
                        return 0;
                }
                const char *fn = json_string_value(json_object_get(req, "fn"));
                if (!fn || strlen(fn) > PC_BROWSER_TEXT_MAX) {
                        json_decref(out);
                        return pc_error_set(reterr, -EINVAL,
                                            "browser: act evaluate needs request.fn (JavaScript "
                                            "of at most %d bytes)",
                                            PC_BROWSER_TEXT_MAX);
                }
                _cleanup_buf_ PcBuf e = PC_BUF_INIT;
                pc_buf_addf(&e,
                            "(async () => { const __f = (%s); return typeof __f === "
                            "'function' ? await __f() : __f; })()",
                            fn);
                json_t *v = NULL;
                r = page_eval(b, sid, e.buf, timeout_ms, &v, reterr);
                if (r == -EIO) {
                        json_decref(out);
                        text_result(ret, reterr->msg,
                                    json_pack("{s:b,s:s}", "ok", 0, "code", "ACT_EVALUATE_ERROR"),
                                    true);
                        *reterr = (PcError) PC_ERROR_INIT;
                        return 0;
                }
                if (r >= 0) {
                        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                        if (dump && strlen(dump) > PC_BROWSER_SNAPSHOT_MAX) {
                                /* the model gets a bounded answer */
                                size_t cut = PC_BROWSER_SNAPSHOT_MAX;
                                while (cut > 0 && ((unsigned char) dump[cut] & 0xC0) == 0x80)
                                        cut--; /* not inside a UTF-8 sequence */
                                dump[cut] = '\0';
                                json_decref(v);
                                v = json_string(dump);
                                json_object_set_new(out, "truncated", json_true());
                        }
                        free(dump);
                        json_object_set_new(out, "result", v ? v : json_null());
                }
        } else {
                json_decref(out);
                return pc_error_set(reterr, -EINVAL,
                                    "browser: act kind '%.40s' is not supported (click, type, "
                                    "fill, press, hover, scroll, wait, evaluate)",
                                    kind);
        }
        if (r < 0) {
                json_decref(out);
                return r;
        }
        /* let what the action started settle a little */
        usleep(100 * 1000);
        pc_cdp_drain(b->cdp);
        json_result(ret, out);
        return 0;
}

/* base64 decoded length, for the size cap */
static size_t b64_len(const char *s)
{
        size_t n = strlen(s);
        size_t pad = n >= 1 && s[n - 1] == '=' ? (n >= 2 && s[n - 2] == '=' ? 2 : 1) : 0;
        return n / 4 * 3 - pad;
}

static int do_screenshot(PcBrowser *b, const char *sid, const json_t *args, int timeout_ms,
                         PcBrowserResult *ret, PcError *reterr)
{
        const char *type = json_string_value(json_object_get(args, "type"));
        if (!type)
                type = "png";
        if (!streq(type, "png") && !streq(type, "jpeg"))
                return bad(reterr, "browser: '%s' must be png or jpeg", "type");
        bool full = json_is_true(json_object_get(args, "fullPage"));
        const char *ref = json_string_value(json_object_get(args, "ref"));
        if (!ref)
                ref = json_string_value(json_object_get(args, "element"));
        if (ref && (strlen(ref) > 32 || full))
                return bad(reterr, "browser: '%s' is a ref from a snapshot, without fullPage",
                           "ref");
        json_t *params = json_pack("{s:s}", "format", type);
        int w = PC_BROWSER_VIEW_W, h = PC_BROWSER_VIEW_H;
        if (ref) {
                /* one element: its box in the document, scrolled into view */
                double x, y, box[4];
                int r = locate_box(b, sid, ref, 1, timeout_ms, &x, &y, box, reterr);
                if (r <= 0) {
                        json_decref(params);
                        if (r < 0)
                                return r;
                        ref_not_found(ret, ref, "");
                        return 0;
                }
                w = (int) fmin(fmax(ceil(box[2]), 1), 16384);
                h = (int) fmin(fmax(ceil(box[3]), 1), 16384);
                json_object_set_new(params, "captureBeyondViewport", json_true());
                json_object_set_new(params, "clip",
                                    json_pack("{s:f,s:f,s:i,s:i,s:i}", "x", box[0], "y", box[1],
                                              "width", w, "height", h, "scale", 1));
        } else if (full) {
                json_t *m = NULL;
                int r = pc_cdp_call(b->cdp, sid, "Page.getLayoutMetrics", NULL, timeout_ms, &m,
                                    reterr);
                if (r < 0) {
                        json_decref(params);
                        return r;
                }
                json_t *cs = json_object_get(m, "cssContentSize");
                if (!cs)
                        cs = json_object_get(m, "contentSize");
                double cw = json_number_value(json_object_get(cs, "width"));
                double ch = json_number_value(json_object_get(cs, "height"));
                json_decref(m);
                w = (int) fmin(fmax(ceil(cw), 1), 16384);
                h = (int) fmin(fmax(ceil(ch), 1), 16384);
                json_object_set_new(params, "captureBeyondViewport", json_true());
                json_object_set_new(params, "clip",
                                    json_pack("{s:i,s:i,s:i,s:i,s:i}", "x", 0, "y", 0, "width", w,
                                              "height", h, "scale", 1));
        }
        json_t *res = NULL;
        int r = pc_cdp_call(b->cdp, sid, "Page.captureScreenshot", params, timeout_ms, &res,
                            reterr);
        if (r < 0)
                return r;
        const char *data = json_string_value(json_object_get(res, "data"));
        if (!data) {
                json_decref(res);
                return pc_error_set(reterr, -EIO, "the browser returned no image");
        }
        size_t bytes = b64_len(data);
        if (bytes > PC_BROWSER_SCREENSHOT_MAX) {
                char msg[256];
                snprintf(msg, sizeof(msg),
                         "The screenshot is %zu bytes, over the %d-byte limit; take a viewport "
                         "screenshot (fullPage false) instead",
                         bytes, PC_BROWSER_SCREENSHOT_MAX);
                json_decref(res);
                text_result(ret, msg, json_pack("{s:b}", "ok", 0), true);
                return 0;
        }
        char line[160];
        snprintf(line, sizeof(line), "Screenshot of %s%s (%dx%d, %zu bytes, %s)",
                 ref    ? "element "
                 : full ? "the full page"
                        : "the viewport",
                 ref ? ref : "", w, h, bytes, type);
        const char *mime = streq(type, "png") ? "image/png" : "image/jpeg";
        ret->content = json_pack("[{s:s,s:s},{s:s,s:s,s:s}]", "type", "text", "text", line, "type",
                                 "image", "data", data, "mimeType", mime);
        ret->details =
                json_pack("{s:b,s:s,s:i,s:i,s:I,s:s,s:b}", "ok", 1, "mimeType", mime, "width", w,
                          "height", h, "bytes", (json_int_t) bytes, "type", type, "fullPage", full);
        json_decref(res);
        return 0;
}

static const char *target_arg(const json_t *args)
{
        return json_string_value(json_object_get(args, "targetId"));
}

static int run_action(PcBrowser *b, const PcBrowserOptions *o, const char *action,
                      const json_t *args, int timeout_ms, PcBrowserResult *ret, PcError *reterr)
{
        _cleanup_free_ char *sid = NULL;
        int r;
        if (streq(action, "tabs")) {
                json_t *tabs = NULL;
                r = pc_browser_tabs(b, timeout_ms, &tabs, reterr);
                if (r >= 0)
                        json_result(ret, json_pack("{s:b,s:o}", "ok", 1, "tabs", tabs));
                return r;
        }
        if (streq(action, "open")) {
                const char *url = json_string_value(json_object_get(args, "targetUrl"));
                if (!url)
                        url = json_string_value(json_object_get(args, "url"));
                if (!url)
                        url = "about:blank";
                if ((r = check_url(url, streq(o->where, "sandbox"), reterr)) < 0)
                        return r;
                json_t *tabs = NULL;
                if ((r = pc_browser_tabs(b, timeout_ms, &tabs, reterr)) < 0)
                        return r;
                size_t n = json_array_size(tabs);
                json_decref(tabs);
                if (n >= PC_BROWSER_TABS_MAX) {
                        text_result(ret, "Too many tabs are open; close some first",
                                    json_pack("{s:b,s:i}", "ok", 0, "max", PC_BROWSER_TABS_MAX),
                                    true);
                        return 0;
                }
                json_t *res = NULL;
                r = pc_cdp_call(b->cdp, NULL, "Target.createTarget",
                                json_pack("{s:s}", "url", "about:blank"), timeout_ms, &res, reterr);
                if (r < 0)
                        return r;
                const char *t = json_string_value(json_object_get(res, "targetId"));
                _cleanup_free_ char *target = t ? xstrdup(t) : NULL;
                json_decref(res);
                if (!target)
                        return pc_error_set(reterr, -EIO, "Target.createTarget gave no targetId");
                free(b->current);
                b->current = xstrdup(target);
                if ((r = pc_browser_attach(b, target, timeout_ms, &sid, reterr)) < 0)
                        return r;
                char err[256] = "";
                if (!streq(url, "about:blank") &&
                    (r = do_navigate(b, sid, url, timeout_ms, err, sizeof(err), reterr)) < 0)
                        return r;
                json_result(ret, json_pack("{s:b,s:s,s:s,s:s?}", "ok", !*err, "targetId", target,
                                           "url", url, "error", *err ? err : NULL));
                ret->is_error = *err;
                return 0;
        }
        if (streq(action, "focus") || streq(action, "close")) {
                const char *t = target_arg(args);
                if (!t && streq(action, "close"))
                        t = b->current;
                if (!t)
                        return bad(reterr, "browser: %s needs 'targetId' (from tabs)", action);
                char *target = xstrdup(t);
                r = pc_cdp_call(b->cdp, NULL,
                                streq(action, "focus") ? "Target.activateTarget"
                                                       : "Target.closeTarget",
                                json_pack("{s:s}", "targetId", target), timeout_ms, NULL, reterr);
                if (r < 0) {
                        free(target);
                        return r;
                }
                if (streq(action, "focus")) {
                        free(b->current);
                        b->current = xstrdup(target);
                } else {
                        json_object_del(b->sessions, target);
                        if (streq_ptr(b->current, target)) {
                                free(b->current);
                                b->current = NULL;
                        }
                }
                json_result(ret, json_pack("{s:b,s:s}", "ok", 1, "targetId", target));
                free(target);
                return 0;
        }
        if (streq(action, "console")) {
                const char *level = json_string_value(json_object_get(args, "level"));
                pc_cdp_drain(b->cdp);
                json_t *msgs = json_array();
                size_t i;
                json_t *m;
                json_array_foreach (b->console, i, m)
                        if (!level ||
                            streq_ptr(json_string_value(json_object_get(m, "type")), level))
                                json_array_append(msgs, m);
                if (json_is_true(json_object_get(args, "clear")))
                        json_array_clear(b->console);
                json_result(ret, json_pack("{s:b,s:o}", "ok", 1, "messages", msgs));
                return 0;
        }

        /* the actions on one page */
        const char *t = target_arg(args);
        if (t) {
                if (!json_object_get(b->sessions, t)) {
                        json_t *tabs = NULL;
                        if ((r = pc_browser_tabs(b, timeout_ms, &tabs, reterr)) < 0)
                                return r;
                        bool found = false;
                        size_t i;
                        json_t *x;
                        json_array_foreach (tabs, i, x)
                                found |= streq_ptr(
                                        json_string_value(json_object_get(x, "targetId")), t);
                        json_decref(tabs);
                        if (!found)
                                return pc_error_set_kind(reterr, PC_ERROR_NOT_FOUND, -ENOENT,
                                                         "browser: no tab %.64s (see action tabs)",
                                                         t);
                }
                free(b->current);
                b->current = xstrdup(t);
        }
        if ((r = pc_browser_page(b, timeout_ms, &sid, reterr)) < 0)
                return r;
        if (!b->current) /* it closed while we attached */
                return pc_error_set(reterr, -EIO, "the tab closed; see action tabs");
        char *target = xstrdup(b->current);
        if (streq(action, "navigate")) {
                const char *url = json_string_value(json_object_get(args, "targetUrl"));
                if (!url)
                        url = json_string_value(json_object_get(args, "url"));
                char err[256] = "";
                r = check_url(url, streq(o->where, "sandbox"), reterr);
                if (r >= 0)
                        r = do_navigate(b, sid, url, timeout_ms, err, sizeof(err), reterr);
                if (r >= 0 && *err) {
                        char msg[PC_BROWSER_URL_MAX + 300];
                        snprintf(msg, sizeof(msg), "Navigation to %s failed: %s", url, err);
                        text_result(ret, msg,
                                    json_pack("{s:b,s:s,s:s,s:s}", "ok", 0, "url", url, "error",
                                              err, "targetId", target),
                                    true);
                } else if (r >= 0) {
                        json_t *snap = NULL;
                        r = do_snapshot(b, sid, args, timeout_ms, &snap, reterr);
                        if (r >= 0) {
                                char lead[PC_BROWSER_URL_MAX + 40];
                                snprintf(lead, sizeof(lead), "Navigated to %s", url);
                                snapshot_result(ret, target, lead, snap);
                        }
                }
        } else if (streq(action, "snapshot")) {
                json_t *snap = NULL;
                r = do_snapshot(b, sid, args, timeout_ms, &snap, reterr);
                if (r >= 0)
                        snapshot_result(ret, target, NULL, snap);
        } else if (streq(action, "screenshot")) {
                r = do_screenshot(b, sid, args, timeout_ms, ret, reterr);
        } else if (streq(action, "act")) {
                r = do_act(b, sid, o, args, timeout_ms, ret, reterr);
        } else {
                r = pc_error_set(reterr, -EINVAL,
                                 "browser: action '%.40s' is not supported (status, start, stop, "
                                 "tabs, open, focus, close, navigate, snapshot, screenshot, act, "
                                 "console)",
                                 action);
        }
        free(target);
        return r;
}

static json_t *status_json(PcBrowser *b, const PcBrowserOptions *o)
{
        bool running = pc_browser_running(b);
        return json_pack("{s:b,s:b,s:s,s:s,s:b,s:I,s:i,s:s?}", "enabled", 1, "running", running,
                         "target", o->where, "executable", o->executable, "headless", o->headless,
                         "uptimeMs",
                         (json_int_t) (running ? pc_browser_now_ms() - b->started_ms : 0),
                         "restarts", (int) b->restarts, "tab", b->current);
}

static bool is_known(const char *a)
{
        static const char *const all[] = {"status",   "start",      "stop",  "tabs",
                                          "open",     "focus",      "close", "navigate",
                                          "snapshot", "screenshot", "act",   "console"};
        for (size_t i = 0; i < ELEMENTSOF(all); i++)
                if (streq(all[i], a))
                        return true;
        return false;
}

int pc_browser_invoke(const PcBrowserOptions *o, const json_t *args, PcBrowserResult *ret,
                      PcError *reterr)
{
        *ret = (PcBrowserResult){0};
        PcBrowserLauncher launcher = o->launcher;
        const char *action = json_string_value(json_object_get(args, "action"));
        int r = 0;
        if (!action || !is_known(action)) {
                if (launcher.release)
                        launcher.release(launcher.userdata);
                return pc_error_set(reterr, -EINVAL,
                                    "browser: 'action' must be one of status, start, stop, tabs, "
                                    "open, focus, close, navigate, snapshot, screenshot, act, "
                                    "console%s%.40s%s",
                                    action ? " (not '" : "", action ? action : "",
                                    action ? "')" : "");
        }
        int timeout_ms = o->action_timeout_ms;
        const json_t *tm = json_object_get(args, "timeoutMs");
        if (tm) {
                if (!json_is_integer(tm) || json_integer_value(tm) < 1 ||
                    json_integer_value(tm) > 300000) {
                        if (launcher.release)
                                launcher.release(launcher.userdata);
                        return bad(reterr, "browser: '%s' must be an integer from 1 to 300000",
                                   "timeoutMs");
                }
                timeout_ms = (int) json_integer_value(tm);
        }

        PcBrowser *b = pc_browser_get(o->key);
        bool launcher_used = false; /* a start took it over */
        bool was_running = pc_browser_running(b);
        bool crashed = b->crashed;
        b->crashed = false;

        if (streq(action, "status")) {
                json_result(ret, status_json(b, o));
                goto out;
        }
        if (streq(action, "stop")) {
                pc_browser_stop(b);
                json_result(ret, json_pack("{s:b,s:b}", "ok", 1, "stopped", was_running));
                goto out;
        }
        for (int attempt = 0;; attempt++) {
                if (!pc_browser_running(b)) {
                        if (!o->auto_start && !streq(action, "start")) {
                                text_result(ret,
                                            crashed ? "The browser exited and autoStart is off; "
                                                      "start it with action start"
                                                    : "The browser is not running and autoStart "
                                                      "is off; start it with action start",
                                            json_pack("{s:b}", "ok", 0), true);
                                goto out;
                        }
                        PcBrowserOptions oo = *o;
                        oo.launcher = launcher;
                        launcher_used = true;
                        r = pc_browser_start(b, &oo, reterr);
                        if (r < 0) {
                                text_result(ret, reterr->msg, json_pack("{s:b}", "ok", 0), true);
                                *reterr = (PcError) PC_ERROR_INIT;
                                r = 0;
                                goto out;
                        }
                        if (crashed)
                                b->restarts++;
                }
                if (streq(action, "start")) {
                        json_t *st = status_json(b, o);
                        json_object_set_new(st, "ok", json_true());
                        json_object_set_new(st, "started", json_boolean(!was_running));
                        json_result(ret, st);
                        goto out;
                }
                r = run_action(b, o, action, args, timeout_ms, ret, reterr);
                if (r >= 0 || pc_cdp_alive(b->cdp))
                        break;
                pc_browser_stop(b);
                pc_browser_result_release(ret);
                if (attempt == 0 && !launcher_used && o->auto_start && !streq(action, "act")) {
                        /* It had died before this call (killed, crashed, its sandbox removed)
                         * and we only learnt it now: start a new one and run the action once
                         * more. Not for act: its target is gone with the old browser. */
                        crashed = true;
                        *reterr = (PcError) PC_ERROR_INIT;
                        continue;
                }
                /* it died during the action: say so; the next call starts a new one */
                b->crashed = true;
                char msg[PC_ERROR_MSG_MAX + 128];
                snprintf(msg, sizeof(msg),
                         "The browser exited during %s (%s); the next browser call starts a new "
                         "one",
                         action, reterr->msg);
                text_result(ret, msg, json_pack("{s:b,s:s}", "ok", 0, "code", "BROWSER_EXITED"),
                            true);
                *reterr = (PcError) PC_ERROR_INIT;
                r = 0;
                break;
        }
        if (r < 0 && reterr->kind != PC_ERROR_INVALID_ARGUMENT && r != -EINVAL && r != -E2BIG) {
                /* a page or protocol failure: the model sees it as the result */
                pc_browser_result_release(ret);
                text_result(ret, reterr->msg, json_pack("{s:b}", "ok", 0), true);
                *reterr = (PcError) PC_ERROR_INIT;
                r = 0;
        }
        if (r >= 0 && crashed && ret->content && !ret->is_error) {
                json_t *note = json_pack("{s:s,s:s}", "type", "text", "text",
                                         "(The browser had exited; it was restarted for this "
                                         "call, so earlier tabs are gone.)");
                json_array_insert_new(ret->content, 0, note);
        }
out:
        if (!launcher_used && launcher.release)
                launcher.release(launcher.userdata);
        b->last_used_ms = pc_browser_now_ms();
        pthread_mutex_unlock(&b->lock);
        return r;
}
