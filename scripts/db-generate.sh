#!/usr/bin/env bash
# Generates a migration in drizzle/ from the schema files (drizzle/*.ts), one generator at a time.
# usage: bash scripts/db-generate.sh <name>
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: db-generate.sh <migration-name>}"
exec 9>"${TMPDIR:-/tmp}/switchboard-db-generate.lock"
flock 9
npx drizzle-kit generate --name "$name"
