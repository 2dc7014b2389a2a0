"""Memory: peak RSS growth while moving a 200 MB file through the server's download and upload paths.

Each case runs in a fresh subprocess: it builds its clients, moves a small file first (so imports,
buffers and connections are in place), takes its baseline, then moves the 200 MB file. Growth is
measured two ways: `ru_maxrss` after minus before (the kernel's exact peak), and a psutil sampler
thread reading RSS every 2 ms. The 200 MB file lives on disk and is served (or received) by this
parent process on loopback, so only the client's memory is counted:
 - download: `luma_mcp.media.download.save_url` fetching the file from a tiny Starlette app that
   streams it from disk (the emulator renders its media into memory, so it is not used here);
 - upload: `luma_mcp.providers.luma.files.upload_file` sending the file to the emulator's Files API (which
   streams uploads to disk).
The reference for each is the naive way (read the whole body, or the whole file, into memory).

    uv run python bench/memory.py [--megabytes 200]

Target: growth <= 32 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import psutil
from _shared import BENCH_KEY, Loopback, heading, line, quiet, scratch_dir, verdict

TARGET_MB = 32.0
MB = 1 << 20
WARM_UP_MB = 1


class PeakSampler:
    """The highest RSS seen, sampled from a thread every 2 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process(os.getpid())
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, process.memory_info().rss)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


async def measured(warm_up: Callable[[], Awaitable[Any]], work: Callable[[], Awaitable[Any]]) -> dict[str, float]:
    await warm_up()
    rss_before = psutil.Process(os.getpid()).memory_info().rss
    maxrss_before = maxrss_bytes()
    with PeakSampler() as sampler:
        await work()
    return {
        "maxrss_growth": (maxrss_bytes() - max(maxrss_before, rss_before)) / MB,
        "sampled_growth": (sampler.peak - rss_before) / MB,
    }


# --- the cases, each run in a child process -----------------------------------------------------------


async def download_case(base_url: str, folder: Path, naive: bool) -> dict[str, float]:
    from luma_mcp.media.download import save_url

    # Configured like the server's download client (runtime.py); limits and timeouts do not move memory.
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0), follow_redirects=True) as http:

        async def fetch(name: str) -> None:
            url, destination = f"{base_url}/files/{name}", folder / f"copy-of-{name}"
            if naive:
                response = await http.get(url)
                await anyio.Path(destination).write_bytes(response.content)
            else:
                await save_url(http, url, destination)

        return await measured(lambda: fetch("small.bin"), lambda: fetch("big.mp4"))


async def upload_case(base_url: str, folder: Path, naive: bool) -> dict[str, float]:
    from luma_mcp.providers.luma.client import LumaApi
    from luma_mcp.providers.luma.files import upload_file

    api = LumaApi(BENCH_KEY, f"{base_url}/v1")
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as http:

        async def send(name: str) -> None:
            path = folder / name
            if not naive:
                await upload_file(api, http, path, "video/mp4")
                return
            created = await api.sdk.files.create(mime_type="video/mp4", size_bytes=path.stat().st_size, purpose="input")
            assert created.upload is not None
            await http.put(created.upload.url, content=path.read_bytes(), headers=created.upload.headers or {})

        try:
            return await measured(lambda: send("small.bin"), lambda: send("big.mp4"))
        finally:
            await api.aclose()


def child(case: str, base_url: str, folder: str) -> None:
    runner = {"download": download_case, "upload": upload_case}[case.removesuffix("-naive")]
    figures = anyio.run(runner, base_url, Path(folder), case.endswith("-naive"))
    print(json.dumps(figures))


# --- the parent: files, servers, one subprocess per case ----------------------------------------------


def make_files(folder: Path, megabytes: int) -> None:
    block = os.urandom(MB)  # random: no layer on the way can compress it away
    with (folder / "big.mp4").open("wb") as sink:
        for _ in range(megabytes):
            sink.write(block)
    (folder / "small.bin").write_bytes(os.urandom(WARM_UP_MB * MB))


def file_server(folder: Path) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse
    from starlette.routing import Route

    async def serve_file(request: Request) -> FileResponse:
        return FileResponse(folder / Path(request.path_params["name"]).name, media_type="video/mp4")

    return Starlette(routes=[Route("/files/{name}", serve_file)])


def run_child(case: str, base_url: str, folder: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", case, base_url, str(folder)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def upload_available() -> bool:
    try:
        from luma_mcp.providers.luma.files import upload_file  # noqa: F401
    except ImportError:
        return False
    return True


def show(name: str, ours: dict[str, float], naive: dict[str, float]) -> None:
    growth = max(ours.values())
    ratio = growth / max(max(naive.values()), 0.1)
    line(f"{name}: luma-mcp", f"{ours['maxrss_growth']:.1f} MB (ru_maxrss), {ours['sampled_growth']:.1f} MB (sampled)")
    line(f"{name}: naive reference", f"{naive['maxrss_growth']:.1f} MB (ru_maxrss), {naive['sampled_growth']:.1f} MB")
    line(f"{name}: ratio to reference", f"{ratio:.2f}x; target <= {TARGET_MB:.0f} MB: {verdict(growth <= TARGET_MB)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--child", nargs=3, metavar=("CASE", "BASE_URL", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    quiet()
    from luma_mcp.providers.luma.emulator import Emulator, EmulatorConfig

    with scratch_dir() as folder:
        started = time.perf_counter()
        make_files(folder, args.megabytes)
        heading(f"peak RSS growth moving a {args.megabytes} MB file (fresh subprocess per case)")
        with Loopback(file_server(folder)) as files:
            show(
                "download",
                run_child("download", files.base_url, folder),
                run_child("download-naive", files.base_url, folder),
            )
        if not upload_available():
            line("upload", "PENDING: luma_mcp.providers.luma.files.upload_file does not exist yet")
            return
        with Loopback(Emulator(EmulatorConfig()).app) as api:
            show("upload", run_child("upload", api.base_url, folder), run_child("upload-naive", api.base_url, folder))
        line("wall time", f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
