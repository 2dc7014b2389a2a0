"""HMAC signatures for an emulator's expiring media and upload URLs (`?expires=<ts>&sig=<hmac>`)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["ok", "expired", "bad"]


@dataclass(frozen=True, slots=True)
class Signer:
    secret: bytes

    def sign(self, resource: str, expires: int) -> str:
        return hmac.new(self.secret, f"{resource}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def verify(self, resource: str, expires: str, sig: str, now: float) -> Verdict:
        try:
            deadline = int(expires)
        except ValueError:
            return "bad"
        if not hmac.compare_digest(sig, self.sign(resource, deadline)):
            return "bad"
        return "expired" if now > deadline else "ok"
