#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for the insights tests. The tests start
# their own throwaway server (initdb + pg_ctl in a temporary folder, on 127.0.0.1)
# and stop it afterwards; the cluster the package may create is stopped and not used.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian's postgresql for the insights tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package starts its default cluster where a service manager runs; the tests do not need it.
$SUDO service postgresql stop >/dev/null 2>&1 || true
ls /usr/lib/postgresql/*/bin/initdb
