"""Logs as `luma-mcp --log-level ...` writes them: the HTTP libraries held at WARNING unless DEBUG is asked
for, and never a presigned URL's query values or a key, even at DEBUG. (A whole server at DEBUG, its
downloads logged without their signatures: tests/test_demo.py.)"""

from __future__ import annotations

import subprocess
import sys

from luma_mcp.cli import redact

KEY = "luma-api-0123456789abcdef-logging-test"
SIGNED = "https://media.example.com/v/clip.mp4?X-Amz-Credential=AKIA123&X-Amz-Signature=deadbeefcafe"
# A process configured as the CLI does, then logging what the HTTP libraries and the SDK log.
EMIT = f"""
import logging, sys
from luma_mcp.cli import configure_logging
configure_logging(sys.argv[1], [{KEY!r}])
logging.getLogger("httpx").info("HTTP Request: GET {SIGNED} 200 OK")
logging.getLogger("httpcore.http11").debug("send_request_headers.started")
sdk = logging.getLogger("luma_agents._base_client")
sdk.debug("Request options: %s", {{"headers": {{"Authorization": "Bearer {KEY}"}}}})
logging.getLogger("luma_mcp.tools.jobs").info("submitted generate_video")
"""


def logged(level: str) -> str:
    done = subprocess.run([sys.executable, "-c", EMIT, level], capture_output=True, text=True, timeout=30, check=True)
    assert done.stdout == ""  # logs never touch stdout: it is the MCP wire
    return done.stderr


def test_the_http_libraries_stay_at_warning_unless_debug_is_asked_for() -> None:
    info = logged("INFO")
    assert "submitted generate_video" in info
    assert "httpx" not in info and "httpcore" not in info and "luma_agents" not in info
    debug = logged("DEBUG")
    assert "httpx INFO HTTP Request: GET https://media.example.com/v/clip.mp4?" in debug
    assert "httpcore.http11 DEBUG" in debug and "luma_agents._base_client DEBUG" in debug
    assert "deadbeefcafe" not in debug and "AKIA123" not in debug and KEY not in debug, debug


def test_redaction_keeps_what_helps_and_drops_the_secrets() -> None:
    assert (
        redact(f"GET {SIGNED}") == "GET https://media.example.com/v/clip.mp4?X-Amz-Credential=***&X-Amz-Signature=***"
    )
    assert redact("headers={'x-api-key': 'sk_hedra_abc'}") == "headers={'x-api-key': '***'}"
    assert redact("Authorization: Bearer luma-api-xyz") == "Authorization: Bearer ***"
    assert redact(f"key {KEY} again", [KEY]) == "key *** again"
    assert redact("GET https://api.example.com/v1/generations/abc") == "GET https://api.example.com/v1/generations/abc"
