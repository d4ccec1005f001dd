#!/usr/bin/env bash
# The browser tests (test/browser/) drive Debian's Chromium with playwright-core: a test tool's
# own browser download is not possible on CI machines, which are fresh Debian ones reaching only
# the npm registry and Debian's packages. Installs it when missing; prints the version either way.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends chromium
fi
chromium --version
