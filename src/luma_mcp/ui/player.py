"""The player's `ui://` resource: one self-contained page (its CSS and script inlined, no CDN, no build
step), served as MCP Apps' `text/html;profile=mcp-app` with a CSP that names the only media origins
the page loads from.

A saved output reaches the page through the host (`resources/read` of its output resource, played as
a `data:` URL, which every host's default CSP allows), so local and sandbox files need no origin at all.
Only an output that is not saved here is played from its provider's URL, and only from an origin
declared below.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from mcp.server.apps import APP_MIME_TYPE, Apps, ResourceCsp
from mcp.server.mcpserver.resources import FunctionResource

from .. import __version__
from ..providers.base import ProviderName
from ..providers.registry import Providers
from ..settings import Settings
from ..tools.resources import MAX_RESOURCE_BYTES
from . import PLAYER_URI, PROGRESS_META

# Hosts of the providers' output URLs, where their documentation names one (aimlapi-spec: `video.url`
# on cdn.aimlapi.com). Luma's and Hedra's presigned URLs come from hosts their documentation does not
# name, so none is declared: their outputs play from the saved copy.
MEDIA_ORIGINS: dict[ProviderName, tuple[str, ...]] = {"aimlapi": ("https://cdn.aimlapi.com",)}
# How long each of the page's get_generation calls waits for a running job: well inside the ~60 s
# after which hosts give up on a call, long enough to keep the calls few.
POLL_WAIT_SECONDS = 20


def media_origins(settings: Settings) -> list[str]:
    """The origins the page may load media from: those of the providers that are on. None in the
    sandbox, whose URLs name a host that only the server's own client can reach."""
    if settings.sandbox:
        return []
    on = Providers(settings).available()
    return sorted({origin for name in on for origin in MEDIA_ORIGINS.get(name, ())})


def player_app(settings: Settings) -> Apps:
    """The MCP Apps extension that serves the player (tools link to it through `tools.base`)."""
    origins = tuple(media_origins(settings))
    csp = ResourceCsp(connect_domains=[], resource_domains=list(origins))
    apps = Apps()
    apps.add_resource(
        FunctionResource(
            uri=PLAYER_URI,
            name="player",
            title="Generation player",
            description="Plays a generation's video or image, follows a running job, offers next steps.",
            mime_type=APP_MIME_TYPE,
            meta={"ui": {"csp": csp.model_dump(by_alias=True, exclude_none=True), "prefersBorder": True}},
            fn=lambda: page(origins),
        )
    )
    return apps


@cache
def page(origins: tuple[str, ...]) -> str:
    """The page, assembled on its first read: nothing is read from disk at start-up."""
    here = files(__package__)
    config = {
        "version": __version__,
        "maxBytes": MAX_RESOURCE_BYTES,
        "mediaOrigins": list(origins),
        "pollWaitSeconds": POLL_WAIT_SECONDS,
        "progressMeta": PROGRESS_META,
    }
    # `<` escaped so that no value can close the inline <script> element early.
    config_json = json.dumps(config).replace("<", "\\u003c")
    return (
        here.joinpath("player.html")
        .read_text(encoding="utf-8")
        .replace("{{css}}", here.joinpath("player.css").read_text(encoding="utf-8"))
        .replace("{{config}}", config_json)
        .replace("{{js}}", here.joinpath("player.js").read_text(encoding="utf-8"))
    )
