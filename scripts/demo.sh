#!/usr/bin/env bash
# The README's first quick-start command (`npm run demo`): install, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@10"
$PNPM install --frozen-lockfile
$PNPM -r --filter './packages/*' run build
node examples/demo/index.mjs
