/* SPDX-License-Identifier: MIT */
/*
 * libcurl, loaded when the first model call needs it rather than at every start of the
 * binary: libcurl and its ~25 libraries (TLS, HTTP/2, LDAP, Kerberos, ...) cost every CLI verb
 * several milliseconds of dynamic linking (docs/ARCHITECTURE.md, dependencies).
 */
#pragma once

#include <curl/curl.h>

#include "base/error.h"

typedef struct PcCurl {
        CURLcode (*global_init)(long flags);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
        CURLcode (*easy_perform)(CURL *curl);
        CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
        const char *(*easy_strerror)(CURLcode code);
        void (*easy_cleanup)(CURL *curl);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
        void (*slist_free_all)(struct curl_slist *list);
} PcCurl;

/* Loads libcurl.so.4 and runs curl_global_init once (thread-safe). NULL with reterr filled
 * when the library is missing or lacks a function. */
const PcCurl *pc_curl(PcError *reterr);
