"""One writer per output file across processes and hosts sharing the output folder.

A claim file names its holder (`pid hostname scope`, the scope being the boot and the pid namespace on
Linux). A pid is probed only when the claim was made where it means the same process; a claim from
anywhere else is taken over only once nobody has touched it for CLAIM_STALE_SECONDS. What a holder killed
mid-download leaves (its claim, its `.part`) is cleared by whoever takes the file over, or by the sweep
that hosted replicas run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from luma_mcp.media.download import (
    CLAIM_REFRESH_SECONDS,
    CLAIM_STALE_SECONDS,
    _remove_unchanged,
    claim_path,
    claimed,
    sweep_abandoned,
    this_host,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pid probes are POSIX")

NAME = "2026-12-02_red-kite_d290f1ee.mp4"


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_claim(destination: Path, holder: str, age: float = 0.0) -> Path:
    path = claim_path(destination)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(holder + "\n")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def write_part(destination: Path, age: float = 0.0) -> Path:
    part = destination.with_name(f".{destination.name}.0badc0de.part")
    part.write_bytes(b"half a video")
    then = time.time() - age
    os.utime(part, (then, then))
    return part


async def enters(destination: Path, within: float = 1.0) -> bool:
    with anyio.move_on_after(within):
        async with claimed(destination):
            return True
    return False


async def test_a_live_claim_of_another_host_is_waited_for(tmp_path: Path) -> None:
    destination = tmp_path / NAME
    claim = write_claim(destination, f"{os.getpid()} render-7 -")
    assert not await enters(destination, within=0.5)
    assert claim.read_text().startswith(f"{os.getpid()} render-7 ")


async def test_a_claim_of_another_host_is_taken_over_once_stale(tmp_path: Path) -> None:
    destination = tmp_path / NAME
    # Its pid is this process's: a probe would say alive, so only the age can have let it go.
    claim = write_claim(destination, f"{os.getpid()} render-7 -", age=CLAIM_STALE_SECONDS + 5)
    part = write_part(destination, age=CLAIM_STALE_SECONDS + 5)
    async with claimed(destination):
        assert claim.read_text() == f"{os.getpid()} {this_host()}\n"
        assert not part.exists(), "the dead holder's partial download outlived the takeover"
    assert not claim.exists()


async def test_a_dead_process_of_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    destination = tmp_path / NAME
    write_claim(destination, f"{dead_pid()} {this_host()}")
    part = write_part(destination)
    assert await enters(destination, within=CLAIM_REFRESH_SECONDS / 2)
    assert not part.exists()


async def test_a_live_process_of_this_host_is_waited_for(tmp_path: Path) -> None:
    destination = tmp_path / NAME
    write_claim(destination, f"{os.getpid()} {this_host()}")
    assert not await enters(destination, within=0.5)


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="pid namespaces are Linux's")
async def test_the_same_hostname_in_another_pid_namespace_is_not_probed(tmp_path: Path) -> None:
    """Containers with host networking share the hostname, not their pids: a pid that is dead here may be
    a live download there."""
    destination = tmp_path / NAME
    hostname, scope = this_host().split(" ")
    assert scope.endswith(os.readlink("/proc/self/ns/pid")) and hostname == (socket.gethostname() or "-")
    write_claim(destination, f"{dead_pid()} {hostname} {scope.split('/')[0]}/pid:[1]")
    assert not await enters(destination, within=0.5)


async def test_a_claim_that_does_not_say_where_it_was_made_waits_for_its_age(tmp_path: Path) -> None:
    """`pid hostname`, as written before hosts were told apart, or a claim whose holder died before it
    wrote a line: no pid is probed on its word."""
    for holder in (f"{dead_pid()} {socket.gethostname()}", ""):
        destination = tmp_path / holder.replace(" ", "-") / NAME
        claim = write_claim(destination, holder)
        assert not await enters(destination, within=0.3)
        os.utime(claim, (time.time() - CLAIM_STALE_SECONDS - 1,) * 2)
        assert await enters(destination)


def test_a_claim_replaced_meanwhile_is_not_removed(tmp_path: Path) -> None:
    """Two processes judge one dead claim: the first removes it and claims anew, the second must not
    remove that live claim on the strength of what it saw before."""
    claim = write_claim(tmp_path / NAME, f"{dead_pid()} {this_host()}")
    judged = claim.stat()
    claim.unlink()
    write_claim(tmp_path / NAME, f"{os.getpid()} {this_host()}")
    assert not _remove_unchanged(claim, judged)
    assert claim.exists()


def test_the_sweep_clears_what_dead_holders_left_and_nothing_else(tmp_path: Path) -> None:
    user = tmp_path / "u-0123456789abcdef" / "sandbox"
    user.mkdir(parents=True)
    old = CLAIM_REFRESH_SECONDS + 5
    dead_claim = write_claim(user / NAME, f"{dead_pid()} {this_host()}")
    dead_part = write_part(user / NAME, age=old)
    orphan = write_part(tmp_path / "2026-12-01_fox_0a1b2c3d.png", age=old)
    live_claim = write_claim(tmp_path / "live.mp4", f"{os.getpid()} {this_host()}")
    live_part = write_part(tmp_path / "live.mp4", age=old)
    young = write_part(tmp_path / "young.png")
    saved = tmp_path / "2026-12-01_fox_0a1b2c3d.png"
    saved.write_bytes(b"a whole image")

    assert sweep_abandoned(tmp_path) == 3
    assert not dead_claim.exists() and not dead_part.exists() and not orphan.exists()
    assert live_claim.exists() and live_part.exists(), "a live holder's download was swept"
    assert young.exists(), "a part younger than a claim refresh may belong to a holder taking over"
    assert saved.read_bytes() == b"a whole image"
