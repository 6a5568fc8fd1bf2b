#!/usr/bin/env bash
# Sets up the Pincer gateway in Docker (docs/install.md "Docker"): builds the image, writes .env
# and a starter configuration, starts the container and waits for /health.
#
#   scripts/docker-setup.sh [--new-token] [--no-start]
#
#   --new-token  make a new gateway token (else the one in .env is kept)
#   --no-start   build and write the files, do not start the container
#
# Settings (environment, else the value already in .env, else the default):
#   PINCER_CONFIG_DIR           host dir mounted as the state dir (default ~/.pincer)
#   PINCER_WORKSPACE_DIR        host dir of the agent workspace (default <config dir>/workspace)
#   PINCER_GATEWAY_PORT         host port (default 18789)
#   PINCER_GATEWAY_BIND         loopback (publish on 127.0.0.1, default) or lan (0.0.0.0)
#   PINCER_GATEWAY_TOKEN        the token (default: generated once)
#   PINCER_IMAGE                image to build (default pincer:local)
#   PINCER_BASE_IMAGE           Debian bookworm base (default pincer-debian:bookworm-minbase,
#                               built by scripts/sandbox-image.sh from the mirror when missing)
#   PINCER_DOCKER_APT_PACKAGES  extra apt packages for the gateway image (a build argument);
#                               OPENCLAW_DOCKER_APT_PACKAGES is read too
#   PINCER_CONTAINER_NAME       container (docker run) or compose project name (default pincer)
#   PINCER_ENV_FILE             the .env file (default .env at the repository root)
#   PINCER_TZ                   the container's time zone (default UTC; must exist in
#                               /usr/share/zoneinfo)
#   PINCER_SANDBOX              1: sandboxes through the host's engine; mounts the Docker socket
#                               into the gateway container (read docs/install.md "The Docker
#                               socket" first) and the starter config uses the docker backend
#   PINCER_DOCKER_SOCKET        the socket (default: from DOCKER_HOST=unix://..., else
#                               /var/run/docker.sock)
#   PINCER_SANDBOX_IMAGE        the sandboxes' image (default openclaw-sandbox:bookworm-slim)
set -euo pipefail
cd "$(dirname "$0")/.."

new_token=0
start=1
while [ $# -gt 0 ]; do
    case "$1" in
        --new-token) new_token=1; shift ;;
        --no-start) start=0; shift ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "docker-setup: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

say() { echo "docker-setup: $*"; }
die() { echo "docker-setup: error: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "no docker CLI: run scripts/docker-env.sh first"
timeout 20 docker info >/dev/null 2>&1 ||
    die "no Docker engine answers \`docker info\` (DOCKER_HOST=${DOCKER_HOST:-unix:///var/run/docker.sock}): run scripts/docker-env.sh first"

env_file="${PINCER_ENV_FILE:-$PWD/.env}"

# Value of KEY in the .env file (last one wins), or nothing. Lines are KEY=VALUE, not shell.
env_get() {
    [ -f "$env_file" ] || return 0
    sed -n "s/^$1=//p" "$env_file" | tail -n1
}
# setting KEY DEFAULT: the environment, else .env, else DEFAULT.
setting() {
    local v="${!1:-}"
    [ -n "$v" ] || v="$(env_get "$1")"
    [ -n "$v" ] || v="$2"
    printf '%s' "$v"
}

config_dir="$(setting PINCER_CONFIG_DIR "$HOME/.pincer")"
workspace_dir="$(setting PINCER_WORKSPACE_DIR "$config_dir/workspace")"
port="$(setting PINCER_GATEWAY_PORT 18789)"
bind="$(setting PINCER_GATEWAY_BIND loopback)"
image="$(setting PINCER_IMAGE pincer:local)"
base_image="$(setting PINCER_BASE_IMAGE pincer-debian:bookworm-minbase)"
name="$(setting PINCER_CONTAINER_NAME pincer)"
apt_packages="$(setting PINCER_DOCKER_APT_PACKAGES "")"
oc_apt_packages="$(setting OPENCLAW_DOCKER_APT_PACKAGES "")"
tz="$(setting PINCER_TZ UTC)"
sandbox="$(setting PINCER_SANDBOX 0)"
default_socket=/var/run/docker.sock
case "${DOCKER_HOST:-}" in unix://*) default_socket="${DOCKER_HOST#unix://}" ;; esac
socket="$(setting PINCER_DOCKER_SOCKET "$default_socket")"
sandbox_image="$(setting PINCER_SANDBOX_IMAGE openclaw-sandbox:bookworm-slim)"
docker_gid=""
case "${sandbox,,}" in
    1 | true | yes | on)
        sandbox=1
        [ -S "$socket" ] || die "PINCER_SANDBOX=1 but '$socket' is not a socket: set PINCER_DOCKER_SOCKET"
        docker_gid="$(stat -c %g "$socket")"
        ;;
    0 | false | no | off | "") sandbox=0 ;;
    *) die "PINCER_SANDBOX='$sandbox' must be 1 or 0" ;;
