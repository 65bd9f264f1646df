"""Bad input never crashes or hangs (issue 12): each surface of tests/fuzzing.py under
hypothesis (bounded examples, a wall-clock limit per case), and the issue's examples pinned
with the exit code each must give. ``tests/benchmarks/bench_fuzz.py`` runs the long campaign."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.fuzzing import SURFACES, Case, problem, run_case

PINNED = [
    pytest.param(case, code, id=f"{name}-{i}")
    for name, surface in SURFACES.items()
    for i, (case, code) in enumerate(surface.pinned)
]


@pytest.mark.parametrize(("case", "code"), PINNED)
def test_pinned_examples_exit_as_documented(case: Case, code: int | None, home: Path) -> None:
    outcome = run_case(case, home)
    assert problem(outcome) is None, (case, problem(outcome))
    if code is not None:
        assert outcome.exit_code == code, (case, outcome.stderr)
    assert "error: " in outcome.stderr or "Usage: " in outcome.stderr, outcome.stderr


@pytest.mark.parametrize("name", sorted(SURFACES))
def test_generated_input_exits_as_documented(name: str, home: Path) -> None:
    @settings(
        max_examples=25,  # the campaign (bench_fuzz.py) runs thousands
        deadline=None,  # the per-case limit in run_case is the hang detector
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(SURFACES[name].cases)
    def check(case: Case) -> None:
        found = problem(run_case(case, home))
        assert found is None, f"{case}\n{found}"

    check()
