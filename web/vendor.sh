#!/usr/bin/env bash
# Install web/package.json's exact versions with npm into web/node_modules and copy the files the
# pages load into static/vendor/ (both ignored by git): the ES modules of xterm.js and its addons,
# xterm.css and their licences. No lockfile is written (it would name the registry's host).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null; then
  echo "make: npm is missing: run \`make system-deps\` (the terminal needs xterm.js)" >&2
  exit 1
fi
npm install --no-package-lock --no-audit --no-fund --loglevel=error
vendor=../src/aiops/entrypoints/http/static/vendor
rm -rf "$vendor.new" && mkdir -p "$vendor.new"
# ES modules, named .js: every mimetypes table knows .js (not always .mjs), and a module script
# served with another type is refused (nosniff).
cp node_modules/@xterm/xterm/lib/xterm.mjs "$vendor.new/xterm.js"
cp node_modules/@xterm/xterm/css/xterm.css "$vendor.new/"
for addon in fit search web-links; do
  cp "node_modules/@xterm/addon-$addon/lib/addon-$addon.mjs" "$vendor.new/addon-$addon.js"
done
for package in xterm addon-fit addon-search addon-web-links; do
  cp "node_modules/@xterm/$package/LICENSE" "$vendor.new/LICENSE.$package"
done
rm -rf "$vendor" && mv "$vendor.new" "$vendor"
echo "xterm.js copied to src/aiops/entrypoints/http/static/vendor/"
