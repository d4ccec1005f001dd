#!/usr/bin/env bash
# The README's first quick-start command (`npm run demo`): install, build, run the demo. The
# newest SDKs and Azurite need Node 22 or later: on an older Node, the npm package `node@22`
# runs it all (scripts/on-node.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/on-node.sh
on_node_at_least 22 '
set -e
PNPM="npx -y pnpm@10"
echo "Installing (pnpm) and building the packages on Node $(node --version)..."
$PNPM install --frozen-lockfile --reporter=silent
# Quiet unless the build fails, then its whole output.
if ! build_log=$($PNPM -r --filter "./packages/*" run build 2>&1); then
  echo "$build_log"
  exit 1
fi
node examples/demo/index.mjs
'
