#!/usr/bin/env bash
# Make sure the test that looks at a run report as a person would has its tools: headless Chromium renders the HTML
# report to a PNG, Tesseract reads the figures back off the image (Debian's `chromium` and `tesseract-ocr`).
# Idempotent and quiet when both are there; CLOUDOPS_CHROMIUM names another Chromium binary.
set -euo pipefail

missing=()
command -v "${CLOUDOPS_CHROMIUM:-chromium}" >/dev/null || missing+=(chromium fonts-dejavu-core)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "error: ${missing[*]} missing and no apt-get to install them; install Chromium and Tesseract" \
         "(set CLOUDOPS_CHROMIUM to Chromium's binary)." >&2
    exit 1
fi
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else
        echo "error: installing ${missing[*]} needs root: install Debian's chromium and tesseract-ocr packages." >&2
        exit 1
    fi
}
echo "installing ${missing[*]} (Debian packages) to render the HTML run report and read it back"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
