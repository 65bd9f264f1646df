"""TAB completion in bash, measured side by side in one run (not a pytest test).

    python tests/benchmarks/bench_completion.py [--tabs 200]

Inside one running bash (as an interactive shell has it), times each TAB: the completion
function called with COMP_WORDS set, for a command name (`telcli numbers <TAB>`) and for an
owned number from a 500-entry cache (`telcli numbers release +1<TAB>`). Side by side, the
previous Python-per-TAB completion (Click's `_TELCLI_COMPLETE=complete_bash`), which starts
the interpreter on every press. Prints the medians and how many values each TAB offered; bar
(issue 16): <= 30 ms. Exits 1 when the bar is missed or a TAB offers nothing (it would time
a lookup that found nothing).
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
tab() {  # words... -> prints the TAB's time in us and how many values it offered
  COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
  local t0=$EPOCHREALTIME
  _telcli
  local t1=$EPOCHREALTIME
  echo $(( (${t1/./} - ${t0/./}) )) ${#COMPREPLY[@]}
}
for ((i = 0; i < N; i++)); do tab $WORDS "$CUR"; done
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
  echo $(( (${t1/./} - ${t0/./}) )) ${#COMPREPLY[@]}
}
for ((i = 0; i < N; i++)); do tab $WORDS "$CUR"; done
"""


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _run(
    timer: str, script: Path, words: str, cur: str, tabs: int, env: dict[str, str]
) -> tuple[list[float], int]:
    """Each TAB's time in ms, and how many values the last one offered (0 would mean the
    case measured a TAB that found nothing)."""
    out = subprocess.run(
        ["bash", "--norc", "-c", timer],
        env={**env, "SCRIPT": str(script), "WORDS": words, "CUR": cur, "N": str(tabs)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    return [int(us) / 1000 for us, _ in rows], int(rows[-1][1])


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
        # (label, the words before the cursor, the word under it: "" is a bare TAB)
        cases = [
            ("command names", "telcli numbers", ""),
            ("owned numbers", "telcli numbers release", "+1"),
        ]
        failed = False
        print(f"{'TAB':<16}{'static script':>16}{'python per TAB':>18}{'ratio':>9}{'offered':>9}")
        for label, words, cur in cases:
            times, offered = _run(TIMER, new, words, cur, args.tabs, env)
            fast = _median(times)
            slow = _median(_run(OLD_TIMER, old, words, cur, max(10, args.tabs // 10), env)[0])
            failed |= fast > BAR_MS or offered == 0
            print(f"{label:<16}{fast:>13.2f} ms{slow:>15.1f} ms{slow / fast:>8.0f}x{offered:>9}")
        print(f"bar: median <= {BAR_MS:.0f} ms per TAB: {'MISSED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
