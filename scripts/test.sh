#!/usr/bin/env bash
# The whole test suite: the README's second quick-start command (`npm test`) and CI run this.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@10"
$PNPM install --frozen-lockfile
$PNPM exec biome check .
$PNPM run lint:types
$PNPM exec tsc -p tsconfig.json
$PNPM -r --filter "./packages/*" run build
node scripts/check-readme-snippets.mjs
node scripts/api-report.mjs
node scripts/check-packages.mjs
node scripts/check-changesets.mjs
node scripts/check-install.mjs
# test/dominance/real-clock.test.ts runs a client under libfaketime (a process clock really 2
# days off); CI machines are fresh Debian ones, so it is installed here when missing.
if ! compgen -G "/usr/lib/*/faketime/libfaketime.so.1" >/dev/null &&
  [ ! -e /usr/lib/faketime/libfaketime.so.1 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update
  $SUDO apt-get install -y libfaketime
fi
SKEWGUARD_REQUIRE_FAKETIME=1 $PNPM exec vitest run
# Second leg: the newest SDK majors (they need Node 22), from the npm package node@22.
npx -y -p node@22 -c "node --version && ./node_modules/.bin/vitest run --config vitest.node22.config.ts"
