"""Long fuzz run: 10,000+ tool calls against the sandbox, counting what the quick profile only samples.

    uv run python bench/fuzz_long.py --calls 10000 [--seed N] [--show 10]

Same harness and strategies as tests/test_fuzz.py (imported from tests/, which this script puts on
sys.path), but it never stops at the first broken invariant: it keeps going and prints the figures,
then the first few failures. Exit status 1 when any invariant broke.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings

from fuzz_harness import Call, FuzzTarget, Tally, describe
from fuzz_strategies import tool_calls

BATCH = 250  # calls per tool before moving to the next one, round robin


def run_batch(target: FuzzTarget, name: str, count: int, tally: Tally, batch_seed: int) -> None:
    strategy = tool_calls(name, target.tools[name].input_schema, target.seeds)

    @seed(batch_seed)
    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    @given(strategy)
    def one_call(call: Call) -> None:
        tally.add(target.run(call))

    one_call()


def fuzz(calls: int, run_seed: int) -> tuple[Tally, list[str], float]:
    tally = Tally()
    rng = random.Random(run_seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="luma-fuzz-") as root, FuzzTarget(Path(root)) as target:
        names = sorted(target.tools)
        print(f"tools: {', '.join(names)}", flush=True)
        while tally.calls < calls:
            for name in names:
                before = tally.calls
                run_batch(target, name, min(BATCH, calls - tally.calls), tally, rng.randrange(2**32))
                if tally.calls == before:  # hypothesis ran out of distinct calls for this tool
                    continue
                print(f"  {tally.calls:>6} calls, {len(tally.failures)} failures, {_elapsed(start)}", flush=True)
                if tally.calls >= calls:
                    break
        history = target.history_problems()
    return tally, history, time.perf_counter() - start


def _elapsed(start: float) -> str:
    return f"{time.perf_counter() - start:.0f} s"


def report(tally: Tally, history: list[str], elapsed: float, show: int) -> None:
    print(f"calls made:            {tally.calls}")
    print(f"refused:               {tally.refused}")
    print(f"accepted:              {tally.accepted} ({tally.dry_runs} dry runs, {tally.creates} creates)")
    print(f"invariant failures:    {len(tally.failures)}")
    print(f"duplicate creates:     {tally.duplicate_creates}")
    print(f"history problems:      {len(history)} {history if history else ''}")
    print(f"by kind:               {dict(sorted(tally.by_kind.items()))}")
    print(f"elapsed:               {elapsed:.1f} s ({tally.calls / elapsed:.0f} calls/s)")
    kinds = Counter(problem.split(":")[0][:70] for outcome in tally.failures for problem in outcome.problems)
    for problem, count in kinds.most_common():
        print(f"  {count:>5} x {problem}")
    for outcome in tally.failures[:show]:
        print(describe(outcome))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=random.randrange(2**32))
    parser.add_argument("--show", type=int, default=10, help="how many failures to print in full")
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the SDK logs every refusal at INFO; thousands of them bury the figures
    print(f"fuzzing {args.calls} calls, seed {args.seed}", flush=True)
    tally, history, elapsed = fuzz(args.calls, args.seed)
    report(tally, history, elapsed, args.show)
    return 1 if tally.failures or history or tally.duplicate_creates else 0


if __name__ == "__main__":
    sys.exit(main())
