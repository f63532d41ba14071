#!/usr/bin/env bash
# Make sure the sandbox can run PostgreSQL: server binaries (initdb, postgres, pg_basebackup) and, when we run as
# root, the `postgres` user to run them as (PostgreSQL refuses root). Installs Debian's `postgresql` package when
# the binaries are missing. Idempotent and quiet when everything is there: `make sandbox` calls it every time.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"

have_server() {
    if [[ -n "${CLOUDOPS_SANDBOX_PG_BINDIR:-}" ]]; then
        [[ -x "$CLOUDOPS_SANDBOX_PG_BINDIR/initdb" && -x "$CLOUDOPS_SANDBOX_PG_BINDIR/pg_basebackup" ]]
        return
    fi
    compgen -G "/usr/lib/postgresql/*/bin/pg_basebackup" >/dev/null && compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if ! have_server; then
    apt_install postgresql "the PostgreSQL server binaries (>= 13)" \
        "Install Debian's 'postgresql' package, or set CLOUDOPS_SANDBOX_PG_BINDIR to a dir with initdb."
fi

if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi
