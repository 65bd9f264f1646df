#!/usr/bin/env sh
# Regenerate the shell completion scripts from the app (tests/test_completions.py checks drift).
# Usage: sh completions/generate.sh   (uses the repository's .venv when there is one)
set -eu
dir=$(dirname "$0")
py=${PYTHON:-$dir/../.venv/bin/python}
[ -x "$py" ] || py=python3
for shell in bash zsh fish; do
  case $shell in bash) file=telcli.bash ;; zsh) file=_telcli ;; fish) file=telcli.fish ;; esac
  "$py" -m telcli completion "$shell" > "$dir/$file"
done
