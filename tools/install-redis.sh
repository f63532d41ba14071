#!/usr/bin/env bash
# Make sure the sandbox can run Redis: the `redis-server` binary (Debian's redis-server 7.0) for the sandbox's
# ElastiCache data plane (one real redis-server per replication group, on loopback). Installs Debian's
# `redis-server` package when the binary is missing, without starting the system service. Idempotent and quiet when
# it is there: `make sandbox` calls it every time. CLOUDOPS_SANDBOX_REDIS_SERVER names another binary.
set -euo pipefail

have_server() {
    if [[ -n "${CLOUDOPS_SANDBOX_REDIS_SERVER:-}" ]]; then
        [[ -x "$CLOUDOPS_SANDBOX_REDIS_SERVER" ]]
        return
    fi
    command -v redis-server >/dev/null || [[ -x /usr/bin/redis-server ]]
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else
        echo "error: redis-server is missing and installing it needs root." >&2
        echo "       Install Debian's 'redis-server' package, or set CLOUDOPS_SANDBOX_REDIS_SERVER to a redis-server binary." >&2
        exit 1
    fi
}

if ! have_server; then
    if ! command -v apt-get >/dev/null; then
        echo "error: redis-server not found and no apt-get to install it;" \
             "install Redis >= 6.2 and set CLOUDOPS_SANDBOX_REDIS_SERVER to its redis-server." >&2
        exit 1
    fi
    echo "installing Redis (Debian package redis-server) for the sandbox's ElastiCache data plane"
    export DEBIAN_FRONTEND=noninteractive
    # The sandbox starts its own servers: keep the package's system service from starting (no init here anyway).
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [[ ! -e $policy ]]; then
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created_policy=1
    fi
    trap 'if [[ $created_policy -eq 1 ]]; then as_root rm -f $policy; fi' EXIT
    if ! apt-cache show redis-server >/dev/null 2>&1; then
        as_root apt-get update -qq
    fi
    as_root apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
