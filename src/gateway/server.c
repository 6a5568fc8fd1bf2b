/* SPDX-License-Identifier: MIT */
/* The gateway process: listener settings, the lws context on the libuv loop, signals. */
#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/diag.h"
#include "base/log.h"
#include "base/macro.h"
#include "gateway-internal.h"
#include "gateway.h"
#include "ws.h"

static int resolve_port(const PcConfig *cfg, const PcGatewayOptions *opts, int *ret,
                        PcError *reterr)
{
        if (opts->port > 0) {
                *ret = opts->port;
                return 0;
        }
        const char *env = getenv("PINCER_GATEWAY_PORT");
        if (env && *env) {
                char *end;
                errno = 0;
                long v = strtol(env, &end, 10);
                if (errno || *end || v < 1 || v > 65535)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "PINCER_GATEWAY_PORT '%.20s' is not a port "
                                                 "number\n  hint: use 1-65535",
                                                 env);
                *ret = (int) v;
                return 0;
        }
        const json_t *p = json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "port");
        *ret = json_is_integer(p) ? (int) json_integer_value(p) : PC_GATEWAY_DEFAULT_PORT;
        return 0;
}

/* bind mode → the IPv4 address to listen on. */
static int resolve_bind(const PcConfig *cfg, const PcGatewayOptions *opts, const char **ret,
                        bool *ret_loopback, PcError *reterr)
{
        const json_t *gw = json_object_get(pc_config_root(cfg), "gateway");
        const char *mode = opts->bind ? opts->bind : json_string_value(json_object_get(gw, "bind"));
        if (!mode || streq(mode, "loopback"))
                *ret = "127.0.0.1";
        else if (streq(mode, "lan"))
                *ret = "0.0.0.0";
        else if (streq(mode, "custom")) {
                *ret = json_string_value(json_object_get(gw, "customBindHost"));
                struct in_addr a;
                if (!*ret || inet_pton(AF_INET, *ret, &a) != 1)
                        return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                                 "gateway.bind is \"custom\" but "
                                                 "gateway.customBindHost is not an IPv4 "
                                                 "address\n  hint: set "
                                                 "gateway.customBindHost, e.g. \"192.168.1.10\"");
        } else
                return pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                         "bind mode '%.32s' is not supported by the gateway yet\n"
                                         "  hint: use loopback, lan or custom",
                                         mode);
        *ret_loopback = strncmp(*ret, "127.", 4) == 0;
        return 0;
}

static void lws_emit(int level, const char *line)
{
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                n--;
        if (level & LLL_ERR)
                log_warning("libwebsockets: %.*s", (int) n, line);
        else
                log_debug("libwebsockets: %.*s", (int) n, line);
}

static void notify(const char *state)
{
        int r = pc__gateway_notify(state);
        if (r < 0)
                log_debug("Failed to notify the service manager ($NOTIFY_SOCKET): %s, ignoring",
                          strerror(-r));
}

static void stop_now(PcGateway *g, bool abandon)
{
        if (g->stopping)
                return;
        g->stopping = true;
        uv_timer_stop(&g->drain_timer);
        pc__gateway_worker_stop(g->worker, abandon);
        g->abandoned = abandon;
        g->worker = NULL;
        uv_stop(&g->loop);
}

void pc__gateway_maybe_stop(PcGateway *g)
{
        if (g->draining && !g->stopping && g->n_awaiting == 0 &&
            pc__gateway_worker_busy(g->worker) == 0 && pc__gateway_runs_active(g) == 0)
                stop_now(g, false);
}

/* The worker's answers: HTTP (http.c) or the WebSocket API (ws.c). */
static void job_done(PcGatewayJob *job, void *userdata)
{
        if (job->ws)
                pc__gateway_ws_job_done(job, userdata);
        else
                pc__gateway_job_done(job, userdata);
}

static void on_drain_timeout(uv_timer_t *t)
{
        PcGateway *g = t->data;
        log_warning("A tool call is still running after %d s, exiting anyway",
                    PC_GATEWAY_DRAIN_TIMEOUT_MS / 1000);
        stop_now(g, true);
}

static void on_term(uv_signal_t *s, int signum)
{
        PcGateway *g = s->data;
        if (g->draining)
                return;
        g->draining = true;
        notify("STOPPING=1");
        size_t busy = pc__gateway_worker_busy(g->worker);
        log_info("%s: shutting down%s", strsignal(signum),
                 busy ? ", waiting for the tool call in flight" : "");
        pc__gateway_ws_broadcast(g, "shutdown", json_pack("{s:s}", "reason", "shutdown"));
        uv_timer_start(&g->drain_timer, on_drain_timeout, PC_GATEWAY_DRAIN_TIMEOUT_MS, 0);
        pc__gateway_maybe_stop(g);
}

/* Watches the files cfg was read from (the config file even when it does not exist yet, so
 * creating it is seen). */