esac

for pair in "PINCER_CONFIG_DIR=$config_dir" "PINCER_WORKSPACE_DIR=$workspace_dir"; do
    v="${pair#*=}"
    case "$v" in /*) ;; *) die "${pair%%=*}='$v' is not an absolute path" ;; esac
    if printf '%s' "$v" | grep -q '[[:space:][:cntrl:]]'; then
        die "${pair%%=*}='$v' contains whitespace or control characters: choose another directory"
    fi
done
case "$tz" in
    *..* | /* | *[!A-Za-z0-9_+/-]*) die "PINCER_TZ='$tz' is not a time zone name (e.g. Europe/Paris)" ;;
esac
[ -f "/usr/share/zoneinfo/$tz" ] || die "PINCER_TZ='$tz' is not in /usr/share/zoneinfo (e.g. UTC, Europe/Paris)"
case "$port" in '' | *[!0-9]*) die "PINCER_GATEWAY_PORT='$port' is not a port number" ;; esac
[ "$port" -ge 1 ] && [ "$port" -le 65535 ] || die "PINCER_GATEWAY_PORT=$port is out of range 1-65535"
case "$bind" in
    loopback) publish="127.0.0.1:$port" ;;
    lan) publish="$port" ;;
    *) die "PINCER_GATEWAY_BIND='$bind' must be loopback or lan" ;;
esac
[[ "$name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "PINCER_CONTAINER_NAME='$name' is not a valid container name"
for p in $apt_packages $oc_apt_packages; do
    [[ "$p" =~ ^[a-z0-9][a-z0-9+.:=~-]*$ ]] || die "'$p' in the extra apt packages is not a Debian package name"
done

# The token: --new-token, else the environment, else .env, else a new one.
token=""
if [ "$new_token" -eq 0 ]; then
    token="$(setting PINCER_GATEWAY_TOKEN "")"
fi
if [ -z "$token" ]; then
    token="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
    say "generated a new gateway token (in $env_file)"
fi

# 1. The directories. The gateway runs as uid/gid 1000 in the container.
mkdir -p "$config_dir" "$workspace_dir"
chmod 0700 "$config_dir"
if [ "$(id -u)" -eq 0 ]; then
    chown 1000:1000 "$config_dir" "$workspace_dir"
    user_args=()
elif [ "$(id -u)" -ne 1000 ]; then
    user_args=(--user "$(id -u):$(id -g)")
else
    user_args=()
fi

# 2. The starter configuration, once.
config="$config_dir/pincer.json5"
if [ ! -e "$config" ]; then
    say "writing the starter configuration $config"
    if [ "$sandbox" -eq 1 ]; then
        cat >"$config" <<JSON5
// Pincer in Docker, sandboxes through the host's engine: starter configuration
// (docs/install.md "Docker"). Reference: docs/config.md. The gateway container has the
// Docker socket: it is root on the host (docs/install.md "The Docker socket").
{
  gateway: {
    port: 18789,
    auth: { mode: "token" }, // the token comes from PINCER_GATEWAY_TOKEN in .env
    tools: { allow: ["exec"] }, // exec over HTTP, in the agent's sandbox
  },
  agents: {
    defaults: {
      sandbox: {
        mode: "all", backend: "docker", scope: "agent", workspaceAccess: "rw",
        // The gateway's paths are translated to host paths through its own mounts.
        docker: { image: "$sandbox_image", containerPrefix: "$name-sbx-", user: "1000:1000",
                  network: "none", capDrop: ["ALL"] },
      },
    },
    list: [{ id: "main", default: true, tools: { profile: "coding" } }],
  },
}
JSON5
    else
        cat >"$config" <<'JSON5'
// Pincer in Docker: starter configuration (docs/install.md "Docker").
// Reference: docs/config.md. Check a change with:
//   docker exec <container> pincer config validate
{
  gateway: {
    port: 18789,
    // The container publishes the port on the host address PINCER_GATEWAY_BIND chooses;
    // inside the container the gateway listens on all addresses (--bind lan).
    auth: { mode: "token" }, // the token comes from PINCER_GATEWAY_TOKEN in .env
  },
  agents: {
    defaults: {
      // The gateway container is the boundary here: sandboxes need the host's Docker socket
      // (see docs/install.md before giving it) or the gateway in a VM with the native backend.
      sandbox: { mode: "off" },
    },
    list: [{ id: "main", default: true, tools: { profile: "coding" } }],
  },
}
JSON5
    fi
    chmod 0600 "$config"
    [ "$(id -u)" -ne 0 ] || chown 1000:1000 "$config"
else
    say "keeping the configuration $config"
fi

# 3. .env: these keys are replaced, any other line is kept.
upsert_env() {
    local tmp keys=(PINCER_CONFIG_DIR PINCER_WORKSPACE_DIR PINCER_GATEWAY_PORT PINCER_GATEWAY_BIND
        PINCER_GATEWAY_TOKEN PINCER_IMAGE PINCER_BASE_IMAGE PINCER_CONTAINER_NAME
        PINCER_DOCKER_APT_PACKAGES OPENCLAW_DOCKER_APT_PACKAGES PINCER_SANDBOX
        PINCER_DOCKER_SOCKET PINCER_SANDBOX_IMAGE DOCKER_GID PINCER_TZ)
    tmp="$(mktemp "$env_file.XXXXXX")"
    if [ -f "$env_file" ]; then
        grep -v -E "^($(IFS='|'; echo "${keys[*]}"))=" "$env_file" >"$tmp" || true
    fi
    {
        echo "PINCER_CONFIG_DIR=$config_dir"
        echo "PINCER_WORKSPACE_DIR=$workspace_dir"
        echo "PINCER_GATEWAY_PORT=$port"
        echo "PINCER_GATEWAY_BIND=$bind"
        echo "PINCER_GATEWAY_TOKEN=$token"
        echo "PINCER_IMAGE=$image"
        echo "PINCER_BASE_IMAGE=$base_image"
        echo "PINCER_CONTAINER_NAME=$name"
        echo "PINCER_DOCKER_APT_PACKAGES=$apt_packages"
        echo "OPENCLAW_DOCKER_APT_PACKAGES=$oc_apt_packages"
        echo "PINCER_SANDBOX=$sandbox"
        echo "PINCER_DOCKER_SOCKET=$socket"
        echo "PINCER_SANDBOX_IMAGE=$sandbox_image"
        echo "DOCKER_GID=$docker_gid"
        echo "PINCER_TZ=$tz"
    } >>"$tmp"
    chmod 0600 "$tmp"
    mv -f "$tmp" "$env_file"
}
upsert_env
say "wrote $env_file"

# 4. The images: the base from Debian's mirror if missing, then the gateway.
if ! docker image inspect "$base_image" >/dev/null 2>&1; then
    if [ "$base_image" = pincer-debian:bookworm-minbase ]; then
        say "building the base image $base_image from the Debian mirror (scripts/sandbox-image.sh)"
        scripts/sandbox-image.sh --name "$base_image" --packages ca-certificates
    else
        die "base image $base_image is missing: pull or build it, or unset PINCER_BASE_IMAGE"
    fi
fi
build_env=()
docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
say "building $image FROM $base_image${apt_packages:+ + $apt_packages}${oc_apt_packages:+ + $oc_apt_packages}"
build_log="$(mktemp /tmp/pincer-docker-build.XXXXXX)"
if ! "${build_env[@]}" docker build --force-rm \
    --build-arg "BASE_IMAGE=$base_image" \
    --build-arg "PINCER_DOCKER_APT_PACKAGES=$apt_packages" \
    --build-arg "OPENCLAW_DOCKER_APT_PACKAGES=$oc_apt_packages" \
    --tag "$image" --file Dockerfile . >"$build_log" 2>&1; then
    tail -n 30 "$build_log" >&2
    die "docker build of $image failed (last lines above; full log $build_log)"
fi
rm -f "$build_log"

[ "$start" -eq 1 ] || { say "built $image; not starting (--no-start)"; exit 0; }

# 5. Start: docker compose when there is one, else docker run with the same settings.
compose=()
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
fi
if [ "${PINCER_DOCKER_SETUP_RUNNER:-}" = run ]; then
    compose=()
fi
# A container from an earlier run through the other path holds the port: remove it.
remove_other() {
    local c
    for c in $(docker ps -aq --filter "label=com.docker.compose.project=$name") \
        $(docker ps -aq --filter "name=^/$name\$"); do
        [ "$1" = compose ] && docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$c" |
            grep -qx "$name" && continue
        [ "$1" = run ] && [ "$(docker inspect -f '{{.Name}}' "$c")" = "/$name" ] && continue
        docker rm -f "$c" >/dev/null
    done
}
overlay="$(dirname "$env_file")/docker-compose.sandbox.yml"
compose_files=(-f docker-compose.yml)
sandbox_args=()
if [ "$sandbox" -eq 1 ]; then
    say "sandboxes through the host's engine: the gateway container gets $socket (root on the host)"
    docker image inspect "$sandbox_image" >/dev/null 2>&1 ||
        say "warning: sandbox image $sandbox_image is missing: build it with scripts/sandbox-image.sh --name $sandbox_image"
    cat >"$overlay" <<YAML
# Written by scripts/docker-setup.sh (PINCER_SANDBOX=1): the Docker socket for sandboxes.
version: "3.9"
services:
  pincer-gateway:
    volumes:
      - $socket:/var/run/docker.sock
    group_add: ["$docker_gid"]
YAML
    compose_files+=(-f "$overlay")
    sandbox_args=(-v "$socket:/var/run/docker.sock" --group-add "$docker_gid")
else
    rm -f "$overlay"
fi
if [ ${#compose[@]} -gt 0 ]; then
    remove_other compose
    say "starting with ${compose[*]} (project $name)"
    export PINCER_GATEWAY_PUBLISH="$publish" PINCER_UID="${user_args[1]:-1000:1000}" \
        PINCER_CONFIG_DIR="$config_dir" PINCER_WORKSPACE_DIR="$workspace_dir" \
        PINCER_GATEWAY_TOKEN="$token" PINCER_IMAGE="$image" PINCER_TZ="$tz"
    if ! out="$("${compose[@]}" --env-file "$env_file" --project-name "$name" \
        "${compose_files[@]}" up -d --force-recreate 2>&1)"; then
        printf '%s\n' "$out" >&2
        die "${compose[*]} up failed (output above)"
    fi
    cid="$("${compose[@]}" --env-file "$env_file" --project-name "$name" "${compose_files[@]}" ps -q pincer-gateway)"
else
    say "starting container $name with docker run (no docker compose here)"
    remove_other run
    docker rm -f "$name" >/dev/null 2>&1 || true
    cid="$(docker run -d --name "$name" --restart unless-stopped --init \
        "${user_args[@]}" "${sandbox_args[@]}" \
        -e "PINCER_GATEWAY_TOKEN=$token" -e "TZ=$tz" \
        -v "$config_dir:/home/pincer/.pincer" -v "$workspace_dir:/home/pincer/.pincer/workspace" \
        -p "$publish:18789" \
        --cap-drop NET_RAW --cap-drop NET_ADMIN --security-opt no-new-privileges:true \
        "$image")"
fi

# 6. Wait for /health from the host.
for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
        say "the gateway answers on http://127.0.0.1:$port (token in $env_file)"
        exit 0
    fi
    sleep 1
done
docker logs --tail 30 "$cid" >&2 || true
die "the gateway did not answer http://127.0.0.1:$port/health within 60 s (logs above; docker logs $cid)"
