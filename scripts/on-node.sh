# Sourced by scripts/test.sh and scripts/demo.sh: run a command on a given Node major. The
# machine's own Node when it is that major; otherwise the npm package `node@N`, which npx
# fetches from the npm registry (no other download), so a machine with any Node and npm works.

# on_node MAJOR COMMAND: COMMAND (a shell string) on Node MAJOR.
on_node() {
  local major=$1
  shift
  if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
    bash -c "$*"
  else
    # npx hands its own options to the shell as npm_config_*: a nested `npx` would take them.
    npx -y -p "node@$major" -c "unset npm_config_call npm_config_package; $*"
  fi
}

# on_node_at_least MAJOR COMMAND: COMMAND on the machine's Node when it is MAJOR or later, else
# on Node MAJOR.
on_node_at_least() {
  local major=$1
  shift
  if [ "$(node -p 'process.versions.node.split(".")[0]')" -ge "$major" ]; then
    bash -c "$*"
  else
    on_node "$major" "$@"
  fi
}
