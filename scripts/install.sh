#!/usr/bin/env bash
# Installs Pincer on this machine (a VM or bare metal, native backend): docs/install.md.
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--state-dir DIR] [--no-deps]
#
#   --prefix     installation prefix (default /usr/local)
#   --destdir    stage the files under DIR (like DESTDIR=DIR): no user is created and no
#                service is enabled on this machine; the state dir is made under DIR too
#   --state-dir  the gateway's state dir (default /var/lib/pincer, mode 0700)
#   --no-deps    do not install the build dependencies (scripts/setup.sh)
#
# Steps: build dependencies (scripts/setup.sh), release build (build/release), cmake --install,
# the `pincer` system user, the state dir, the configuration (`pincer onboard`, or
# examples/starter.json5 plus a generated token in <state dir>/gateway.env), then
# `systemctl enable --now pincer` when systemd runs. Running it again keeps the configuration
# and the token. PINCER_SYSTEMD_UNIT=FILE installs another unit file than dist/systemd/.
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local
destdir="${DESTDIR:-}"
state_dir=/var/lib/pincer
deps=1
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a value}"; shift 2 ;;
        --destdir) destdir="${2:?--destdir needs a value}"; shift 2 ;;
        --state-dir) state_dir="${2:?--state-dir needs a value}"; shift 2 ;;
        --no-deps) deps=0; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "install: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "install: $*"; }
die() { echo "install: error: $*" >&2; exit 1; }

case "$prefix" in /*) ;; *) die "--prefix '$prefix' is not an absolute path" ;; esac
case "$state_dir" in /*) ;; *) die "--state-dir '$state_dir' is not an absolute path" ;; esac
if [ -n "$destdir" ]; then
    case "$destdir" in /*) ;; *) destdir="$PWD/$destdir" ;; esac
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    die "installing into $prefix needs root (run it with sudo, or stage it with --destdir DIR)"
fi

# 1. Dependencies and the release build.
if [ "$deps" -eq 1 ]; then
    scripts/setup.sh --preset release --no-build
fi
say "building build/release"
cmake --preset release >/dev/null
cmake --build --preset release --target pincer

# 2. The files.
say "installing into ${destdir}${prefix}"
DESTDIR="$destdir" cmake --install build/release --prefix "$prefix" >/dev/null
bin="${destdir}${prefix}/bin/pincer"
unit="${destdir}${prefix}/lib/systemd/system/pincer.service"
"$bin" version >/dev/null || die "the installed $bin does not run"

# 3. The user and the state dir. The gateway runs as the unit's User= (root when it has none:
# the native backend needs root to create namespaces and cgroups); the `pincer` system user
# owns the state dir only when the unit runs as it.
run_user=root
if [ -f "$unit" ]; then
    u="$(sed -n 's/^User=//p' "$unit" | tail -n1)"
    [ -z "$u" ] || run_user="$u"
fi
if [ -z "$destdir" ]; then
    if ! getent passwd pincer >/dev/null; then
        say "creating the system user pincer"
        useradd --system --home-dir "$state_dir" --no-create-home \
            --shell /usr/sbin/nologin --comment "Pincer agent gateway" pincer
    fi
    install -d -m 0700 -o "$run_user" -g "$(id -gn "$run_user")" "$state_dir"
else
    install -d -m 0700 "${destdir}${state_dir}"
fi
state="${destdir}${state_dir}"
chmod 0700 "$state"

# 4. The configuration, once.
config="$state/pincer.json5"
if [ -e "$config" ]; then
    say "keeping the configuration in $config"
elif "$bin" onboard --help >/dev/null 2>&1; then
    say "writing the configuration with pincer onboard"
    PINCER_STATE_DIR="$state" "$bin" onboard >/dev/null
else
    say "writing the starter configuration (no pincer onboard in this build)"
    install -m 0600 examples/starter.json5 "$config"
    if [ ! -e "$state/gateway.env" ]; then
        (umask 077 && printf 'PINCER_GATEWAY_TOKEN=%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" \
            >"$state/gateway.env")
    fi
fi
# Only what this script wrote: onboarding gives the workspaces to the sandbox user (1000).
if [ -z "$destdir" ]; then
    for f in "$state" "$config" "$state/gateway.env"; do
        [ ! -e "$f" ] || chown "$run_user" "$f"
    done
fi
PINCER_STATE_DIR="$state" "$bin" config validate --config "$config" >/dev/null ||
    die "$config is not valid: fix it, then run: pincer config validate --config $config"

# 5. The service.
if [ -n "$destdir" ]; then
    say "staged in $destdir: not enabling a service on this machine"
elif [ ! -f "$unit" ]; then
    say "no systemd unit was installed (no dist/systemd/pincer.service): start the gateway with"
    say "  PINCER_STATE_DIR=$state_dir $prefix/bin/pincer gateway run"
elif [ ! -d /run/systemd/system ]; then
    say "systemd is not running here: the service is installed but not enabled. Start the gateway with"
    say "  set -a; . $state_dir/gateway.env; PINCER_STATE_DIR=$state_dir $prefix/bin/pincer gateway run"
    say "or, on a machine booted with systemd: systemctl daemon-reload && systemctl enable --now pincer"
else
    systemctl daemon-reload
    systemctl enable --now pincer
    say "pincer.service enabled and started (systemctl status pincer)"
fi
say "done: $prefix/bin/pincer, state in $state_dir, docs in $prefix/share/doc/pincer"
