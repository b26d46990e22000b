#!/usr/bin/env bash
# Install axe-core (the accessibility checker the browser tests inject into each page) from the
# npm registry, at the version pinned in package-lock.json. It is a test tool only: the server
# never serves it. npm comes from Debian when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "installing Debian's npm for the accessibility checks..."
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
test -f node_modules/axe-core/axe.min.js
