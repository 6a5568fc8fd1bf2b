#!/usr/bin/env bash
# Makes sure a Docker engine answers `docker info`, for the tests, CI and users.
#
#   scripts/docker-env.sh [--timeout SECONDS]
#
# 1. An engine that already answers (DOCKER_HOST, or /var/run/docker.sock) is reused: nothing
#    else happens.
# 2. Otherwise Debian's docker.io is installed if no dockerd is on PATH (apt-get, needs root or
#    sudo), and dockerd is started: with systemctl when systemd really runs, else detached in
#    the background with its log in /var/log/pincer-dockerd.log and its pid in
#    /run/pincer-dockerd.pid.
# 3. Then it waits (default 90 s; env PINCER_DOCKERD_TIMEOUT or --timeout) until the socket
#    answers, and prints the tail of the log if it does not.
#
# Idempotent. Exits non-zero with a message naming the step that failed. docs/install-docker-env.md
# has the details and the decisions (hybrid cgroups: runc + the cgroupfs driver on cgroup v1).
set -euo pipefail

log=/var/log/pincer-dockerd.log
pidfile=/run/pincer-dockerd.pid
timeout="${PINCER_DOCKERD_TIMEOUT:-90}"

say() { echo "docker-env: $*"; }
die() { echo "docker-env: error: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --timeout) timeout="${2:?--timeout needs a value}"; shift 2 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "docker-env: unknown option '$1'" >&2; exit 2 ;;
    esac
done
case "$timeout" in
    ''|*[!0-9]*) die "the timeout must be a whole number of seconds, not '$timeout'" ;;
esac

# `docker info` with a bound on the time it may take (a wedged daemon must not hang CI).
engine_answers() {
    command -v docker >/dev/null 2>&1 || return 1
    timeout 20 docker info >/dev/null 2>&1
}

server_version() {
    timeout 20 docker version --format '{{.Server.Version}}' 2>/dev/null || echo unknown
}

if engine_answers; then
    say "reusing the running engine (server $(server_version), ${DOCKER_HOST:-unix:///var/run/docker.sock})"
    exit 0
fi

if command -v docker >/dev/null 2>&1; then
    case "$(timeout 20 docker info 2>&1 >/dev/null || true)" in
        *"permission denied"*)
            die "an engine runs but $(id -un) may not use its socket: add yourself to the docker group (usermod -aG docker $(id -un)) and log in again" ;;
    esac
fi

# A DOCKER_HOST that points somewhere else cannot be fixed by starting a local daemon.
case "${DOCKER_HOST:-}" in
    ''|unix:///var/run/docker.sock|unix:///run/docker.sock) ;;
    *) die "DOCKER_HOST=$DOCKER_HOST is set but \`docker info\` fails there; fix that engine or unset DOCKER_HOST to use a local one" ;;
esac

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        die "no Docker engine answers and starting one needs root (run this script as root, or install sudo)"
    fi
fi
as_root() { "${sudo[@]}" "$@"; }

# --- 1. install --------------------------------------------------------------------------------
PATH="$PATH:/usr/sbin:/sbin"
if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io from the Debian mirror"
    start=$SECONDS
    apt_log="$(mktemp /tmp/pincer-docker-install.XXXXXX.log)"
    # The package's maintainer script may try to start the service; without an init system
    # invoke-rc.d skips that, and step 2 copes with a daemon it started anyway.
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$apt_log" 2>&1 ||
        ! as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends docker.io >>"$apt_log" 2>&1; then
        tail -n 30 "$apt_log" >&2
        die "apt-get install docker.io failed (full log: $apt_log)"
    fi
    rm -f "$apt_log"
    say "installed docker.io $(dpkg-query -W -f='${Version}' docker.io 2>/dev/null) in $((SECONDS - start))s"
fi
command -v dockerd >/dev/null 2>&1 || die "dockerd is not on PATH after the install"
if ! command -v docker >/dev/null 2>&1; then
    die "the docker client is missing (the docker.io package ships it as /usr/bin/docker)"
fi

# --- 2. start ----------------------------------------------------------------------------------
systemd_works() {
    pidof systemd >/dev/null 2>&1 || [ -d /run/systemd/system ] || return 1
    local state
    state="$(systemctl is-system-running 2>/dev/null || true)"
    case "$state" in
        running|degraded|starting) return 0 ;;
        *) return 1 ;;
    esac
}

# The pid of a dockerd that is already running (ours or anybody's), or nothing.
running_dockerd() {
    local pid
    if [ -r "$pidfile" ]; then
        pid="$(cat "$pidfile" 2>/dev/null || true)"
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            echo "$pid"
            return 0
        fi
    fi
    pid="$(pidof dockerd 2>/dev/null || true)"
    echo "${pid%% *}"
}

start=$SECONDS
pid=""
how=""
if systemd_works; then
    say "starting docker.service with systemctl"
    as_root systemctl start docker.service ||
        die "systemctl start docker.service failed; see: journalctl -u docker.service"
    how="systemctl (journalctl -u docker.service)"
else
    pid="$(running_dockerd)"
    if [ -n "$pid" ]; then
        say "dockerd is already running (pid $pid) but does not answer yet; waiting for it"
        how="pid $pid"
    else
        say "starting dockerd in the background (log $log)"
        as_root mkdir -p "$(dirname "$log")"
        # setsid: its own session, so it outlives this shell and the job that ran it.
        # --exec-opt native.cgroupdriver=cgroupfs: no systemd to delegate to; on hybrid
        # hosts runc then applies limits through the v1 controllers.
        # shellcheck disable=SC2016  # expanded by the inner sh, from its arguments
        as_root sh -c '
            log="$1"; pidfile="$2"
            printf "\n=== %s: started by pincer scripts/docker-env.sh\n" "$(date -Is)" >>"$log"
            setsid dockerd --pidfile "$pidfile" --exec-opt native.cgroupdriver=cgroupfs \
                </dev/null >>"$log" 2>&1 &
            echo $! >"$pidfile.launch"
        ' sh "$log" "$pidfile"
        pid="$(as_root cat "$pidfile.launch")"
        as_root rm -f "$pidfile.launch"
        how="pid $pid, log $log"
    fi
fi

# --- 3. wait -----------------------------------------------------------------------------------
show_log() {
    if [ -z "$pid" ]; then
        echo "--- see: journalctl -u docker.service" >&2
    elif as_root test -r "$log"; then
        echo "--- last lines of $log" >&2
        as_root tail -n 25 "$log" >&2 || true
    fi
}

deadline=$((SECONDS + timeout))
until engine_answers; do
    if [ -n "$pid" ] && ! as_root kill -0 "$pid" 2>/dev/null; then
        show_log
        die "dockerd (pid $pid) exited during startup; see $log"
    fi
    if [ ${#sudo[@]} -gt 0 ] && as_root timeout 20 docker info >/dev/null 2>&1; then
        die "the engine runs but $(id -un) may not use its socket: add yourself to the docker group (sudo usermod -aG docker $(id -un)) and log in again"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
        show_log
        die "dockerd did not answer within ${timeout}s ($how)"
    fi
    sleep 0.5
done

say "engine ready in $((SECONDS - start))s (server $(server_version), $how)"
