/* SPDX-License-Identifier: MIT */
/* `pincer image`: the native backend's image store (src/sandbox/native/images.h). */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli.h"
#include "config/config.h"
#include "sandbox/native/images.h"

static const char usage[] =
        "Usage: pincer image build NAME [--packages \"PKG ...\"] [--from NAME] [--suite SUITE]\n"
        "                          [--replace] [--config FILE]\n"
        "       pincer image import NAME FILE.tar [--replace] [--config FILE]\n"
        "       pincer image list [--json] [--config FILE]\n"
        "       pincer image rm NAME [--config FILE]\n"
        "\n"
        "The native backend's images: root filesystems in <stateDir>/images/, named like\n"
        "Docker images (" PC_IMAGE_DEFAULT_NAME ").\n"
        "\n"
        "  build    make an image with mmdebstrap (--variant=minbase) from the Debian mirror of\n"
        "           the host's apt sources (override: $PINCER_DEBIAN_MIRROR), with the user\n"
        "           sandbox (1000:1000). Needs root. Default packages:\n"
        "           \"" PC_IMAGE_DEFAULT_PACKAGES "\".\n"
        "           --from NAME copies an existing image and installs --packages into it\n"
        "           (apt-get in a chroot).\n"
        "  import   an image from a tarball (docker export, mmdebstrap --format=tar)\n"
        "  list     the images (--json: their image.json, with the rootfs path)\n"
        "  rm       remove an image\n"
        "\n"
        "Options:\n"
        "  -p, --packages LIST  packages to install (space or comma separated)\n"
        "      --from NAME      start from this image instead of mmdebstrap\n"
        "      --suite SUITE    Debian suite (default " PC_IMAGE_DEFAULT_SUITE ")\n"
        "      --replace        replace an image that exists\n"
        "  -j, --json           list as JSON\n"
        "  -c, --config FILE    the config file (its stateDir; default: $PINCER_CONFIG, else\n"
        "                       ~/.pincer/pincer.json5)\n"
        "\n"
        "Progress is shown when stderr is a terminal; otherwise tool output goes to\n"
        "<stateDir>/images/.logs/<image>.log, which a failure names.\n";

enum { ARG_FROM = 0x100, ARG_SUITE, ARG_REPLACE };

typedef struct Args {
        const char *config;
        const char *packages;
        const char *from;
        const char *suite;
        bool replace;
        bool json;
        int optind;
} Args;

static int parse_options(int argc, char **argv, Args *a)
{
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"packages", required_argument, NULL, 'p'},
                {"from", required_argument, NULL, ARG_FROM},
                {"suite", required_argument, NULL, ARG_SUITE},
                {"replace", no_argument, NULL, ARG_REPLACE},
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":c:p:jh", options, NULL)) >= 0) {
                switch (c) {
                case 'c':
                        a->config = optarg;
                        break;
                case 'p':
                        a->packages = optarg;
                        break;
                case ARG_FROM:
                        a->from = optarg;
                        break;
                case ARG_SUITE:
                        a->suite = optarg;
                        break;
                case ARG_REPLACE:
                        a->replace = true;
                        break;
                case 'j':
                        a->json = true;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        return -1;
                default: /* ':' a missing argument, '?' an unknown option */
                        return pc_cli_option_error("image", c, argv);
                }
        }
        a->optind = optind;
        return 0;
}

static int fail(const PcError *err)
{
        fprintf(stderr, "pincer image: %s\n", err->msg);
        return PC_EXIT_FAILURE;
}

