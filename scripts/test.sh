#!/usr/bin/env bash
# The whole test suite: installs what it needs (scripts/setup.sh), builds (the CLI tests run the built command),
# runs every workspace package's tests, then prints the closing `N passed, N failed, N skipped` line.
set -uo pipefail
cd "$(dirname "$0")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
bash scripts/setup.sh || exit 1
pnpm exec turbo run build --output-logs=errors-only || exit 1
# Old reports must not count for this run.
rm -f packages/*/.test-results.json test/*/.test-results.json bench/.test-results.json
pnpm exec turbo run test --concurrency=2 --continue "$@"
rc=$?
node scripts/test-summary.mjs || rc=1
exit $rc
