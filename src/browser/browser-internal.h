/* SPDX-License-Identifier: MIT */
#pragma once

#include <pthread.h>
#include <stdint.h>

#include "browser.h"
#include "cdp.h"

#define PC_BROWSER_CONSOLE_MAX    200               /* messages kept per browser */
#define PC_BROWSER_CONSOLE_TEXT   2000              /* characters kept per message */
#define PC_BROWSER_SCREENSHOT_MAX (8 * 1024 * 1024) /* bytes of PNG */
#define PC_BROWSER_TABS_MAX       32
#define PC_BROWSER_SNAPSHOT_CHARS 20000 /* default maxChars */
#define PC_BROWSER_SNAPSHOT_MAX   200000
#define PC_BROWSER_TEXT_MAX       100000 /* act type text, evaluate fn */
#define PC_BROWSER_URL_MAX        8192
#define PC_BROWSER_VIEW_W         1280
#define PC_BROWSER_VIEW_H         800

PcBrowserProcess *pc_browser_process_new(void (*kill_fn)(PcBrowserProcess *p), void *data);
void *pc_browser_process_data(PcBrowserProcess *p);
pid_t pc_browser_process_pid(const PcBrowserProcess *p);

/* One running (or stopped) browser. Fields are guarded by lock. */
typedef struct PcBrowser {
        pthread_mutex_t lock;
        char *key;
        char *where;
        PcBrowserLauncher launcher;
        PcBrowserProcess *proc;
        PcCdp *cdp;
        char *profile_dir; /* host temp profile to remove */
        char *current;     /* the target id actions go to */
        json_t *sessions;  /* targetId -> CDP sessionId of attached pages */
        json_t *console;   /* array of {type, text, targetId, timestamp} */
        int64_t started_ms, last_used_ms;
        int idle_stop_ms;
        unsigned restarts;
        bool crashed; /* it died under us since the last action */
} PcBrowser;

int64_t pc_browser_now_ms(void);

/* session.c */
int pc_browser_start(PcBrowser *b, const PcBrowserOptions *o, PcError *reterr);
void pc_browser_stop(PcBrowser *b);
bool pc_browser_running(PcBrowser *b);
/* The CDP session of the current tab (attaching, or opening a tab when there is none), as a
 * string of the caller's. */
int pc_browser_page(PcBrowser *b, int timeout_ms, char **ret_session, PcError *reterr);
int pc_browser_attach(PcBrowser *b, const char *target_id, int timeout_ms, char **ret_session,
                      PcError *reterr);
/* Page targets: [{targetId, title, url, type, current}] */
int pc_browser_tabs(PcBrowser *b, int timeout_ms, json_t **ret, PcError *reterr);

/* snapshot.c */
extern const char pc_browser_snapshot_js[];
extern const char pc_browser_ref_js[];
