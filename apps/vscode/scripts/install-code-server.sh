#!/usr/bin/env bash
# Installs code-server (a real VS Code build, from npm) for the extension's end-to-end test,
# offline apart from the npm registry: see /work/shared/recipes/vscode-e2e.md. It lives in its
# own folder outside the pnpm workspace and is reused when already there (a second run takes
# well under a second). Needs Debian's libkrb5-dev (kerberos builds from source) and ripgrep.
set -euo pipefail
version=4.100.3
ripgrep_package=1.15.11   # @vscode/ripgrep in code-server 4.100.3
ripgrep_release=v13.0.0-10
dir=${SWITCHBOARD_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard/code-server-$version}

if [ -x "$dir/node_modules/.bin/code-server" ] && [ -f "$dir/.installed" ]; then
  echo "$dir"
  exit 0
fi
rg_binary=$(command -v rg) || { echo "install-code-server: ripgrep (rg) is required" >&2; exit 1; }

rm -rf "$dir"
mkdir -p "$dir/tmp"
cd "$dir"
# @vscode/ripgrep downloads rg from GitHub unless it finds this cache file: give it Debian's.
mkdir -p "tmp/vscode-ripgrep-cache-$ripgrep_package"
tar czf "tmp/vscode-ripgrep-cache-$ripgrep_package/ripgrep-$ripgrep_release-x86_64-unknown-linux-musl.tar.gz" \
  -C "$(dirname "$rg_binary")" rg
echo '{ "name": "switchboard-code-server", "private": true }' > package.json
# Root runs the postinstall only with unsafe_perm; node-pty's postinstall runs `npx node-gyp`.
TMPDIR="$dir/tmp" npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=${npm_config_nodedir:-/usr} \
  npm install --no-audit --no-fund --foreground-scripts "code-server@$version" >"$dir/install.log" 2>&1 \
  || { tail -n 40 "$dir/install.log" >&2; exit 1; }
rm -rf "$dir/tmp"
touch "$dir/.installed"
echo "$dir"
