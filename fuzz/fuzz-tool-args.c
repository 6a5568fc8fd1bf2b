/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes tool arguments through the one choke point, pc_dispatch_invoke() (src/tools/dispatch.h),
 * as the gateway hands them over: the input is a tool name on the first line and its args (JSON)
 * after it. The agent's sandbox is the fake backend standing in for Docker (exec runs nothing),
 * and the file tools work in a scratch workspace that is put back before every input. Besides
 * "no crash, leak or UB" it aborts when an invariant fails:
 *  - the status is one of the documented ones, and an error has a type and a message;
 *  - the response serialises to JSON that jansson's strict parser reads back;
 *  - a file tool never touches anything outside the workspace (a canary beside it stays).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "config/config.h"
#include "sandbox/fake/fake-backend.h"
#include "sandbox/manager.h"
#include "store/store.h"
#include "tools/dispatch.h"

static char base[] = "/tmp/pincer-fuzz-tools-XXXXXX";
static char ws[sizeof(base) + 8], canary[sizeof(base) + 16];
static PcFakeBackend *fb;
static PcStore *store;
static PcSandboxManager *manager;
static PcConfig *cfg;

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-tool-args: invariant violated: %s\n", what);
                abort();
        }
}

static void write_file(const char *dir, const char *name, const char *text)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        check(fd >= 0, "seed file");
        check(write(fd, text, strlen(text)) == (ssize_t) strlen(text), "seed write");
        close(fd);
}

static void remove_tree(int dfd)
{
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                if (unlinkat(dirfd(d), e->d_name, 0) == 0)
                        continue;
                int sub = openat(dirfd(d), e->d_name,
                                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                        remove_tree(sub);
                (void) unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
        }
        closedir(d);
}

/* The workspace as every input finds it. */
static void reset_workspace(void)
{
        int fd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                remove_tree(fd);
        char path[256];
        (void) mkdir(ws, 0755);
        snprintf(path, sizeof(path), "%s/dir", ws);
        (void) mkdir(path, 0755);
        write_file(ws, "a.txt", "one\ntwo\nthree\n");
        write_file(ws, "dir/b.txt", "alpha\nbeta\n");
        snprintf(path, sizeof(path), "%s/out", ws);
        (void) symlink("../canary", path); /* leads outside: the tools must refuse it */
}

static void cleanup(void)
{
        manager = pc_sandbox_manager_free(manager);
        store = pc_store_close(store);
        fb = pc_fake_backend_free(fb);
        pc_config_unref(cfg);
        int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0)
                remove_tree(fd);
        (void) rmdir(base);
}

static const char *no_env(const char *name, void *userdata)
{
        (void) name;
        (void) userdata;
        return NULL;
}

static void setup(void)
{
        check(mkdtemp(base) != NULL, "mkdtemp");
        atexit(cleanup);
        snprintf(ws, sizeof(ws), "%s/ws", base);
        snprintf(canary, sizeof(canary), "%s/canary", base);
        write_file(base, "canary", "canary\n");
        reset_workspace();

        _cleanup_free_ char *text = xasprintf(
                "{agents:{defaults:{sandbox:{mode:'all',backend:'docker',workspaceAccess:'rw'}},"
                "list:[{id:'main',workspace:'%s'}]}}",
                ws);
        PcConfigLoadOptions opts = {.env = no_env, .state_dir = base};
        _cleanup_diags_ PcDiags diags = PC_DIAGS_INIT;
        PcError err = PC_ERROR_INIT;
        check(pc_config_load_buffer(text, strlen(text), "/etc/fuzz.json5", &opts, &diags, &cfg,
                                    &err) == 0,
              "config");
        check(pc_store_open(base, &store, &err) == 0, "store");
        fb = pc_fake_backend_new();
        pc_fake_backend_set_exec_result(fb, 0, "out\n", "err\n");
        PcSandboxBackendDef defs[] = {
                {.name = "docker", .ops = &pc_fake_sandbox_ops, .instance = fb},
        };
        manager = pc_sandbox_manager_new(store, defs, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!manager)
                setup();
        const char *nl = memchr(data, '\n', size);
        size_t name_len = nl ? (size_t) (nl - (const char *) data) : size;
        if (name_len > 256)
                return 0;
        char tool[257];
        memcpy(tool, data, name_len);
        tool[name_len] = '\0';
        if (strlen(tool) != name_len)
                return 0; /* a NUL in the name: the HTTP layer's JSON strings cannot carry one */
        json_t *args = NULL;
        if (nl) {
                json_t *doc = json_loadb(nl + 1, size - name_len - 1, JSON_DECODE_ANY, NULL);
                if (json_is_object(doc))
                        args = json_incref(doc);
                json_decref(doc);
        }

        PcInvokeRequest req = {.tool = tool, .args = args, .caller = "fuzz", .owner = true};
        PcInvokeResponse resp;
        PcError err = PC_ERROR_INIT;
        int r = pc_dispatch_invoke(cfg, manager, &req, &resp, &err);
        check(r == 0, "the audit record could not be written");
        check(resp.status == 200 || resp.status == 400 || resp.status == 403 ||
                      resp.status == 404 || resp.status == 500 || resp.status == 503,
              "undocumented status");
        if (resp.error_type)
                check(resp.message[0] != '\0', "an error without a message");
        json_t *out = pc_invoke_response_json(&resp);
        char *s = json_dumps(out, JSON_COMPACT);
        check(s != NULL, "the response does not serialise");
        if (getenv("PINCER_FUZZ_VERBOSE")) /* to see what a seed reaches */
                fprintf(stderr, "%s -> %d %.300s\n", tool, resp.status, s);
        json_t *back = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
        check(back != NULL, "the response is not valid JSON");
        json_decref(back);
        free(s);
        json_decref(out);
        pc_invoke_response_release(&resp);
        json_decref(args);

        char buf[16] = "";
        int fd = open(canary, O_RDONLY | O_CLOEXEC);
        check(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 7 && !strcmp(buf, "canary\n"),
              "a file outside the workspace changed");
        close(fd);
        reset_workspace();
        return 0;
}
