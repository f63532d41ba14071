# Sourced by tools/install-postgres.sh and tools/install-redis.sh: install one Debian package the sandbox needs, as
# root (or through passwordless sudo), without starting its system service (the sandbox runs its own servers).
# apt_install PACKAGE WHAT HINT - WHAT names what is missing, HINT says how to do without the install.

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else
        echo "error: $APT_WHAT is missing and installing it needs root." >&2
        echo "       $APT_HINT" >&2
        exit 1
    fi
}

apt_install() {
    local package=$1
    APT_WHAT=$2 APT_HINT=$3
    if ! command -v apt-get >/dev/null; then
        echo "error: $APT_WHAT not found and no apt-get to install it. $APT_HINT" >&2
        exit 1
    fi
    echo "installing $APT_WHAT (Debian package $package) for the sandbox"
    export DEBIAN_FRONTEND=noninteractive
    local policy=/usr/sbin/policy-rc.d created=0
    if [[ ! -e $policy ]]; then  # keep the package's service from starting
        as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
        created=1
    fi
    local rc=0
    # with the package lists at hand first; refreshed when they do not know the package or are stale
    as_root apt-get install -y -qq --no-install-recommends "$package" >/dev/null 2>&1 || {
        as_root apt-get update -qq && as_root apt-get install -y -qq --no-install-recommends "$package" >/dev/null
    } || rc=$?
    if [[ $created -eq 1 ]]; then as_root rm -f "$policy"; fi
    return $rc
}
