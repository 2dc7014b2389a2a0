"""Hosted mode's shared recovery: every replica finishes the jobs that any replica left behind.

With `LUMA_MCP_DATABASE_URL` set, replicas share one history and one output folder. A replica killed
mid-job (a deploy, a crash, the OOM killer) leaves rows no call will settle: jobs still queued or
processing at the provider, and finished ones whose file was never saved. Start-up recovery covers a
single server that comes back; a replica may never come back, so each one runs `settle_forever`, which
every SETTLE_INTERVAL_SECONDS:

- leases a few unsettled rows of any owner (`Store.claim_unsettled`: racing replicas get disjoint rows);
- takes a work lease on each (`Store.claim`), renewed while it works, so that a row whose lease lapses
  mid-download is not settled by two replicas at once; settles it as start-up recovery does
  (`outputs.settle_leased`: one poll, the finished outputs saved into the owner's folder, written back
  under the owner); then gives the work lease up;
- clears the claim files and partial downloads a killed holder left in the shared folder.

A live call may be waiting on a row leased here: both may poll, and the claim file per output keeps
them to one download. A dead replica's row leases lapse after ROW_LEASE_SECONDS, so its jobs are
settled by another within about that plus one interval.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket

import anyio
import anyio.to_thread

from .media.download import sweep_abandoned
from .outputs import settle_abandoned, settle_leased, settle_unknown
from .runtime import Runtime
from .store import SUBMITTING, UNKNOWN, Record, Store

logger = logging.getLogger(__name__)

SETTLE_INTERVAL_SECONDS = 10.0
# A row stays this replica's to settle this long; a dead replica's rows go to another after it.
ROW_LEASE_SECONDS = 30.0
# The lease on the work itself, renewed every WORK_RENEW_SECONDS while a row is being settled.
WORK_LEASE_SECONDS = 30.0
WORK_RENEW_SECONDS = 10.0
BATCH = 10
ABANDONED_SCAN = 100
RECONCILE_LEASE = "reconcile-unknown"


def holder_name() -> str:
    """`host:pid:random`: names this replica in leases; the random part keeps a restarted process that
    got the same pid from inheriting its predecessor's leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


async def settle_forever(runtime: Runtime, interval: float = SETTLE_INTERVAL_SECONDS) -> None:
    """Settle other replicas' leftovers until cancelled (the server's background task group)."""
    holder = holder_name()
    while True:
        # Jittered: replicas started together would otherwise all poll the database at the same instant.
        await anyio.sleep(interval * random.uniform(0.8, 1.2))
        try:
            await settle_round(runtime, holder)
        except Exception as exc:  # a database or disk hiccup: the next round tries again; the server lives on
            logger.warning("Shared recovery round failed: %s: %s", type(exc).__name__, exc, exc_info=True)


async def settle_round(
    runtime: Runtime, holder: str, *, limit: int = BATCH, lease_seconds: float = ROW_LEASE_SECONDS
) -> int:
    """One round: clear dead holders' leftovers, then settle up to `limit` leased rows. Returns how many
    rows this round settled (leased, worked on and released)."""
    # A create whose replica died mid-send stays `submitting`: past its grace it becomes `unknown` with its
    # age, whoever's it is (marking it twice, from two replicas, writes the same thing).
    await settle_abandoned(runtime, await runtime.store.list(ABANDONED_SCAN, state=SUBMITTING, owner=None))
    if runtime.settings.configuration_error() is None:
        # Unknown outcomes are asked about by request id (the AI/ML API, Hedra), by one replica at a time.
        if await runtime.store.claim(RECONCILE_LEASE, holder, lease_seconds):
            try:
                unknown = await runtime.store.list(ABANDONED_SCAN, state=UNKNOWN, owner=None)
                await settle_unknown(runtime, unknown)
            finally:
                await runtime.store.release_claim(RECONCILE_LEASE, holder)
        records = await runtime.store.claim_unsettled(holder, limit, lease_seconds)
    else:
        records = []  # a malformed key or URL: nothing may be sent
    settled = 0
    for record in records:
        if await _settle(runtime, holder, record):
            settled += 1
    await anyio.to_thread.run_sync(sweep_abandoned, runtime.settings.output_dir)
    return settled


async def _settle(runtime: Runtime, holder: str, record: Record) -> bool:
    store = runtime.store
    key = f"settle:{record.id}"
    if not await store.claim(key, holder, WORK_LEASE_SECONDS):
        return False  # another replica is still at it: its row lease lapsed while it worked
    try:
        async with anyio.create_task_group() as keeper:
            keeper.start_soon(_renew, store, key, holder)
            try:
                await settle_leased(runtime, record)
            except Exception as exc:  # one row that cannot be settled must not stop the others
                logger.warning("Could not settle %s: %s: %s", record.id, type(exc).__name__, exc, exc_info=True)
            finally:
                keeper.cancel_scope.cancel()
    finally:
        # Shielded, briefly: a stopping server gives its work back at once, unless the database is gone.
        with anyio.move_on_after(5, shield=True):
            await store.release_claim(key, holder)
    return True


async def _renew(store: Store, key: str, holder: str) -> None:
    while True:
        await anyio.sleep(WORK_RENEW_SECONDS)
        if not await store.claim(key, holder, WORK_LEASE_SECONDS):
            logger.warning("Lost the work lease %s while settling it", key)
            return
