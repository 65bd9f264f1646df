#!/usr/bin/env sh
# Regenerate the shell completion scripts from the app (tests/test_completions.py checks drift).
# Usage: sh completions/generate.sh   (with telcli installed in the active environment)
set -eu
dir=$(dirname "$0")
_TELCLI_COMPLETE=source_bash telcli > "$dir/telcli.bash"
_TELCLI_COMPLETE=source_zsh telcli > "$dir/_telcli"
_TELCLI_COMPLETE=source_fish telcli > "$dir/telcli.fish"
