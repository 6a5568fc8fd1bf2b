/* SPDX-License-Identifier: MIT */
/*
 * The native image store: root filesystems in <state dir>/images/<dir>/, where <dir> is the
 * image name with '%', ':' and '/' percent-encoded ("openclaw-sandbox%3Abookworm-slim"), so
 * the directory name maps back to the name. Each holds rootfs/ and image.json:
 *   {"name", "created" (RFC 3339 UTC), "source": "mmdebstrap"|"from"|"import"|"provisioned",
 *    "packages": [...], "from": NAME|null, "suite", and for "provisioned": "scriptSha256"}.
 *
 * Builds and imports happen in a temporary directory next to the target (<images>/.tmp-*)
 * and are renamed into place, so a half-made image is never visible; one operation at a time
 * per store (flock on <images>/.lock; temporary directories that a crashed operation left are
 * removed by the next one). External programs (mmdebstrap, tar, cp, chroot) are run
 * with fork/exec and an argv array, never a shell. Their output goes to the terminal when
 * opts->progress is set, else to <images>/.logs/<dir>.log, which error messages name.
 *
 * Every function returns 0 or -errno and fills reterr (may be NULL). Nothing logs.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"

/* Name rules: 1..128 characters of [A-Za-z0-9._/:-], starting with a letter or digit, no
 * "..", no "//", not ending with '/' or ':'. */
bool pc_image_name_valid(const char *name);

/* The directory name of image name (new string), or NULL when the name is invalid. */
char *pc_image_dir_name(const char *name);
/* The image name of directory name dir (new string), or NULL when dir is not one. */
char *pc_image_name_from_dir(const char *dir);

/* The rootfs of image name. -ENOENT with "native image 'X' not found; build it with: pincer
 * image build X"; -EINVAL for an invalid name. */
int pc_image_path(const char *state_dir, const char *name, char **ret_rootfs, PcError *reterr);

#define PC_IMAGE_DEFAULT_NAME "openclaw-sandbox:bookworm-slim"
/* What scripts/sandbox-image.sh puts into the default image (OpenClaw's Dockerfile.sandbox). */
#define PC_IMAGE_DEFAULT_PACKAGES "bash ca-certificates curl git jq python3 ripgrep"
#define PC_IMAGE_DEFAULT_SUITE    "bookworm"

typedef struct PcImageBuildOptions {
        const char *name;
        const char *packages; /* space or comma separated; NULL: PC_IMAGE_DEFAULT_PACKAGES
                                 without from, none with from */
        const char *from;     /* NULL: mmdebstrap from the mirror; else copy this image and
                                 apt-get install the packages in a chroot */
        const char *suite;    /* NULL: PC_IMAGE_DEFAULT_SUITE */
        bool progress;        /* show the tools' output (stderr is a terminal) */
        bool replace;         /* replace an existing image of that name */
} PcImageBuildOptions;

/* Builds an image (needs root). The mirror comes from the host's apt sources (override:
 * $PINCER_DEBIAN_MIRROR, $PINCER_DEBIAN_SECURITY_MIRROR), else deb.debian.org. The image has
 * the user sandbox (1000:1000, home /home/sandbox), no docs or man pages, an empty
 * /etc/resolv.conf. -EEXIST when the image exists and !replace. */
int pc_image_build(const char *state_dir, const PcImageBuildOptions *opts, PcError *reterr);

/* Imports a tarball (docker export, mmdebstrap --format=tar) as image name, extracted with
 * tar -xpf --numeric-owner. -EEXIST when the image exists and !replace. */
int pc_image_import(const char *state_dir, const char *name, const char *tar_path, bool replace,
                    bool progress, PcError *reterr);

/* Every image's image.json (plus "path": the rootfs), sorted by name: a new JSON array.
 * A store that does not exist yet is empty. */
int pc_image_list(const char *state_dir, json_t **ret, PcError *reterr);

/* Removes an image; -ENOENT when it does not exist. */
int pc_image_remove(const char *state_dir, const char *name, PcError *reterr);

/* The name of the image provisioned from a base of identity (name and created time) with
 * script: "pincer-provisioned:<16 hex digits of a sha256>" (new string). */
char *pc_image_provisioned_name(const char *identity, const char *script);

/* Provisions an image from base (needs root): copies its rootfs into the store's temporary
 * directory, runs /bin/sh -c script there as root in a mount and pid namespace with the
 * host's network, /proc, /dev and /etc/resolv.conf, and on exit status 0 keeps the result as
 * image *ret_name (source "provisioned", from base, "scriptSha256"). An existing one is reused
 * without running anything. The script's output (stdout and stderr, at most 1 MiB) is appended to
 * output; a non-zero exit is -EIO with the exit status and the last 4000 bytes quoted, and nothing
 * is kept. */
int pc_image_provision(const char *state_dir, const char *base, const char *script, PcBuf *output,
                       char **ret_name, PcError *reterr);
