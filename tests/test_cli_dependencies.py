"""`uv run luma-mcp` (and `luma-mcp demo`) must run on the runtime dependencies alone: a client's
`uv run --frozen --no-dev`, or an installed wheel, has no dev group. Every import statement of the
package (those inside functions too: heavy modules are imported where used) must name the standard
library, the package itself, or a distribution that the package's own requirements reach."""

from __future__ import annotations

import ast
import re
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

import luma_mcp

SOURCES = Path(luma_mcp.__file__).parent


def imported_names() -> set[str]:
    """The top-level names of every absolute import in the package's sources."""
    names: set[str] = set()
    for source in SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = "luma-agents-mcp") -> set[str]:
    """Every distribution `root` needs to run, without extras and without dependency groups."""
    reached, todo = set(), [root]
    while todo:
        name = normal(todo.pop())
        if name in reached:
            continue
        reached.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue  # an optional or platform-only requirement that is not installed here
        for line in needs:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return reached


def test_every_import_of_the_package_is_a_runtime_dependency() -> None:
    owners = packages_distributions()
    used = {normal(dist) for name in imported_names() for dist in owners.get(name, [])}
    assert {"rich", "mcp", "av"} <= used  # the demo's screen, the protocol, the media: the scan sees them
    assert used - runtime_closure() == set(), "imported, but only a dev dependency brings it"
