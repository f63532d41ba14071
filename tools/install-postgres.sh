#!/usr/bin/env bash
# Make sure the sandbox can run PostgreSQL: server binaries (initdb, postgres, pg_basebackup) and, when we run as
# root, the `postgres` user to run them as (PostgreSQL refuses root). Installs Debian's `postgresql` package when
# the binaries are missing. Idempotent and quiet when everything is there: `make sandbox` calls it every time.
set -euo pipefail

have_server() {
    if [[ -n "${CLOUDOPS_SANDBOX_PG_BINDIR:-}" ]]; then
        [[ -x "$CLOUDOPS_SANDBOX_PG_BINDIR/initdb" && -x "$CLOUDOPS_SANDBOX_PG_BINDIR/pg_basebackup" ]]
        return
    fi
    compgen -G "/usr/lib/postgresql/*/bin/pg_basebackup" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else
        echo "error: PostgreSQL server binaries are missing and installing them needs root." >&2
        echo "       Install Debian's 'postgresql' package, or set CLOUDOPS_SANDBOX_PG_BINDIR to a dir with initdb." >&2
        exit 1
    fi
}

if ! have_server; then
    if ! command -v apt-get >/dev/null; then
        echo "error: PostgreSQL server binaries not found and no apt-get to install them;" \
             "install PostgreSQL >= 13 and set CLOUDOPS_SANDBOX_PG_BINDIR to its bin dir." >&2
        exit 1
    fi
    echo "installing PostgreSQL (Debian package postgresql) for the sandbox's RDS data plane"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
