#!/usr/bin/env bash
# The README's first quick-start command (`npm run demo`): install, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@10"
echo "Installing (pnpm) and building the packages..."
$PNPM install --frozen-lockfile --reporter=silent
# Quiet unless the build fails, then its whole output.
if ! build_log=$($PNPM -r --filter './packages/*' run build 2>&1); then
  echo "$build_log"
  exit 1
fi
# The AWS SDK warns on Node 20 that its 2027 releases need Node 22: true, and unrelated to clocks.
AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true node examples/demo/index.mjs
