"""The gate on a real warehouse: two tiny months run against the simulator over HTTP, then dbt (a few minutes).

rpt_rankings and rpt_score_changes are added from the contract (tests/quality/contract_marts.py) when the
dbt project does not build them yet. A clean run must pass: this is what shows the checks' bounds fit real data.
"""

from __future__ import annotations

import shutil
import time

import duckdb
import pytest

from orchestration.pipeline import run_months
from orchestration.portal.simulator.server import PortalSimulator
from orchestration.quality import run_quality_gate
from orchestration.settings import load_settings
from tests.conftest import AS_OF, TEST_CONFIG
from tests.quality.contract_marts import add_contract_marts

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MONTHS = ["2025-06", "2025-07"]


@pytest.fixture(scope="module")
def real_warehouse(portal_data, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    settings = load_settings({"DVC_INDEX_HOME": str(home), "DAGSTER_HOME": str(home / "dagster")})
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim:
        run_months(MONTHS, portal_url=sim.url, settings=settings)
    judged = home / "judged.duckdb"
    shutil.copyfile(settings.duckdb_path, judged)
    with duckdb.connect(str(judged)) as con:
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
        if "rpt_rankings" not in tables:
            add_contract_marts(con)
    return judged, home


def test_a_clean_real_month_passes_the_gate(real_warehouse):
    judged, home = real_warehouse
    started = time.monotonic()
    result = run_quality_gate(judged, "2025-07", quality_dir=home / "quality")
    elapsed = time.monotonic() - started
    print(f"\ngate on the tiny warehouse: {elapsed:.1f} s\n{result.render()}")
    assert result.failed_checks == [], result.render()
    assert result.passed
    assert result.data_docs_index.is_file()
    # 2025-06 is loaded, so July's staging volumes have a baseline: no "not compared" note for them.
    assert not any("staging volumes" in note for note in result.notes), result.notes
