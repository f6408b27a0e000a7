"""`dvc-index docs` (`make docs`): the dbt documentation site as one file that opens offline.

`dbt docs generate --static` writes `static_index.html`, the whole site with the manifest and the catalog inside
it. Two of its attributes are templates the browser sees unfilled, and asks for a file named by the template (on
`file:` a failed request or a console error each, over HTTP a 404): the tree's icons,
`<use xlink:href="{{ getIcon(...) }}">` (Angular's, filled in later), which become Angular's own
`ng-attr-xlink:href`, set only once filled in; and the favicon, `href="${require('./assets/favicons/...')}"` (a
build template never filled in), which becomes an empty `data:` icon. Nothing else of dbt's page is changed, and
it loads nothing from the network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR, Settings

STATIC_PAGE = "static_index.html"
# (an attribute dbt's page writes as a template, what it becomes, how it reads once fixed)
TEMPLATE_FIXES = (
    (re.compile(r'(?<![-\w])xlink:href="\{\{ getIcon\('), 'ng-attr-xlink:href="{{ getIcon(',
     'ng-attr-xlink:href="{{ getIcon('),
    (re.compile(r"""<link rel="shortcut icon" href="\$\{require\('[^']*favicon[^']*'\)\}"/?>"""),
     '<link rel="icon" href="data:,">', '<link rel="icon" href="data:,">'),
)


class DocsError(RuntimeError):
    pass


def fix_static_page(text: str) -> str:
    """dbt's static page with its attributes that load before Angular fills them in made Angular's own."""
    for pattern, replacement, fixed in TEMPLATE_FIXES:
        text = pattern.sub(replacement, text)
        if fixed not in text:
            raise DocsError(f"dbt's docs page no longer has what {pattern.pattern!r} fixes: check that it opens "
                            "offline without a failed request, then update orchestration/dbt_docs.py")
    return text


def build_docs(settings: Settings, target_path: Path | None = None, say=print) -> Path:
    """Generate the site from the project and the warehouse of `settings` (its catalog: tables and columns as
    built) into `target_path` (default the project's target folder); return the static page's path. Without a
    warehouse yet, the site documents the project alone (an empty scratch warehouse is used, none is created in
    the home)."""
    target = Path(target_path or DBT_PROJECT_DIR / "target")
    env = {**os.environ, **settings.dbt_env()}
    env.pop("PORTAL_TOKEN", None)
    with tempfile.TemporaryDirectory(prefix="dvc-index-docs-") as scratch:
        if not settings.duckdb_path.exists():
            say(f"no warehouse at {settings.duckdb_path} yet (`make run` builds one): the docs describe the project "
                "without the built tables' types")
            env["DUCKDB_PATH"] = str(Path(scratch) / "empty.duckdb")
            env["DVC_INDEX_HOME"] = scratch
        done = _generate(target, env, Path(scratch) / "logs")
    if done.returncode != 0:
        raise DocsError(f"dbt docs generate failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    page = target / STATIC_PAGE
    page.write_text(fix_static_page(page.read_text(encoding="utf-8")), encoding="utf-8")
    return page


def _generate(target: Path, env: dict[str, str], logs: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--static", "--project-dir",
         str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target), "--log-path", str(logs),
         "--quiet"],
        env=env, capture_output=True, text=True,
    )
