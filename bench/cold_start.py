"""Cold start: spawn -> initialize -> tools/list answered, `python -m luma_mcp` vs a bare MCPServer.

Both servers are spawned the same way (this interpreter, stdio, the 2025-11-25 initialize handshake
that Claude Desktop and IDEs use), alternately, so machine noise hits both alike. luma-mcp runs with
the Luma and AI/ML API keys set (real mode, nothing sent at start): every tool and model is listed, and
no provider's client may be built (or its code imported) before it is first used.

    uv run python bench/cold_start.py [--runs 10] [--importtime]

Target: median ratio <= 1.10. Above it, the script prints the import-time offenders (what
`import luma_mcp.server` loads beyond `import mcp.server`, by self time) and the lifespan's cost.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import anyio
from _shared import BENCH_KEY, heading, line, median, ms, percentile, scratch_dir, verdict
from mcp import Client, StdioServerParameters

TARGET_RATIO = 1.10
HERE = Path(__file__).resolve().parent


def base_env() -> dict[str, str]:
    # PYTHONPATH passes through so that a scratch copy of src/ can be measured against the tree's.
    names = ("PATH", "HOME", "SYSTEMROOT", "PYTHONPATH")
    return {name: os.environ[name] for name in names if name in os.environ}


def luma_params(root: Path) -> StdioServerParameters:
    env = base_env()
    env.update(
        LUMA_AGENTS_API_KEY=BENCH_KEY,
        AIMLAPI_API_KEY=BENCH_KEY,
        LUMA_MCP_OUTPUT_DIR=str(root / "out"),
        LUMA_MCP_DATA_DIR=str(root / "data"),
    )
    return StdioServerParameters(command=sys.executable, args=["-m", "luma_mcp"], env=env)


def reference_params() -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=[str(HERE / "reference_server.py")], env=base_env())


async def one_start(params: StdioServerParameters) -> float:
    """Seconds from spawn to the tools/list answer (shutdown is not counted)."""
    started = time.perf_counter()
    async with Client(params, mode="legacy") as client:
        tools = await client.list_tools()
        elapsed = time.perf_counter() - started
    assert tools.tools, "the server listed no tools"
    return elapsed


async def measure(runs: int, root: Path) -> tuple[list[float], list[float]]:
    luma, reference = luma_params(root), reference_params()
    await one_start(luma)  # warm the page cache and the bytecode caches of both, uncounted
    await one_start(reference)
    luma_times: list[float] = []
    reference_times: list[float] = []
    for run in range(runs):
        # Alternate who goes first, so a slow patch of the machine does not favour one side.
        order = [(luma, luma_times), (reference, reference_times)]
        for params, sink in order if run % 2 == 0 else order[::-1]:
            sink.append(await one_start(params))
    return luma_times, reference_times


def import_table(statement: str) -> dict[str, int]:
    """Module -> self import time (microseconds) for `statement` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True, check=True
    )
    table: dict[str, int] = {}
    for row in done.stderr.splitlines():
        if not row.startswith("import time:") or "self [us]" in row:
            continue
        self_us, _cumulative, name = row.removeprefix("import time:").split("|")
        table[name.strip()] = int(self_us)
    return table


def print_import_offenders(top: int = 15) -> None:
    ours = import_table("import luma_mcp.cli, luma_mcp.server")
    sdk = import_table("import mcp.server")
    extra = {name: us for name, us in ours.items() if name not in sdk}
    by_package: dict[str, int] = defaultdict(int)
    for name, us in extra.items():
        by_package[name.split(".")[0]] += us
    heading("import time beyond `import mcp.server` (python -X importtime, self time summed)")
    line("all extra modules", f"{sum(extra.values()) / 1000:.0f} ms over {len(extra)} modules")
    for package, us in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        line(package, f"{us / 1000:.1f} ms")
    heading("heaviest single extra modules")
    for name, us in sorted(extra.items(), key=lambda item: -item[1])[:top]:
        line(name, f"{us / 1000:.1f} ms")


PHASES = """
import time, tempfile, pathlib, anyio
t0 = time.perf_counter()
import luma_mcp.cli, luma_mcp.server
t1 = time.perf_counter()
from luma_mcp.settings import Settings
from luma_mcp.runtime import open_runtime
from pydantic import SecretStr
root = pathlib.Path(tempfile.mkdtemp())
settings = Settings(api_key=SecretStr("luma-api-bench"), output_dir=root / "o", data_dir=root / "d")
server = luma_mcp.server.build_server(settings)
t2 = time.perf_counter()
async def lifespan():
    async with open_runtime(settings):
        return time.perf_counter()
t3 = anyio.run(lifespan)
print(f"{t1 - t0} {t2 - t1} {t3 - t2}")
"""


def print_phases() -> None:
    done = subprocess.run([sys.executable, "-c", PHASES], capture_output=True, text=True, check=True)
    imports, build, lifespan = (float(value) for value in done.stdout.split())
    heading("where luma-mcp's start goes (one fresh interpreter)")
    line("import luma_mcp.cli + luma_mcp.server", ms(imports))
    line("build_server()", ms(build))
    line("lifespan: open_runtime() to ready", ms(lifespan))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--importtime", action="store_true", help="print the import offenders even when on target")
    args = parser.parse_args()
    with scratch_dir() as root:
        luma, reference = anyio.run(measure, args.runs, root)
    ratio = median(luma) / median(reference)
    heading(f"cold start: spawn -> initialize -> tools/list (median of {args.runs}, alternated)")
    line("luma-mcp (python -m luma_mcp)", f"median {ms(median(luma))}, p90 {ms(percentile(luma, 0.9))}")
    line("reference (bare MCPServer, 1 tool)", f"median {ms(median(reference))}, p90 {ms(percentile(reference, 0.9))}")
    line("ratio (medians)", f"{ratio:.2f}x  (target <= {TARGET_RATIO}x: {verdict(ratio <= TARGET_RATIO)})")
    line("difference (medians)", ms(median(luma) - median(reference)))
    if ratio > TARGET_RATIO or args.importtime:
        print_phases()
        print_import_offenders()


if __name__ == "__main__":
    main()
