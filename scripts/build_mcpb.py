"""Build the Claude Desktop bundle: dist/<manifest name>.mcpb, with the official MCPB CLI.

    python scripts/build_mcpb.py [--mcpb COMMAND] [--out FILE]

Needs Node's `npx` (the CLI, @anthropic-ai/mcpb, comes from npm at the pinned version below) and `uv`.
The bundle is the repository root filtered by .mcpbignore: manifest.json, pyproject.toml, uv.lock, README,
LICENSE, the icon and src/. Its manifest says `uv run --frozen --no-dev luma-agents-mcp`, so the host
installs exactly what uv.lock pins; that is why a stale lock or a manifest whose version is not the
package's stops the build instead of shipping.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MCPB_VERSION = "2.1.2"
DEFAULT_MCPB = f"npx -y @anthropic-ai/mcpb@{MCPB_VERSION}"


class BuildError(Exception):
    pass


def package_version() -> str:
    source = (ROOT / "src" / "luma_mcp" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', source, re.MULTILINE)
    if found is None:
        raise BuildError("src/luma_mcp/__init__.py has no __version__ line")
    return found.group(1)


def check_sources(manifest: dict[str, object]) -> None:
    version = package_version()
    if manifest.get("version") != version:
        raise BuildError(f"manifest.json says version {manifest.get('version')}, the package {version}")
    uv = shutil.which("uv")
    if uv is None:
        raise BuildError("uv is not installed (the bundle ships uv.lock, checked with `uv lock --check`)")
    run([uv, "lock", "--check", "--directory", str(ROOT)], "uv.lock does not match pyproject.toml: run `uv lock`")


def run(command: Sequence[str], failure: str) -> None:
    print("$", shlex.join(command), flush=True)
    if subprocess.run(command, cwd=ROOT).returncode != 0:
        raise BuildError(failure)


def build(mcpb: Sequence[str], out: Path | None) -> Path:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    check_sources(manifest)
    target = out or ROOT / "dist" / f"{manifest['name']}.mcpb"
    target.parent.mkdir(parents=True, exist_ok=True)
    run([*mcpb, "validate", str(ROOT / "manifest.json")], "mcpb validate refused manifest.json")
    run([*mcpb, "pack", str(ROOT), str(target)], "mcpb pack failed")
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mcpb", default=DEFAULT_MCPB, help=f"the MCPB CLI to run (default: {DEFAULT_MCPB})")
    parser.add_argument("--out", type=Path, help="where to write the bundle (default: dist/<manifest name>.mcpb)")
    args = parser.parse_args(argv)
    try:
        target = build(shlex.split(args.mcpb), args.out)
    except BuildError as error:
        print(f"build_mcpb: {error}", file=sys.stderr)
        return 1
    print(f"{target} ({target.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
