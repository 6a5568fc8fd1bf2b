#!/usr/bin/env bash
# Builds Pincer's base sandbox image from Debian's mirror, without Docker Hub:
# mmdebstrap --variant=minbase makes a root filesystem tarball, `docker import` turns it into
# an image. The default image has what OpenClaw's Dockerfile.sandbox has.
#
#   scripts/sandbox-image.sh [--name IMAGE] [--packages "PKG ..."] [--suite SUITE]
#                            [--force] [--refresh] [--common [--common-name IMAGE]]
#
#   --name       image to make (default openclaw-sandbox:bookworm-slim)
#   --packages   packages on top of minbase (default "bash ca-certificates curl git jq python3 ripgrep")
#   --suite      Debian suite (default bookworm)
#   --force      re-import the image (and rebuild --common) even if it exists; a cached rootfs
#                tarball with the same key is reused
#   --refresh    also rebuild the rootfs tarball (newer packages from the mirror); implies --force
#   --common     then build IMAGE-common from Dockerfile.sandbox-common on top of it
#   --common-name  name of that image (default openclaw-sandbox-common:bookworm-slim)
#
# An image that exists is left alone (unless --force). The rootfs tarball is kept as
# ${PINCER_CACHE_DIR:-/var/cache/pincer}/images/rootfs-<key>.tar, where <key> hashes (script
# version, architecture, suite, sorted packages), with images/<name-sanitised>.tar a symlink to
# it, for other images and for the native backend. The mirror comes from the host's apt sources
# (override: PINCER_DEBIAN_MIRROR, PINCER_DEBIAN_SECURITY_MIRROR). Logs of the last run:
# <cache>/logs/<name-sanitised>.log. docs/install-docker-env.md has the details.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bump when the recipe of the rootfs changes (hooks, dpkg options, environment): it is part
# of the cache key, so old tarballs stop matching.
script_version=1

name=openclaw-sandbox:bookworm-slim
packages="bash ca-certificates curl git jq python3 ripgrep"
suite=bookworm
force=0
refresh=0
common=0
common_name=openclaw-sandbox-common:bookworm-slim
cache_dir="${PINCER_CACHE_DIR:-/var/cache/pincer}"

say() { echo "sandbox-image: $*"; }
die() { echo "sandbox-image: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --name) name="${2:?--name needs a value}"; shift 2 ;;
        --packages) packages="${2?--packages needs a value}"; shift 2 ;;
        --suite) suite="${2:?--suite needs a value}"; shift 2 ;;
        --force) force=1; shift ;;
        --refresh) refresh=1; force=1; shift ;;
        --common) common=1; shift ;;
        --common-name) common_name="${2:?--common-name needs a value}"; common=1; shift 2 ;;
        -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
        *) echo "sandbox-image: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

interactive=0
[ -t 1 ] && interactive=1

sudo=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
fi
need_root() {
    if [ "$(id -u)" -ne 0 ] && [ ${#sudo[@]} -eq 0 ]; then
        die "$1 needs root (run this script as root, or install sudo)"
    fi
}
as_root() { "${sudo[@]}" "$@"; }

sanitise() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }

mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }

# Runs a phase: on a terminal its output shows; otherwise it goes to the log, whose tail is
# printed if the phase fails.
run_phase() {
    local what="$1"
    shift
    if [ "$interactive" -eq 1 ]; then
        "$@" || die "$what failed"
    else
        if [ "$log_started" != "$log" ]; then
            : >"$log"
            log_started="$log"
        fi
        printf '=== %s: %s\n' "$(date -Is)" "$what" >>"$log"
        if ! "$@" >>"$log" 2>&1; then
            echo "--- last lines of $log" >&2
            tail -n 40 "$log" >&2
            die "$what failed (full log: $log)"
        fi
    fi
}

# --- preconditions -----------------------------------------------------------------------------
if ! command -v docker >/dev/null 2>&1 || ! timeout 20 docker info >/dev/null 2>&1; then
    die "no Docker engine answers \`docker info\`: run scripts/docker-env.sh first"
fi

as_root mkdir -p "$cache_dir/images" "$cache_dir/logs" 2>/dev/null ||
    die "cannot create $cache_dir (set PINCER_CACHE_DIR to a writable directory)"
if [ ! -w "$cache_dir/images" ] || [ ! -w "$cache_dir/logs" ]; then
    die "$cache_dir is not writable by $(id -un) (set PINCER_CACHE_DIR, or run as root)"
