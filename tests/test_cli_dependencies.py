"""`uv run luma-mcp` (and `luma-mcp demo`) must run on the runtime dependencies alone: a client's
`uv run --frozen --no-dev`, or an installed wheel, has no dev group. Every import statement of the
package (those inside functions too: heavy modules are imported where used) must name the standard
library, the package itself, or a distribution that the package's own requirements reach. The modules of
hosted mode (PostgreSQL, OAuth) are the one exception: they may use what the `hosted` extra brings, and
nothing else imports them unless hosted mode is configured."""

from __future__ import annotations

import ast
import re
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement

import luma_mcp

SOURCES = Path(luma_mcp.__file__).parent
HOSTED_MODULES = {SOURCES / "pg_store.py", SOURCES / "auth.py"}


def imported_names(hosted: bool = False) -> set[str]:
    """The top-level names of every absolute import in the package's sources (`hosted`: in the modules of
    hosted mode only; else in all the others)."""
    names: set[str] = set()
    for source in SOURCES.rglob("*.py"):
        if (source in HOSTED_MODULES) != hosted:
            continue
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure(root: str = "luma-agents-mcp", extra: str = "") -> set[str]:
    """Every distribution `root` needs to run, with `extra` ("" for none) and without dependency groups."""
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
            wanted = extra if name == normal(root) else ""
            if requirement.marker is None or requirement.marker.evaluate({"extra": wanted}):
                todo.append(requirement.name)
    return reached


def test_every_import_of_the_package_is_a_runtime_dependency() -> None:
    owners = packages_distributions()
    used = {normal(dist) for name in imported_names() for dist in owners.get(name, [])}
    assert {"rich", "mcp", "av"} <= used  # the demo's screen, the protocol, the media: the scan sees them
    assert used - runtime_closure() == set(), "imported, but only a dev dependency brings it"


def test_hosted_mode_imports_only_what_the_hosted_extra_brings() -> None:
    assert all(module.exists() for module in HOSTED_MODULES)  # a renamed module must be renamed here too
    owners = packages_distributions()
    used = {normal(dist) for name in imported_names(hosted=True) for dist in owners.get(name, [])}
    assert {"psycopg", "psycopg-pool", "joserfc"} <= used
    assert used - runtime_closure(extra="hosted") == set(), "imported in hosted mode, but not in the hosted extra"
