"""What every provider offers, in one neutral vocabulary: the tools and the wait loop speak only this.

A provider turns a request body (its own wire form, built by its `requests` module) into a paid job
and reports on it. The MCP layer never sees a provider's JSON: it sees a `Generation`, whose `id`
is the public id agents pass around (bare UUID for Luma, `aimlapi:<id>`, `hedra:<uuid>`), whose
`state` is one of four words, and whose `outputs` are URLs to save.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

ProviderName = Literal["luma", "aimlapi", "hedra"]
PROVIDER_NAMES: tuple[ProviderName, ...] = ("luma", "aimlapi", "hedra")
State = Literal["queued", "processing", "completed", "failed"]
TERMINAL_STATES: frozenset[str] = frozenset({"completed", "failed"})

Body = dict[str, Any]


@dataclass(frozen=True)
class Violation:
    """One broken rule: `rule` is the spec's id, `field` the wire path, `detail` what the API would
    answer, `fix` one sentence telling the caller what to change."""

    rule: str
    field: str
    detail: str
    fix: str
    status: int = 400


@dataclass(frozen=True)
class MediaOutput:
    type: str  # video, image or exr
    url: str


@dataclass(frozen=True)
class Generation:
    """A provider's job as the tools see it. `raw` is the provider's own JSON, for the resource view."""

    id: str
    provider: ProviderName
    type: str
    model: str
    state: State
    created_at: str | None = None
    outputs: tuple[MediaOutput, ...] = ()
    failure_code: str | None = None
    failure_reason: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)
    # What the provider says of a running job, where it says anything (Hedra): 0..1, and seconds left.
    progress: float | None = None
    eta_seconds: float | None = None


class Provider(Protocol):
    """One API. Creates are sent once: a create whose outcome is unknown raises `OutcomeUnknown` and
    is never re-sent by the provider (the shared policy in `retry.py` re-sends only certain refusals)."""

    @property
    def name(self) -> ProviderName: ...

    def check(self, body: Mapping[str, Any]) -> list[Violation]:
        """Every rule `body` breaks (strict: fields the API would ignore count too); empty when valid."""
        ...

    async def price(self, body: Mapping[str, Any], source_seconds: float | None = None) -> float | None:
        """The estimated USD price of `body`, or None when no price can be had."""
        ...

    def expected_seconds(self, body: Mapping[str, Any]) -> float:
        """A typical run time for `body`: paces polling and scales the progress bar."""
        ...

    def trace_id(self, body: Mapping[str, Any]) -> str:
        """The id that names this one intended purchase, written to the history before sending: the
        generation id chosen for the body (Hedra), or a fresh trace id sent beside it (AI/ML API)."""
        ...

    async def create(self, body: Mapping[str, Any], *, request_id: str) -> Generation:
        """Submit one job; `request_id` is `trace_id(body)`, recorded in the history before sending."""
        ...

    async def get(self, generation_id: str) -> Generation:
        """The job by its public id; raises `NotFound` when the provider does not know it."""
        ...

    async def reconcile(self, request_id: str) -> Generation | None:
        """The job a create of unknown outcome (sent with `request_id`) made, when the provider can tell
        (the AI/ML API's usage logs); None when it cannot, or not yet."""
        ...

    async def aclose(self) -> None: ...


def elide_inline_data(body: Mapping[str, Any]) -> Body:
    """A copy of `body` fit to show or store: inline base64 (a `data` field, or a `data:` URI) replaced
    by a note of its size."""
    copied: Body = copy.deepcopy(dict(body))
    _elide(copied)
    return copied


def _elide(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "data" and isinstance(value, str):
                node[key] = f"<{_decoded_size(value)} bytes of base64 elided>"
            elif isinstance(value, str) and value.startswith("data:") and ";base64," in value:
                header, _, payload = value.partition(",")
                node[key] = f"{header},<{_decoded_size(payload)} bytes of base64 elided>"
            else:
                _elide(value)
    elif isinstance(node, list):
        for item in node:
            _elide(item)


def _decoded_size(payload: str) -> int:
    return len(payload) * 3 // 4 - payload[-2:].count("=")