fi
# Each image's log holds the last run that did something for it.
log="$cache_dir/logs/$(sanitise "$name").log"
log_started=""

# One build at a time per cache directory (parallel test jobs may all ask for the image).
exec 9>"$cache_dir/images/.lock"
if ! flock -n 9; then
    say "waiting for another sandbox-image.sh run to finish"
    flock 9
fi

# A half-written tarball never stays behind.
rootfs_tmp=""
trap 'if [ -n "$rootfs_tmp" ]; then as_root rm -f "$rootfs_tmp"; fi' EXIT
trap 'exit 130' INT TERM

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# --- the cache key -----------------------------------------------------------------------------
# Sorted, de-duplicated, comma-separated: "git jq" and "jq,git" are the same rootfs.
pkg_list="$(printf '%s\n' "$packages" | tr ', \t' '\n' | sed '/^$/d' | LC_ALL=C sort -u |
    paste -sd, -)"
arch="$(dpkg --print-architecture)"
key="$(printf 'pincer-sandbox-image v%s\narch %s\nsuite %s\npackages %s\n' \
    "$script_version" "$arch" "$suite" "$pkg_list" | sha256sum | cut -c1-16)"
tarball="$cache_dir/images/rootfs-$key.tar"
link="$cache_dir/images/$(sanitise "$name").tar"

# --- mirrors from the host's apt sources -------------------------------------------------------
# Prints "URI SUITE" for every enabled `deb` entry, from one-line and deb822 files.
host_sources() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk '$1 == "deb" {
                i = 2
                if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if (i + 1 <= NF) print $i, $(i + 1)
            }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk 'function flush(   u, s, nu, ns, a, b) {
                if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false|0)$/) {
                    nu = split(uris, a, " "); ns = split(suites, b, " ")
                    for (u = 1; u <= nu; u++) for (s = 1; s <= ns; s++) print a[u], b[s]
                }
                types = uris = suites = ""; enabled = "yes"
            }
            BEGIN { enabled = "yes" }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            {
                k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
                if (k == "types") types = v
                else if (k == "uris") uris = v
                else if (k == "suites") suites = v
                else if (k == "enabled") enabled = tolower(v)
            }
            END { flush() }' "$f"
    done
}

uri_for() { # SUITE -> the first host URI serving it, or nothing
    host_sources 2>/dev/null |
        awk -v s="$1" 'uri == "" && $2 == s && $1 ~ /^(https?|file):/ { uri = $1 }
                       END { if (uri != "") print uri }'
}

mirror="${PINCER_DEBIAN_MIRROR:-$(uri_for "$suite")}"
security="${PINCER_DEBIAN_SECURITY_MIRROR:-$(uri_for "$suite-security")}"
updates="$(uri_for "$suite-updates")"
if [ -z "$mirror" ]; then
    # The host does not track this suite (another release, or not Debian): use the CDN.
    mirror=http://deb.debian.org/debian
    security="${security:-http://deb.debian.org/debian-security}"
    updates="$mirror"
fi
mirror_lines=("deb $mirror $suite main")
[ -n "$updates" ] && mirror_lines+=("deb $updates $suite-updates main")
[ -n "$security" ] && mirror_lines+=("deb $security $suite-security main")