static void watch_files_of(PcGateway *g, const PcConfig *cfg)
{
        if (!g->watch)
                return;
        const char *files[PC_CONFIG_MAX_INCLUDE_FILES + 2];
        size_t n = 0;
        files[n++] = pc_config_path(cfg);
        for (size_t i = 0; n < ELEMENTSOF(files) && pc_config_source(cfg, i); i++)
                files[n++] = pc_config_source(cfg, i);
        pc__gateway_watch_set(g->watch, files, n);
}

/* SIGHUP and a changed config file: load and fully validate a new snapshot; keep the old one
 * when that fails. */
static void reload(PcGateway *g, const char *why)
{
        if (g->draining)
                return;
        char msg[64];
        snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
                 (unsigned long long) (uv_hrtime() / 1000));
        notify(msg);
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        if (pc_config_load(g->load, &diags, &cfg, &err) < 0) {
                _cleanup_buf_ PcBuf text = PC_BUF_INIT;
                pc_diags_format_text(&diags, &text);
                log_error("Failed to reload the configuration, keeping the old one (%s): %s%s%s",
                          why, err.msg, text.len ? "\n" : "", text.buf);
                pc__gateway_metrics_reload(false);
                notify("READY=1");
                return;
        }
        log_info("configuration reloaded from %s (%s; gateway.port, bind and auth need a "
                 "restart)",
                 pc_config_file_exists(cfg) ? pc_config_path(cfg) : "(defaults)", why);
        pc__gateway_metrics_reload(true);
        watch_files_of(g, cfg);
        pc__gateway_worker_take_config(g->worker, cfg);
        notify("READY=1");
}

static void on_hup(uv_signal_t *s, int signum)
{
        (void) signum;
        reload(s->data, "SIGHUP");
}

static void on_file_change(void *userdata)
{
        reload(userdata, "file changed");
}

/* gateway.reload: mode "off" leaves the files alone (SIGHUP still reloads); the other modes
 * watch them. Everything Pincer can apply live is applied live, so "hot", "hybrid" and
 * "restart" behave the same; the listener settings are logged as needing a restart. */
static void start_watch(PcGateway *g, const PcConfig *cfg)
{
        const json_t *rl =
                json_object_get(json_object_get(pc_config_root(cfg), "gateway"), "reload");
        const char *mode = json_string_value(json_object_get(rl, "mode"));
        const json_t *deb = json_object_get(rl, "debounceMs");
        if (mode && streq(mode, "off")) {
                log_info("config file watch off (gateway.reload.mode), SIGHUP reloads");
                return;
        }
        json_int_t ms = json_is_integer(deb) ? json_integer_value(deb) : 300;
        if (ms < 0 || ms > 600000)
                ms = 300;
        g->watch = pc__gateway_watch_new(&g->loop, (unsigned) ms, on_file_change, g);
        watch_files_of(g, cfg);
}

static void close_handle(uv_handle_t *h)
{
        if (!uv_is_closing(h))
                uv_close(h, NULL);
}

