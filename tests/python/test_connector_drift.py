"""Re-bake drift: each connector under examples/connectors/ is a repository
the template generated. Baked again with the answers its .cruft.json
records, the template's output must equal the connector everywhere except
the connector's own code, its tests, its README and its dependency lines, so
a template change that a connector has not taken in (or a connector edit to
a file the template owns) fails here."""

import json
import pathlib
import re

import pytest

from test_template import ROOT, bake

CONNECTORS = ROOT / "examples" / "connectors"

# Per connector: files it owns (its code, tests and README; may differ, be
# added or be removed), and the dependency words removed from the files both
# hold before they are compared.
OWNED = {
    "postgres-cdc": {
        "paths": [r"README\.md", r"apps/main\.cc", r"include/.*", r"src/.*", r"python/.*",
                  r"tests/.*", r"scripts/test\.sh", r"bench/.*", r"data/orders-\d\.txt",
                  r"examples/bytewax_flow\.py"],
        "dependencies": [
            r" libpq-dev postgresql(?=\n)", r" libpq postgresql@15(?=\n)",
            r" libpq-devel postgresql-server(?=\")", r" src/pgoutput\.cc",
            r" PRIVATE PostgreSQL::PostgreSQL", r"# libpq \(Debian[^\n]*\n",
            r"find_package\(PostgreSQL REQUIRED\)\n"],
    },
}


def files(root: pathlib.Path) -> dict[str, pathlib.Path]:
    return {str(p.relative_to(root)): p for p in root.rglob("*")
            if p.is_file() and not str(p.relative_to(root)).startswith("build/")}


@pytest.mark.parametrize("name", sorted(OWNED))
def test_a_connector_differs_from_a_fresh_bake_only_where_it_owns_the_files(name, tmp_path):
    connector = CONNECTORS / name
    recorded = json.loads((connector / ".cruft.json").read_text())["context"]["cookiecutter"]
    answers = {key: value for key, value in recorded.items() if not key.startswith("_")}
    result = bake(tmp_path / "bake", **answers)
    assert result.returncode == 0, result.stderr
    baked = tmp_path / "bake" / recorded["__project_dir"]
    owned = re.compile("|".join(f"(?:{p})" for p in OWNED[name]["paths"]))
    ours, theirs = files(connector), files(baked)
    unowned = lambda paths: {p for p in paths if not owned.fullmatch(p)}  # noqa: E731
    assert unowned(ours) == unowned(theirs), "files added or removed outside the connector's own"
    for path in sorted(unowned(ours) - {".cruft.json"}):
        mine, fresh = ours[path].read_bytes(), theirs[path].read_bytes()
        for dependency in OWNED[name]["dependencies"]:
            mine = re.sub(dependency.encode(), b"", mine)
        assert mine == fresh, f"{path} drifted from the template"
    fresh_answers = json.loads((baked / ".cruft.json").read_text())["context"]["cookiecutter"]
    assert {k: v for k, v in fresh_answers.items() if k not in ("_template", "__year")} == {
        k: v for k, v in recorded.items() if k not in ("_template", "__year")}
