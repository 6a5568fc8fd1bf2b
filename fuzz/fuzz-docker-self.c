/* SPDX-License-Identifier: MIT */
/*
 * Fuzzes what the gateway reads to find its own container (src/sandbox/docker/self.h): the
 * id extractors over /proc/self/mountinfo and /proc/self/cgroup text, and the Mounts of an
 * inspect reply with the host path translation. Invariants: an id found is 64 lowercase hex;
 * a translated path is absolute; a refused one leaves no result and a message.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/docker/self.h"

static void check(bool ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fuzz-docker-self: invariant violated: %s\n", what);
                abort();
        }
}

static void check_id(char *id)
{
        if (!id)
                return;
        check(strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64, "id is 64 hex");
        free(id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        memcpy(text, data, size);
        text[size] = '\0';
        check_id(pc_docker_self_id_from_mountinfo(text));
        check_id(pc_docker_self_id_from_cgroup(text));

        json_t *v = json_loadb((const char *) data, size, 0, NULL);
        PcDockerSelf *s = NULL;
        if (v && pc_docker_self_from_inspect(v, &s, NULL) == 0) {
                static const char *const paths[] = {"/", "/home/pincer/.pincer/workspace",
                                                    "/cache/x", "/a"};
                for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                        char *host = NULL;
                        PcError err = PC_ERROR_INIT;
                        int r = pc_docker_self_host_path(s, paths[i], &host, &err);
                        if (r == 0)
                                check(host != NULL, "a translated path");
                        else
                                check(!host && err.msg[0], "a refusal has a message");
                        free(host);
                }
                pc_docker_self_free(s);
        }
        json_decref(v);
        free(text);
        return 0;
}
