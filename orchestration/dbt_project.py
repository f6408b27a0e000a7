"""The dbt project as Dagster sees it, and making sure its manifest exists before definitions load."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR, load_settings

# profiles.yml reads these; give dbt absolute paths wherever it is started from.
for _name, _value in load_settings().dbt_env().items():
    os.environ.setdefault(_name, _value)

# dbt is installed beside this interpreter; find it even when the virtualenv is not activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def prepare_dbt_project() -> None:
    """Parse the dbt project when its manifest is missing or older than its sources (`dbt parse`)."""
    manifest = dbt_project.manifest_path
    if manifest.exists():
        newest = max(
            (p.stat().st_mtime for p in DBT_PROJECT_DIR.rglob("*") if p.suffix in {".sql", ".yml", ".csv"}
             and "target" not in p.parts),
            default=0.0,
        )
        if manifest.stat().st_mtime >= newest:
            return
    dbt_project.preparer.prepare(dbt_project)


prepare_dbt_project()
