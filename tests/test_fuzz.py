"""Fuzzing, quick profile: a few hundred calls over every tool that `tools/list` shows.

Each call must keep the harness's invariants (see fuzz_harness.check): no crash text, refusals that
name a field and send nothing, accepted generation calls that create exactly once. The long run is
`uv run python bench/fuzz_long.py --calls 10000`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz_harness import Call, FuzzTarget, Tally, describe
from fuzz_strategies import tool_calls

QUICK_CALLS = 320  # spread over the tools; derandomized, so CI sees the same calls every run


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    with FuzzTarget(tmp_path_factory.mktemp("fuzz")) as fuzz_target:
        yield fuzz_target


def run_examples(target: FuzzTarget, strategy: st.SearchStrategy[Call], count: int, tally: Tally) -> None:
    """Hypothesis draws `count` calls; each runs against the shared server, and the first broken invariant fails."""

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
    )
    @given(strategy)
    def one_call(call: Call) -> None:
        outcome = target.run(call)
        tally.add(outcome)
        assert not outcome.problems, describe(outcome)

    one_call()


def test_every_listed_tool_keeps_the_invariants(target: FuzzTarget) -> None:
    tally, broken = Tally(), {}
    per_tool = max(20, QUICK_CALLS // len(target.tools))
    for name, tool in sorted(target.tools.items()):
        try:  # every tool gets its turn: one tool's (shrunk) failure must not hide another's
            run_examples(target, tool_calls(name, tool.input_schema, target.seeds), per_tool, tally)
        except Exception as exc:
            broken[name] = str(exc)
    print(f"quick fuzz profile: {tally.summary()}")  # shown with -s
    assert not broken, "\n\n".join(f"{name}: {failure}" for name, failure in broken.items())
    assert target.history_problems() == []
    # The fuzzer must reach both sides of the validator, or it proves nothing.
    assert tally.refused > tally.calls // 10 and tally.accepted > tally.calls // 10, tally
    assert tally.creates > 0 and tally.duplicate_creates == 0


def video_call(**arguments: Any) -> Call:
    return Call("generate_video", {"prompt": "a kite over the dunes", "wait_seconds": 0, **arguments}, "hand")


URL = {"url": "https://example.com/media/frame"}
MUST_REFUSE = [
    video_call(duration="10s", start_frame=URL),
    video_call(hdr=True, resolution="540p"),
    video_call(exr_export=True),
    video_call(loop=True, duration="10s"),
    video_call(keyframes=[{"frame": 0, "image": URL}, {"frame": 0, "image": URL}]),
    video_call(keyframes=[{"frame": 0, "image": URL}, {"frame": 240, "image": URL}]),
    video_call(keyframes=[{"frame": 241, "image": URL}]),
    video_call(start_frame={}),
    video_call(start_frame={**URL, "generation_id": "00000000-0000-4000-8000-000000000000"}),
    video_call(resolution="720P"),
    video_call(aspect_ratio=None, bogus=1),
    video_call(prompt="x" * 100_000),
    video_call(wait_seconds=-1),
]


@pytest.mark.parametrize("call", MUST_REFUSE, ids=lambda call: repr(call.arguments)[:60])
def test_near_valid_video_calls_are_refused_for_free(target: FuzzTarget, call: Call) -> None:
    outcome = target.run(call)
    assert outcome.refused and not outcome.problems and outcome.requests == [], describe(outcome)


def test_the_same_call_valid_creates_exactly_once(target: FuzzTarget) -> None:
    outcome = target.run(video_call(keyframes=[{"frame": 0, "image": URL}, {"frame": 120, "image": URL}]))
    assert not outcome.refused and not outcome.problems and len(outcome.creates) == 1, describe(outcome)


def test_seeded_inputs_exist(target: FuzzTarget) -> None:
    assert Path(target.seeds.inputs, "still.png").is_file() and target.seeds.image_id != target.seeds.video_id
