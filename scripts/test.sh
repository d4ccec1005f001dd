#!/usr/bin/env bash
# The whole test suite: the README's second quick-start command (`npm test`) and CI run this.
#
# Legs (README, "Supported versions"): the static and package checks once, then the whole vitest
# suite on each supported Node with the newest SDKs, then the minimum-versions leg (the lowest
# version of every peer range, test/min-versions) typechecked and through the S3, Azure, GCS and
# AWS suites. A Node that is not the machine's own comes from the npm package `node@N`, so a
# machine with any Node and npm runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/on-node.sh
NODES=(22 24 26)
MIN_NODE=22

# Runs one leg and notes its outcome and time; every leg runs, the summary ends the output.
SUMMARY=()
FAILED=0
leg() {
  local name=$1 started=$SECONDS status=ok
  shift
  echo "=== $name"
  "$@" || status=FAIL
  [ "$status" = ok ] || FAILED=1
  SUMMARY+=("$(printf '%-4s %-42s %5d s' "$status" "$name" $((SECONDS - started)))")
  echo "=== $name: $status in $((SECONDS - started)) s"
}

# test/dominance/real-clock.test.ts runs a client under libfaketime (a process clock really 2
# days off); CI machines are fresh Debian ones, so it is installed here when missing.
install_libfaketime() {
  if ! compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null &&
    [ ! -e /usr/lib/faketime/libfaketime.so.1 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y libfaketime
  fi
}

PNPM="npx -y pnpm@10"
STATIC="node --version
$PNPM install --frozen-lockfile
$PNPM exec biome check .
$PNPM run lint:types
$PNPM exec tsc -p tsconfig.json
$PNPM -r --filter './packages/*' run build
node scripts/check-readme-snippets.mjs
node scripts/api-report.mjs
node scripts/check-packages.mjs
node scripts/check-changesets.mjs
node scripts/check-install.mjs"
# `set -e` inside: the first failing check ends the leg. The other legs need its install.
leg "static and package checks (Node $MIN_NODE)" on_node "$MIN_NODE" "set -e; $STATIC"
install_libfaketime
# test/browser/ drives Debian's Chromium (no test tool may download a browser here).
bash scripts/ensure-chromium.sh
for major in "${NODES[@]}"; do
  leg "vitest, newest SDKs (Node $major)" on_node "$major" \
    "node --version && SKEWGUARD_REQUIRE_FAKETIME=1 ./node_modules/.bin/vitest run"
done
leg "minimum versions (Node $MIN_NODE)" on_node "$MIN_NODE" \
  "set -e; node --version
node scripts/check-readme-snippets.mjs --peers test/min-versions
./node_modules/.bin/vitest run --config vitest.min.config.ts"
echo "=== npm test: every leg"
printf '%s\n' "${SUMMARY[@]}"
exit "$FAILED"
