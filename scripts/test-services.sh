#!/usr/bin/env bash
# Ensures the real servers the tests talk to are installed and running:
# PostgreSQL and Redis (expected on the machine) and, for the mail tests, Dovecot.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_isready -h 127.0.0.1 -p 5432 -q || { echo "PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }

# Further services (mail servers) are set up by the scripts in scripts/services.d/.
if [ -d scripts/services.d ]; then
  for s in scripts/services.d/*.sh; do
    [ -e "$s" ] && bash "$s"
  done
fi
