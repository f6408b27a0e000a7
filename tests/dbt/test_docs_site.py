"""The dbt docs site (`make docs`, i.e. `dvc-index docs`) opens offline in headless Chromium and documents the marts.

The site is generated as a user does, by the CLI, into a folder of the test's own; then it is opened from a copy
elsewhere (as a file sent to a reviewer) with the network off: every mart is in the project tree, and a mart's page
lists its columns with the descriptions of the project's YAML.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from orchestration.dbt_docs import DocsError, fix_static_page
from orchestration.settings import DBT_PROJECT_DIR
from tests.browser import offline_page, require_browser, screenshot

MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"


def mart_columns() -> dict[str, dict[str, str]]:
    """Each mart's columns and their descriptions, as the project's YAML documents them."""
    marts = {}
    for path in sorted(MARTS_DIR.glob("*.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            marts[model["name"]] = {c["name"]: " ".join(c.get("description", "").split()) for c in model.get("columns", [])}
    return marts


def test_the_attributes_that_load_before_they_are_filled_in_are_fixed():
    page = ('<link rel="shortcut icon" href="${require(\'./assets/favicons/favicon.ico\')}"/>'
            '<svg><use xlink:href="{{ getIcon(item.type, \'on\') }}"></use></svg>')
    assert fix_static_page(page) == ('<link rel="icon" href="data:,">'
                                     '<svg><use ng-attr-xlink:href="{{ getIcon(item.type, \'on\') }}"></use></svg>')
    assert fix_static_page(fix_static_page(page)) == fix_static_page(page)
    with pytest.raises(DocsError, match="no longer has"):
        fix_static_page("<html></html>")


@pytest.mark.timeout(600)
def test_the_docs_site_opens_offline_and_lists_the_marts_with_their_columns(tmp_path):
    require_browser()
    env = {k: v for k, v in os.environ.items() if k not in ("DUCKDB_PATH", "PORTAL_TOKEN")}
    env["DVC_INDEX_HOME"] = str(tmp_path / "home")
    done = subprocess.run([str(Path(sys.executable).parent / "dvc-index"), "docs", "--target-path",
                           str(tmp_path / "target")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"dbt docs: {tmp_path / 'target' / 'static_index.html'}" in done.stdout
    assert "no warehouse at" in done.stdout and not (tmp_path / "home" / "warehouse.duckdb").exists()
    copy = tmp_path / "copied" / "dbt-docs.html"
    copy.parent.mkdir()
    shutil.copyfile(tmp_path / "target" / "static_index.html", copy)

    marts = mart_columns()
    assert {"fct_unit_scores", "rpt_rankings", "dim_units"} <= set(marts)
    with offline_page(tmp_path) as (page, log):
        # a mart's page: its columns, with their descriptions; the project tree opens at the marts folder
        page.goto(copy.as_uri() + "#!/model/model.dvc_index.fct_unit_scores", wait_until="load")
        page.get_by_text("total_points", exact=True).first.wait_for(timeout=60_000)
        text = page.locator("body").inner_text()
        columns = " ".join(text.split())
        for column, description in marts["fct_unit_scores"].items():
            assert column in columns and description in columns, f"fct_unit_scores.{column}: {description!r} not shown"
        tree = text.replace("\n", "").replace(" ", "")  # the tree breaks long names over lines
        for mart in marts:
            assert mart in tree, f"{mart} is not in the docs' project tree"
        assert "Tiến độ giải quyết (handling progress), of 20." in columns
        screenshot(page, "dbt-docs-fct_unit_scores.png")
    log.assert_clean()
    assert {r.split("#")[0] for r in log.requested} == {copy.as_uri()}
