/* SPDX-License-Identifier: MIT */
#include "curl-dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

static PcCurl api;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
        void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                snprintf(load_error, sizeof(load_error), "%s", dlerror());
                return;
        }
        PcCurl a;
        struct {
                void **slot;
                const char *name;
        } syms[] = {
                {(void **) &a.global_init, "curl_global_init"},
                {(void **) &a.easy_init, "curl_easy_init"},
                {(void **) &a.easy_setopt, "curl_easy_setopt"},
                {(void **) &a.easy_perform, "curl_easy_perform"},
                {(void **) &a.easy_getinfo, "curl_easy_getinfo"},
                {(void **) &a.easy_strerror, "curl_easy_strerror"},
                {(void **) &a.easy_cleanup, "curl_easy_cleanup"},
                {(void **) &a.slist_append, "curl_slist_append"},
                {(void **) &a.slist_free_all, "curl_slist_free_all"},
        };
        for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
                *syms[i].slot = dlsym(h, syms[i].name);
                if (!*syms[i].slot) {
                        snprintf(load_error, sizeof(load_error), "libcurl.so.4 has no %s",
                                 syms[i].name);
                        return;
                }
        }
        if (a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                snprintf(load_error, sizeof(load_error), "curl_global_init failed");
                return;
        }
        api = a; /* the library stays loaded for the life of the process */
}

const PcCurl *pc_curl(PcError *reterr)
{
        pthread_once(&once, load);
        if (api.easy_init)
                return &api;
        pc_error_set(reterr, -ENOENT,
                     "cannot load libcurl for the model providers (%s): install it with "
                     "`apt-get install libcurl4`",
                     load_error);
        return NULL;
}
