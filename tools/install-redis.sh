#!/usr/bin/env bash
# Make sure the sandbox can run Redis: the `redis-server` binary (Debian's redis-server 7.0) for the sandbox's
# ElastiCache data plane (one real redis-server per replication group, on loopback). Installs Debian's
# `redis-server` package when the binary is missing, without starting the system service. Idempotent and quiet when
# it is there: `make sandbox` calls it every time. CLOUDOPS_SANDBOX_REDIS_SERVER names another binary.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

have_server() {
    if [[ -n "${CLOUDOPS_SANDBOX_REDIS_SERVER:-}" ]]; then
        [[ -x "$CLOUDOPS_SANDBOX_REDIS_SERVER" ]]
        return
    fi
    command -v redis-server >/dev/null || [[ -x /usr/bin/redis-server ]]
}

if ! have_server; then
    apt_install redis-server "redis-server (Redis >= 6.2)" \
        "Install Debian's 'redis-server' package, or set CLOUDOPS_SANDBOX_REDIS_SERVER to a redis-server binary."
fi
