"""The Luma Agents API as a provider: its rule table, its prices, its SDK client, in the neutral vocabulary."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..base import Generation, MediaOutput, Violation
from .pricing import estimate_cost
from .rules import check_generation
from .timing import expected_seconds

if TYPE_CHECKING:
    from luma_agents.types import Generation as SdkGeneration

    from .client import LumaApi


class LumaProvider:
    """Luma ids are the API's own bare UUIDs, so a generation's public id is its Luma id."""

    name: Literal["luma"] = "luma"

    def __init__(self, api: LumaApi) -> None:
        self.api = api

    def check(self, body: Mapping[str, Any]) -> list[Violation]:
        return check_generation(body, strict=True)

    async def price(self, body: Mapping[str, Any], source_seconds: float | None = None) -> float | None:
        return estimate_cost(body, source_seconds)

    def expected_seconds(self, body: Mapping[str, Any]) -> float:
        return expected_seconds(body)

    def trace_id(self, body: Mapping[str, Any]) -> str:
        return f"lmcp-{uuid.uuid4().hex}"

    async def create(self, body: Mapping[str, Any], *, request_id: str) -> Generation:
        # The Luma API has no idempotency key: `request_id` lives only in our history.
        return neutral(await self.api.create(body))

    async def get(self, generation_id: str) -> Generation:
        return neutral(await self.api.get(generation_id))

    async def reconcile(self, request_id: str) -> Generation | None:
        return None  # the Luma API has no way to find a job by a request id of ours

    async def aclose(self) -> None:
        await self.api.aclose()


def neutral(generation: SdkGeneration) -> Generation:
    return Generation(
        id=generation.id,
        provider="luma",
        type=generation.type,
        model=generation.model,
        state=generation.state,
        created_at=generation.created_at,
        outputs=tuple(MediaOutput(type=output.type, url=output.url) for output in generation.output or []),
        failure_code=generation.failure_code,
        failure_reason=generation.failure_reason,
        raw=generation.model_dump(mode="json"),
    )
