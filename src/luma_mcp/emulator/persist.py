"""Emulator state on disk, so that a sandbox survives a restart (contract, Sandbox: every id in the
history still resolves). Each store names the attributes it keeps and their types (`PERSISTED`);
they are written as JSON after every request that changed them and read back when the store is built.

JSON decoded by those types, not pickle: a data dir must never be able to run code. Bytes (uploads)
go to content-addressed blob files beside the JSON, so a snapshot stays small however much was uploaded.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import logging
import os
import types
import typing
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

logger = logging.getLogger(__name__)

INLINE_BYTES = 1024  # smaller byte strings stay in the JSON


class Persistent(Protocol):
    """A store that can be saved: `PERSISTED` maps attribute names to their types."""

    PERSISTED: typing.ClassVar[dict[str, Any]]

    def reindex(self) -> None:
        """Rebuild what is derived from the persisted attributes (lookups by another id)."""


class StateFile:
    """`<folder>/state.json` and `<folder>/blobs/<sha256>`: one store's state."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "state.json"
        self.blobs = folder / "blobs"
        self._last: str | None = None
        # Digests of the byte strings already written, by identity (each kept alive with its digest):
        # an upload is hashed once, not at every save.
        self._digests: dict[int, tuple[bytes, str]] = {}

    def save(self, store: Persistent) -> None:
        """Write the store's state if it changed since the last save (atomically: never half a file)."""
        seen, self._digests = self._digests, {}
        try:
            state = {name: self._encode(getattr(store, name), seen) for name in store.PERSISTED}
        finally:
            seen.clear()
        text = json.dumps(state, sort_keys=True)
        if text == self._last:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".json.part")
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, self.path)
        self._last = text

    def load(self, store: Persistent) -> bool:
        """Restore the store from the folder; False (the store untouched) when there is nothing usable."""
        try:
            text = self.path.read_text(encoding="utf-8")
            data = json.loads(text)
            restored = {name: self._decode(data[name], hint) for name, hint in store.PERSISTED.items()}
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A state from an older build, or a damaged file: the sandbox starts afresh rather than not at all.
            logger.warning("Ignoring the sandbox state in %s: %s", self.folder, exc)
            return False
        for name, value in restored.items():
            setattr(store, name, value)
        store.reindex()
        self._last = text
        return True

    def _encode(self, value: Any, seen: dict[int, tuple[bytes, str]]) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: self._encode(getattr(value, f.name), seen) for f in dataclasses.fields(value) if f.init}
        if isinstance(value, bytes):
            return {"$b64": base64.b64encode(value).decode()} if len(value) <= INLINE_BYTES else self._blob(value, seen)
        if isinstance(value, Path):
            return str(value)
        if isinstance(value, Mapping):
            return {str(key): self._encode(item, seen) for key, item in value.items()}
        if isinstance(value, list | tuple | set | frozenset | deque):
            return [self._encode(item, seen) for item in value]
        if value is None or isinstance(value, bool | int | float | str):
            return value
        raise TypeError(f"cannot persist a {type(value).__name__}")

    def _blob(self, data: bytes, seen: dict[int, tuple[bytes, str]]) -> dict[str, str]:
        known = seen.get(id(data))
        digest = known[1] if known is not None and known[0] is data else hashlib.sha256(data).hexdigest()
        self._digests[id(data)] = (data, digest)
        path = self.blobs / digest
        if not path.exists():
            self.blobs.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, path)
        return {"$blob": digest}

    def _decode(self, data: Any, hint: Any) -> Any:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is Any:
            return data
        if origin is typing.Union or origin is types.UnionType:
            if data is None and type(None) in args:
                return None
            for arm in (arm for arm in args if arm is not type(None)):
                try:
                    return self._decode(data, arm)
                except (TypeError, ValueError, KeyError):
                    continue
            raise ValueError(f"{data!r:.80} fits none of {hint}")
        if origin is typing.Literal:
            if data not in args:
                raise ValueError(f"{data!r:.80} is not one of {args}")
            return data
        if dataclasses.is_dataclass(hint) and isinstance(hint, type):
            return self._dataclass(data, hint)
        if hint is bytes:
            return self._bytes(data)
        if hint is Path:
            return Path(_typed(data, str))
        if hint in (bool, int, float, str):
            return _typed(data, float if hint is float else hint)
        if origin in (dict, Mapping):
            key, value = args or (str, Any)
            return {self._decode(k, key): self._decode(v, value) for k, v in _typed(data, dict).items()}
        if origin in (list, set, frozenset, deque):
            (item,) = args or (Any,)
            return origin(self._decode(v, item) for v in _typed(data, list))
        if origin is tuple:
            items = _typed(data, list)
            if len(args) == 2 and args[1] is Ellipsis:
                return tuple(self._decode(v, args[0]) for v in items)
            return tuple(self._decode(v, arm) for v, arm in zip(items, args, strict=True))
        raise TypeError(f"cannot restore a {hint}")

    def _dataclass(self, data: Any, cls: type) -> Any:
        fields = _typed(data, dict)
        hints = typing.get_type_hints(cls)
        values = {f.name: self._decode(fields[f.name], hints[f.name]) for f in dataclasses.fields(cls) if f.init
                  if f.name in fields}  # fmt: skip
        return cls(**values)

    def _bytes(self, data: Any) -> bytes:
        record = _typed(data, dict)
        if "$b64" in record:
            return base64.b64decode(record["$b64"])
        digest = str(record["$blob"])
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError("a blob name that is not a SHA-256")
        blob = (self.blobs / digest).read_bytes()
        if hashlib.sha256(blob).hexdigest() != digest:
            raise ValueError(f"blob {digest} is damaged")
        return blob


def _typed(value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value
