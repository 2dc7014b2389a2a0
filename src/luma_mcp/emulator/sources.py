"""Media given by URL, as the emulators' renderer can find it.

The emulators never fetch a URL. A `data:` URI carries its bytes; a URL of media an emulator in this
process serves (its own outputs, or another emulator's: in the sandbox an image made by one provider
is handed to another by URL) is found through the resolvers the emulators register; anything else is
drawn as a placeholder card naming the URL.
"""

from __future__ import annotations

import base64
import binascii
import weakref
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from .spec import MediaSpec, Picture, PictureKind

# A resolver takes a URL's path (percent-decoded) and answers the spec of the output it serves there.
Resolver = Callable[[str], MediaSpec | None]

_resolvers: list[weakref.WeakMethod[Resolver]] = []


def register(resolver: Resolver) -> None:
    """Add a bound method as a resolver, for as long as its object lives (emulators come and go in tests)."""
    _resolvers[:] = [ref for ref in _resolvers if ref() is not None]
    _resolvers.append(weakref.WeakMethod(resolver))


def picture_from_url(url: str, kind: PictureKind) -> Picture:
    if url.startswith("data:"):
        data = data_uri_bytes(url)
        return Picture(kind, data=data) if data is not None else Picture(kind, url=url)
    path = unquote(urlsplit(url).path)
    for ref in list(_resolvers):
        resolver = ref()
        spec = resolver(path) if resolver is not None else None
        if spec is not None:
            return Picture(kind, spec=spec)
    return Picture(kind, url=url)


def data_uri_bytes(uri: str) -> bytes | None:
    header, _, payload = uri.partition(",")
    if not header.endswith(";base64"):
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
