/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's corpus without libFuzzer: every file named on the command line,
 * or every file in a directory named there, is fed to LLVMFuzzerTestOneInput once. Used
 * by ctest (label "fuzz") so that every finding stays fixed.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "base/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "rbe");
        if (!f) {
                fprintf(stderr, "cannot open '%s': %m\n", path);
                return -1;
        }
        size_t alloc = 0, len = 0;
        _cleanup_free_ uint8_t *data = NULL;
        for (;;) {
                data = xgrow(data, &alloc, len + 65536, 1);
                size_t n = fread(data + len, 1, alloc - len, f);
                len += n;
                if (n == 0)
                        break;
        }
        LLVMFuzzerTestOneInput(data, len);
        return 0;
}

int main(int argc, char **argv)
{
        unsigned n = 0;
        for (int i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "cannot stat '%s': %m\n", argv[i]);
                        return 1;
                }
                if (!S_ISDIR(st.st_mode)) {
                        if (replay_file(argv[i]) < 0)
                                return 1;
                        n++;
                        continue;
                }
                struct dirent **names;
                int k = scandir(argv[i], &names, NULL, alphasort);
                if (k < 0) {
                        fprintf(stderr, "cannot list '%s': %m\n", argv[i]);
                        return 1;
                }
                for (int j = 0; j < k; j++) {
                        if (names[j]->d_name[0] != '.') {
                                _cleanup_free_ char *p =
                                        xasprintf("%s/%s", argv[i], names[j]->d_name);
                                if (replay_file(p) < 0)
                                        return 1;
                                n++;
                        }
                        free(names[j]);
                }
                free(names);
        }
        if (n == 0) {
                fprintf(stderr, "no corpus files found\n");
                return 1;
        }
        printf("replayed %u inputs\n", n);
        return 0;
}
