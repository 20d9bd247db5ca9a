#!/usr/bin/env bash
# The test command (`npm test`): makes sure the services the tests talk to are present, then runs vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-services.sh
exec npx vitest run "$@"