static int do_list(const char *state_dir, bool json)
{
        PcError err = PC_ERROR_INIT;
        json_t *arr = NULL;
        size_t i;
        json_t *o;

        if (pc_image_list(state_dir, &arr, &err) < 0)
                return fail(&err);
        if (json) {
                pc_cli_print_json(arr);
        } else if (json_array_size(arr) == 0) {
                printf("no native images in %s/images (build one with: pincer image build "
                       "%s)\n",
                       state_dir, PC_IMAGE_DEFAULT_NAME);
        } else {
                printf("%-40s %-10s %-20s %s\n", "NAME", "SOURCE", "CREATED", "PACKAGES");
                json_array_foreach (arr, i, o) {
                        const char *name = json_string_value(json_object_get(o, "name"));
                        const char *src = json_string_value(json_object_get(o, "source"));
                        const char *created = json_string_value(json_object_get(o, "created"));
                        json_t *pk = json_object_get(o, "packages"), *p;
                        size_t k;
                        printf("%-40s %-10s %-20s ", name ? name : "?", src ? src : "?",
                               created ? created : "?");
                        json_array_foreach (pk, k, p)
                                printf("%s%s", k ? " " : "", json_string_value(p) ?: "?");
                        printf("\n");
                }
        }
        json_decref(arr);
        return PC_EXIT_OK;
}

static int run(int argc, char **argv)
{
        Args a = {0};
        PcConfig *cfg = NULL;
        PcError err = PC_ERROR_INIT;
        const char *sub;
        int r, n_pos;
        char **pos;

        if (argc < 2)
                return pc_cli_usage_error("image", "expected a subcommand: build, import, list "
                                                   "or rm");
        sub = argv[1];
        if (streq(sub, "--help") || streq(sub, "-h")) {
                fputs(usage, stdout);
                return PC_EXIT_OK;
        }
        if (!streq(sub, "build") && !streq(sub, "import") && !streq(sub, "list") &&
            !streq(sub, "rm"))
                return pc_cli_usage_error("image", "unknown subcommand '%s'", sub);
        r = parse_options(argc - 1, argv + 1, &a);
        if (r != 0)
                return r < 0 ? PC_EXIT_OK : r;
        pos = argv + 1 + a.optind;
        n_pos = argc - 1 - a.optind;
        int want = streq(sub, "list") ? 0 : streq(sub, "import") ? 2 : 1;
        if (n_pos < want)
                return pc_cli_usage_error("image", "%s needs %s", sub,
                                          want == 2 ? "NAME FILE.tar" : "NAME");
        if (n_pos > want)
                return pc_cli_usage_error("image", "unexpected argument '%s'", pos[want]);
        if ((a.packages || a.from || a.suite) && !streq(sub, "build"))
                return pc_cli_usage_error("image", "--packages, --from and --suite are for "
                                                   "build");
        if (a.json && !streq(sub, "list"))
                return pc_cli_usage_error("image", "--json is for list");

        r = pc_cli_load_config(a.config, &cfg);
        if (r != 0)
                return r;
        const char *state_dir = pc_config_state_dir(cfg);
        bool progress = isatty(STDERR_FILENO);

        if (streq(sub, "list"))
                r = do_list(state_dir, a.json);
        else if (streq(sub, "rm")) {
                r = pc_image_remove(state_dir, pos[0], &err) < 0 ? fail(&err) : PC_EXIT_OK;
                if (r == PC_EXIT_OK)
                        printf("removed native image %s\n", pos[0]);
        } else if (streq(sub, "import")) {
                r = pc_image_import(state_dir, pos[0], pos[1], a.replace, progress, &err) < 0
                            ? fail(&err)
                            : PC_EXIT_OK;
                if (r == PC_EXIT_OK)
                        printf("imported native image %s\n", pos[0]);
        } else {
                PcImageBuildOptions o = {
                        .name = pos[0],
                        .packages = a.packages,
                        .from = a.from,
                        .suite = a.suite,
                        .progress = progress,
                        .replace = a.replace,
                };
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = pc_image_build(state_dir, &o, &err) < 0 ? fail(&err) : PC_EXIT_OK;
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if (r == PC_EXIT_OK)
                        printf("built native image %s in %lds\n", pos[0],
                               (long) (t1.tv_sec - t0.tv_sec));
        }
        pc_config_unref(cfg);
        return r;
}

const PcVerb pc_verb_image = {
        .name = "image",
        .run = run,
        .summary = "build, import, list and remove native sandbox images",
        .usage = usage,
};
