"""The documentation says what the code does: every finding code has a row in
docs/finding-codes.md with its severity (and every row is a code), every manifest key is in
docs/manifest.md, every command has a page in the site's navigation, and the shipped example
manifest's [publish] table is one publish accepts."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from gobuild import example_manifest
from gobuild.check.findings import CODES as VERIFY_CODES
from gobuild.cli import MODULES
from gobuild.deploy.model import CODES as CHECK_CODES
from gobuild.manifest import CACHE_KEYS, FUNCTION_KEYS, PUBLISH_KEYS, TOP_KEYS, parse_manifest
from gobuild.publish.options import resolve_options
from tests.conftest import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DOCS = REPO / "docs"
ROW = re.compile(r"^\| (GB\d{3}) \| (error|warning|info) \|", re.MULTILINE)


def documented_codes(section: str) -> dict[str, str]:
    """Code → severity from the table under the `## ` heading that starts with `section`."""
    text = (DOCS / "finding-codes.md").read_text(encoding="utf-8")
    part = text.split(f"\n## {section}", 1)[1].split("\n## ", 1)[0]
    rows = ROW.findall(part)
    assert len(rows) == len({code for code, _ in rows}), "a code has two rows"
    return dict(rows)


@pytest.mark.parametrize(("section", "codes"), [("The zip", VERIFY_CODES), ("The definition", CHECK_CODES)],
                         ids=["verify", "check"])
def test_every_finding_code_has_a_row_with_its_severity_and_every_row_is_a_code(
        section: str, codes: dict[str, tuple[str, str]]) -> None:
    assert documented_codes(section) == {code: severity for code, (severity, _title) in codes.items()}


def test_the_two_code_tables_do_not_overlap() -> None:
    assert not set(VERIFY_CODES) & set(CHECK_CODES)


def manifest_reference_keys() -> dict[str, set[str]]:
    """Section heading → the keys in the first column of its table in docs/manifest.md."""
    text = (DOCS / "manifest.md").read_text(encoding="utf-8")
    found: dict[str, set[str]] = {}
    for part in text.split("\n### ")[1:]:
        heading, _, body = part.partition("\n")
        found[heading] = set(re.findall(r"^\| `([a-z_]+)` \|", body, re.MULTILINE))
    return found


def test_the_manifest_reference_has_a_row_for_every_key_and_no_other() -> None:
    assert manifest_reference_keys() == {
        "Top level": set(TOP_KEYS),
        "`[[function]]` and `[defaults]`": set(FUNCTION_KEYS),
        "`[publish]`": set(PUBLISH_KEYS),
        "`[cache]`": set(CACHE_KEYS),
    }


def test_the_example_manifests_publish_table_is_one_publish_accepts(tmp_path: Path) -> None:
    data = tomllib.loads(example_manifest())
    (tmp_path / "go.mod").write_text("module example.com/shop\n\ngo 1.22\n")
    (tmp_path / "cmd" / "orders-lambda").mkdir(parents=True)
    (tmp_path / "cmd" / "orders-lambda" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "orders.json").write_text("{}")
    manifest = parse_manifest(example_manifest(), path=tmp_path / "gobuild.toml")
    options = resolve_options(manifest.publish)
    assert (options.bucket, options.prefix, options.key_template) == (
        data["publish"]["bucket"], data["publish"]["prefix"], data["publish"]["key_template"])


def test_every_command_has_a_page_in_the_navigation() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for command in MODULES:
        page = f"commands/{command}.md"
        assert (DOCS / page).is_file(), f"no docs/{page}"
        assert re.search(rf"^\s+- gobuild {re.escape(command)}: {re.escape(page)}$", nav, re.MULTILINE), \
            f"{page} is not in mkdocs.yml's nav"


def test_every_relative_link_of_the_readme_leads_to_a_file() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    targets = {t.split("#", 1)[0] for t in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in t}
    assert targets, "the README links to no page"
    assert sorted(t for t in targets if not (REPO / t).is_file()) == []
