"""Who is calling: the principal of this request's OAuth token, for tools that keep users apart.

Cheap to import (no JOSE library): it reads the SDK's auth context, which the SDK's HTTP middleware sets
for each request and carries into the task that runs the tool. Without OAuth (stdio, or HTTP with the
static token) there is one user, and the answer is "".
"""

from __future__ import annotations

import hashlib

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import principal_components

FOLDER_PREFIX = "u-"
FOLDER_DIGEST_CHARS = 32


def current_user() -> str:
    """`<issuer>|<sub>`, stable across tokens and sessions, or "" in single-user mode.

    The issuer is part of it because a `sub` is unique only per issuer (RFC 9068)."""
    token = get_access_token()
    if token is None:
        return ""
    client_id, issuer, subject = principal_components(token)
    return f"{issuer or ''}|{subject or client_id}"


def user_folder_name(user: str) -> str:
    """A folder name for `user`'s files; "" for the single user, whose files stay where they always were.

    A digest, not the name itself: an issuer URL and a `sub` may hold any character, and no user's name
    may ever spell a path into another's folder."""
    if not user:
        return ""
    return FOLDER_PREFIX + hashlib.sha256(user.encode()).hexdigest()[:FOLDER_DIGEST_CHARS]