# --- 1. the rootfs tarball ---------------------------------------------------------------------
build_rootfs() {
    need_root "building the rootfs with mmdebstrap"
    if ! command -v mmdebstrap >/dev/null 2>&1; then
        say "installing mmdebstrap"
        run_phase "apt-get install mmdebstrap" as_root env DEBIAN_FRONTEND=noninteractive \
            sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap'
    fi

    local start=$SECONDS opts=()
    # Off a terminal the log gets apt's and dpkg's output too.
    [ "$interactive" -eq 1 ] || opts+=(--verbose)
    [ -z "$pkg_list" ] || opts+=("--include=$pkg_list")
    rootfs_tmp="$cache_dir/images/.rootfs-$key.$$.tar"
    say "building the $suite rootfs with mmdebstrap (packages: ${pkg_list:-none}; mirror $mirror)"
    # Slim like debian:*-slim: no docs, man pages or translations (the dpkg options stay in the
    # image, so later apt-get installs are slim too). The sandbox user matches OpenClaw's
    # (useradd --create-home --shell /bin/bash sandbox), with the ids pinned to 1000.
    # hostname and resolv.conf are copied from the host during the build: reset them.
    # maybe-merged-usr: the /usr symlinks plus usr-is-merged, as debootstrap does, instead of
    # the usrmerge package (which drags in 50 MB of perl).
    # shellcheck disable=SC2016  # "$1" is expanded by mmdebstrap's hook shell
    run_phase "mmdebstrap" as_root mmdebstrap "${opts[@]}" \
        --variant=minbase --format=tar \
        --hook-dir=/usr/share/mmdebstrap/hooks/maybe-merged-usr \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --dpkgopt='path-include=/usr/share/locale/locale.alias' \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-include=/usr/share/doc/*/copyright' \
        --dpkgopt='path-exclude=/usr/share/info/*' \
        --customize-hook='chroot "$1" groupadd --gid 1000 sandbox' \
        --customize-hook='chroot "$1" useradd --uid 1000 --gid 1000 --create-home --home-dir /home/sandbox --shell /bin/bash sandbox' \
        --customize-hook='echo localhost >"$1/etc/hostname" && : >"$1/etc/resolv.conf"' \
        "$suite" "$rootfs_tmp" "${mirror_lines[@]}"
    as_root mv -f "$rootfs_tmp" "$tarball"
    rootfs_tmp=""
    say "rootfs ready in $((SECONDS - start))s: $tarball ($(mib "$(stat -c %s "$tarball")"))"
}

# --- 2. docker import --------------------------------------------------------------------------
import_image() {
    local start=$SECONDS old
    old="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
    say "importing $name"
    run_phase "docker import" docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'USER sandbox' \
        --change 'WORKDIR /home/sandbox' \
        --change 'CMD ["sleep", "infinity"]' \
        --change "LABEL org.pincer.rootfs-key=$key" \
        --change "LABEL org.pincer.packages=$pkg_list" \
        --change "LABEL org.pincer.suite=$suite" \
        --message "pincer scripts/sandbox-image.sh v$script_version: mmdebstrap minbase $suite + $pkg_list" \
        "$tarball" "$name"
    # The image it replaced is now untagged: drop it unless a container still uses it.
    if [ -n "$old" ] && [ "$old" != "$(docker image inspect -f '{{.Id}}' "$name")" ]; then
        docker rmi "$old" >/dev/null 2>&1 || true
    fi
    local size
    size="$(docker image inspect -f '{{.Size}}' "$name")"
    say "$name ready in $((SECONDS - start))s ($(mib "$size"))"
}

if image_exists "$name" && [ "$force" -eq 0 ]; then
    have="$(docker image inspect -f '{{index .Config.Labels "org.pincer.rootfs-key"}}' "$name" 2>/dev/null || true)"
    if [ "$have" = "$key" ]; then
        say "$name exists (use --force to rebuild it)"
    else
        say "$name exists but was not built from these inputs (key ${have:-none}, want $key): use --force to rebuild it"
    fi
else
    if [ "$refresh" -eq 1 ] || [ ! -s "$tarball" ]; then
        build_rootfs
    else
        say "reusing the cached rootfs $tarball"
    fi
    ln -sfn "rootfs-$key.tar" "$link"
    import_image
fi

# --- 3. the common image (on request) ----------------------------------------------------------
if [ "$common" -eq 1 ]; then
    if image_exists "$common_name" && [ "$force" -eq 0 ]; then
        say "$common_name exists (use --force to rebuild it)"
    else
        start=$SECONDS
        log="$cache_dir/logs/$(sanitise "$common_name").log"
        say "building $common_name FROM $name (Dockerfile.sandbox-common)"
        # Without the buildx plugin the CLI uses the classic builder, which is all we need.
        build_env=()
        docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
        # CAs the admin added on the host (a TLS-intercepting egress proxy): for npm in the
        # build only, see the Dockerfile.
        extra_ca=""
        for crt in /usr/local/share/ca-certificates/*.crt; do
            [ -r "$crt" ] && extra_ca+="$(cat "$crt")"$'\n'
        done
        run_phase "docker build $common_name" "${build_env[@]}" docker build \
            --build-arg "BASE_IMAGE=$name" --build-arg "EXTRA_CA_CERTS=$extra_ca" \
            --force-rm --tag "$common_name" --file Dockerfile.sandbox-common .
        size="$(docker image inspect -f '{{.Size}}' "$common_name")"
        say "$common_name ready in $((SECONDS - start))s ($(mib "$size"))"
    fi
fi
