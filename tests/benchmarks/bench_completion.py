"""TAB completion in bash, measured side by side in one run (not a pytest test).

    python tests/benchmarks/bench_completion.py [--tabs 200]

Inside one running bash (as an interactive shell has it), times each TAB: the completion
function called with COMP_WORDS set, for a command name (`telcli numbers <TAB>`) and for an
owned number from a 500-entry cache (`telcli numbers release +1<TAB>`). Side by side, the
previous Python-per-TAB completion (Click's `_TELCLI_COMPLETE=complete_bash`), which starts
the interpreter on every press. Prints the medians; bar (issue 16): <= 30 ms. Exits 1 when the
bar is missed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BAR_MS = 30.0

# One bash, N TABs each: $EPOCHREALTIME around the completion function only.
TIMER = r"""
source "$SCRIPT"
tab() {  # words... -> prints the TAB's time in ms
  COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
  local t0=$EPOCHREALTIME
  _telcli
  local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) ))
}
for ((i = 0; i < N; i++)); do tab $WORDS; done
"""

# The previous scripts: Click's completion, one Python process per TAB.
OLD = r"""
_telcli_completion() {
  local IFS=$'\n'
  COMPREPLY=( $( env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \
                 _TELCLI_COMPLETE=complete_bash "$TELCLI" ) )
}
"""
OLD_TIMER = r"""
source "$SCRIPT"
tab() {
  COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
  local t0=$EPOCHREALTIME
  _telcli_completion telcli
  local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) ))
}
for ((i = 0; i < N; i++)); do tab $WORDS; done
"""


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _run(timer: str, script: Path, words: str, tabs: int, env: dict[str, str]) -> list[float]:
    out = subprocess.run(
        ["bash", "--norc", "-c", timer],
        env={**env, "SCRIPT": str(script), "WORDS": words, "N": str(tabs)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [int(line) / 1000 for line in out.split()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tabs", type=int, default=200)
    args = parser.parse_args()
    telcli = Path(sys.executable).with_name("telcli")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cache = home / "completion"
        cache.mkdir()
        (cache / "numbers").write_text("".join(f"+1415555{i:04d}\ttwilio\n" for i in range(500)))
        old = home / "old.bash"
        old.write_text(OLD)
        env = {**os.environ, "TELCLI_HOME": str(home), "TELCLI": str(telcli)}
        new = REPO / "completions" / "telcli.bash"
        cases = [
            ("command names", "telcli numbers ''"),
            ("owned numbers", "telcli numbers release +1"),
        ]
        failed = False
        print(f"{'TAB':<16}{'static script':>16}{'python per TAB':>18}{'ratio':>9}")
        for label, words in cases:
            fast = _median(_run(TIMER, new, words, args.tabs, env))
            slow = _median(_run(OLD_TIMER, old, words, max(10, args.tabs // 10), env))
            failed |= fast > BAR_MS
            print(f"{label:<16}{fast:>13.2f} ms{slow:>15.1f} ms{slow / fast:>8.0f}x")
        print(f"bar: median <= {BAR_MS:.0f} ms per TAB: {'MISSED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
