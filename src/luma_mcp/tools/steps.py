"""What to do after a result, said twice from one place: `next_step` for the model to read and `next_call`,
the same advice as a call a program can make as given (or None when the advice is not one call)."""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
from typing import Any

from ..providers.luma.rules import RETRYABLE_FAILURES  # the shared failure vocabulary (Luma's words)
from .results import GenerationResult, NextCall

KEEP_WAITING_SECONDS = 45  # within the ~60 s after which clients cut a call


@dataclasses.dataclass(frozen=True)
class Call:
    """The tool call being answered, with its arguments as the client gave them (after validation)."""

    tool: str
    arguments: dict[str, Any]


# Set by the tool runner for the length of one call: a result may advise making that very call again.
calling: ContextVar[Call | None] = ContextVar("calling", default=None)


def set_next_step(result: GenerationResult, age: float = 0.0) -> None:
    """Fill in `next_step` and `next_call`; `age`: seconds since the job was created."""
    result.next_step, call = next_step_for(result, age)
    result.next_call = NextCall(tool=call.tool, arguments=call.arguments) if call else None


def next_step_for(result: GenerationResult, age: float = 0.0) -> tuple[str, Call | None]:
    if result.dry_run:
        return _after_dry_run(result)
    gen_id = result.id
    if result.state in ("queued", "processing"):
        after = f" after {age:.0f} s" if age >= 0.5 else ""
        return (
            f"Still {result.state}{after}; nothing is lost. Call get_generation with generation_id='{gen_id}'"
            f" and wait_seconds={KEEP_WAITING_SECONDS} to keep waiting.",
            Call("get_generation", {"generation_id": gen_id, "wait_seconds": KEEP_WAITING_SECONDS}),
        )
    if result.state == "failed":
        return _after_failure(result)
    save = Call("get_generation", {"generation_id": gen_id, "download": True})
    if result.save_error is not None:
        return (
            f"Completed, but not saved here: {result.save_error}. Then call get_generation with "
            f"generation_id='{gen_id}' and download=true to save it; chain further work with the same id.",
            save,
        )
    if not any(output.path for output in result.outputs):
        return (
            f"Not saved yet: call get_generation with generation_id='{gen_id}' and download=true to save it; "
            "chain further work with the same id.",
            save,
        )
    return f"Saved. Chain further work from it with generation_id='{gen_id}'.", None


def _after_dry_run(result: GenerationResult) -> tuple[str, Call | None]:
    price = f" (estimated ${result.estimated_cost_usd:.2f})" if result.estimated_cost_usd is not None else ""
    call = calling.get()
    if call is None:
        return f"Nothing was submitted. Call again without dry_run to submit{price}.", None
    arguments = {name: value for name, value in call.arguments.items() if name != "dry_run"}
    return f"Nothing was submitted. Call {call.tool} again without dry_run to submit{price}.", Call(
        call.tool, arguments
    )


def _after_failure(result: GenerationResult) -> tuple[str, Call | None]:
    code = result.failure_code or "unknown"
    if code in RETRYABLE_FAILURES or code == "moderation_transient":
        advice = (
            "a passing moderation refusal: submitting the same request again may pass"
            if code == "moderation_transient"
            else "a passing fault: submit the same request again"
        )
        call = calling.get()
        if call is None or call.tool == "get_generation":  # which call made the job is not known here
            return f"Failed ({code}), {advice} (call the tool that made it with the same arguments).", None
        return f"Failed ({code}), {advice} (call {call.tool} with the same arguments).", call
    return _FIXES.get(code, f"Failed ({code}): fix the inputs as the failure_reason says, then submit again."), None


_FIXES = {
    "content_moderated": "Failed: moderation flagged the prompt or inputs. Rephrase them, then submit again.",
    # Hedra: rewording cannot help, only another face can
    "moderation_likeness": (
        "Failed: moderation found that the face image shows a real person. Use a different face (a generated "
        "portrait, say), then submit again; changing the prompt or script will not help."
    ),
    "budget_exhausted": "Failed: the account ran out of funds. Add funds, then submit again.",
}
