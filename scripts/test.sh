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
$PNPM exec vitest run
# Second leg: the newest SDK majors (they need Node 22), from the npm package node@22.
npx -y -p node@22 -c "node --version && ./node_modules/.bin/vitest run --config vitest.node22.config.ts"