int pc_gateway_run(const PcConfig *cfg, const PcGatewayOptions *opts, PcError *reterr)
{
        PcStore *store = opts->store;
        PcSandboxManager *manager = opts->manager;
        const json_t *gw = json_object_get(pc_config_root(cfg), "gateway");
        const char *gmode = json_string_value(json_object_get(gw, "mode"));
        int port = 0;
        const char *host = NULL;
        bool loopback = true;
        int r = 0;
        if (gmode && !streq(gmode, "local"))
                r = pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                      "gateway.mode is '%s': this machine is a client of a "
                                      "remote gateway\n  hint: set gateway.mode to \"local\" to "
                                      "run the gateway here",
                                      gmode);
        if (r >= 0)
                r = resolve_port(cfg, opts, &port, reterr);
        if (r >= 0)
                r = resolve_bind(cfg, opts, &host, &loopback, reterr);
        if (r < 0) {
                pc_sandbox_manager_free(manager);
                pc_store_close(store);
                return r;
        }

        PcGateway *g = calloc(1, sizeof(*g));
        if (!g)
                abort();
        g->load = opts->load;
        g->started_ns = uv_hrtime();
        r = pc__gateway_auth_init(&g->auth, cfg, reterr);
        if (r >= 0 && !loopback && g->auth.mode == PC_GATEWAY_AUTH_NONE)
                r = pc_error_set_kind(reterr, PC_ERROR_INVALID_ARGUMENT, -EINVAL,
                                      "refusing to listen on %s without auth "
                                      "(gateway.auth.mode is \"none\")\n  hint: set "
                                      "gateway.auth.mode to \"token\" or \"password\", or bind "
                                      "to loopback",
                                      host);
        if (r < 0) {
                pc_sandbox_manager_free(manager);
                pc_store_close(store);
                pc__gateway_auth_release(&g->auth);
                free(g);
                return r;
        }

        uv_loop_init(&g->loop);
        lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
        struct lws_context_creation_info info = {0};
        void *loops[1] = {&g->loop};
        info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                       LWS_SERVER_OPTION_DISABLE_IPV6;
        info.foreign_loops = loops;
        info.user = g;
        info.pcontext = &g->lws;
        info.max_http_header_data = PC_GATEWAY_MAX_HEADER_BUFFER;
        info.max_http_header_pool = PC_GATEWAY_MAX_CONNECTIONS;
        info.fd_limit_per_thread = PC_GATEWAY_MAX_CONNECTIONS + 64;
        info.timeout_secs = PC_GATEWAY_IO_TIMEOUT_S;
        info.timeout_secs_ah_idle = PC_GATEWAY_HEADER_TIMEOUT_S;
        info.keepalive_timeout = 5;
        g->lws = lws_create_context(&info);
        if (!g->lws)
                r = pc_error_set_kind(reterr, PC_ERROR_UNAVAILABLE, -ENOTSUP,
                                      "Failed to start libwebsockets on libuv\n  hint: install "
                                      "libwebsockets-evlib-uv (the libuv plugin of "
                                      "libwebsockets)");
        if (r >= 0) {
                info.port = port;
                info.iface = host;
                /* HTTP first (http.c), then the WebSocket API (ws.c), which an upgrade without
                 * Sec-WebSocket-Protocol gets through its "default" vhost option. */
                static struct lws_protocols protocols[3];
                protocols[0] = pc__gateway_protocols[0];
                protocols[1] = pc__gateway_ws_protocol;
                info.protocols = protocols;
                info.pvo = &pc__gateway_ws_pvo;
                info.vhost_name = "pincer";
                if (!lws_create_vhost(g->lws, &info))
                        r = pc_error_set(reterr, -EADDRINUSE,
                                         "Failed to listen on %s:%d (is another gateway "
                                         "running?)\n  hint: stop it, or choose another port "
                                         "with --port",
                                         host, port);
        }
        if (r >= 0)
                r = pc__gateway_auth_publish(&g->auth, pc_config_state_dir(cfg), reterr);
        if (r >= 0) {
                r = pc__gateway_worker_start(&g->loop, cfg, store, manager, job_done, g,
                                             &g->worker);
                if (r < 0)
                        pc_error_set(reterr, r, "Failed to start the tool worker: %m");
                else
                        store = NULL, manager = NULL; /* the worker owns them */
        }
        if (r >= 0) {
                uv_signal_init(&g->loop, &g->sig_hup);
                uv_signal_init(&g->loop, &g->sig_term);
                uv_signal_init(&g->loop, &g->sig_int);
                g->sig_hup.data = g->sig_term.data = g->sig_int.data = g;
                uv_signal_start(&g->sig_hup, on_hup, SIGHUP);
                uv_signal_start(&g->sig_term, on_term, SIGTERM);
                uv_signal_start(&g->sig_int, on_term, SIGINT);
                uv_timer_init(&g->loop, &g->drain_timer);
                g->drain_timer.data = g;
                pc__gateway_runs_init(g);
                signal(SIGPIPE, SIG_IGN);
                pc__gateway_metrics_start();
                start_watch(g, cfg);

                log_info("listening on http://%s:%d (auth %s%s, config %s)", host, port,
                         pc__gateway_auth_mode_name(g->auth.mode),
                         g->auth.ephemeral ? ", ephemeral token" : "",
                         pc_config_file_exists(cfg) ? pc_config_path(cfg) : "(none: defaults)");
                notify("READY=1");
                uv_run(&g->loop, UV_RUN_DEFAULT);
                log_info("stopped");
        }

        /* Teardown: lws closes its handles on the loop, then ours go. */
        if (g->abandoned)
                return 0; /* the worker still runs a call and uses all of it: exit now */
        if (g->worker) {
                pc__gateway_worker_stop(g->worker, false);
                g->worker = NULL;
        }
        /* With a foreign loop, lws finishes its destroy from loop callbacks; pcontext tells
         * when it is done, and a second call completes it if the first one only started. */
        for (int pass = 0; pass < 2 && g->lws; pass++) {
                lws_context_destroy(g->lws);
                for (int i = 0; i < 100 && g->lws && uv_run(&g->loop, UV_RUN_NOWAIT); i++)
                        ;
        }
        pc__gateway_watch_free(g->watch);
        g->watch = NULL;
        pc__gateway_runs_free(g);
        if (r >= 0) {
                close_handle((uv_handle_t *) &g->sig_hup);
                close_handle((uv_handle_t *) &g->sig_term);
                close_handle((uv_handle_t *) &g->sig_int);
                close_handle((uv_handle_t *) &g->drain_timer);
        }
        for (int i = 0; i < 100 && uv_run(&g->loop, UV_RUN_NOWAIT); i++)
                ;
        (void) uv_loop_close(&g->loop);
        pc_sandbox_manager_free(manager);
        pc_store_close(store);
        pc__gateway_auth_release(&g->auth);
        free(g);
        return r < 0 ? r : 0;
}
