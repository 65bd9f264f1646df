#!/usr/bin/env bash
# Install Stoplight Prism (the validating mock the contract tests serve the official specs with)
# into <repo>/node_modules. Idempotent: returns at once when the pinned version is present.
# The contract tests find it at node_modules/.bin/prism (or $TELCLI_PRISM).
set -euo pipefail
cd "$(dirname "$0")/.."

version=5.14.2
prism=node_modules/.bin/prism
installed=node_modules/@stoplight/prism-cli/package.json

if [ -x "$prism" ] && [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed"; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-prism: npm not found; install Node.js 18+ (the contract tests need Prism)" >&2
  exit 1
fi
# --prefer-offline makes a warm npm cache fast; --no-save leaves no package.json behind.
npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error \
  --prefix "$PWD" "@stoplight/prism-cli@$version" >&2
"$prism" --version >/dev/null
