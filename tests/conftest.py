"""Shared fixtures: one generated portal (tiny scale) served by fresh simulators over real loopback HTTP."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from orchestration.portal.simulator.generator import PortalData, SimulatorConfig
from orchestration.portal.simulator.server import PortalSimulator

VN = timezone(timedelta(hours=7))
TEST_CONFIG = SimulatorConfig(seed=20250701, scale="tiny", defect_rate=0.01)
# A fixed "now" for the portal, long after the test months, so every late sync has arrived.
AS_OF = datetime(2026, 1, 15, 9, 0, tzinfo=VN)


@pytest.fixture(scope="session")
def portal_data() -> PortalData:
    return PortalData(TEST_CONFIG)


@pytest.fixture
def simulator(portal_data: PortalData):
    with PortalSimulator(TEST_CONFIG, data=portal_data, as_of=AS_OF) as sim:
        yield sim
