"""Dagster resources: the portal (a real server or the embedded simulator)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import PrivateAttr

from orchestration.portal.client import PortalClient
from orchestration.settings import load_settings

log = logging.getLogger(__name__)


class PortalResource(dg.ConfigurableResource):
    """Where the record feeds come from.

    `base_url` empty (and no PORTAL_BASE_URL) starts the embedded portal simulator for the duration of the step.
    The token is read from PORTAL_TOKEN when a client is made and is never part of the resource's config, so it
    never reaches Dagster's run storage.
    """

    base_url: str = ""
    page_size: int = 5000
    timeout_seconds: float = 60.0
    simulator_seed: int = 766
    simulator_scale: str = "small"
    simulator_defect_rate: float = 0.002

    _simulator: object | None = PrivateAttr(default=None)
    _url: str = PrivateAttr(default="")

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        url = self.base_url or load_settings().portal_base_url or ""
        if not url:
            from orchestration.portal.simulator.generator import SimulatorConfig
            from orchestration.portal.simulator.server import PortalSimulator

            config = SimulatorConfig(
                seed=self.simulator_seed, scale=self.simulator_scale, defect_rate=self.simulator_defect_rate
            )
            self._simulator = PortalSimulator(config).start()
            url = self._simulator.url
            log.info("no PORTAL_BASE_URL: started the embedded portal simulator on %s", url)
        self._url = url

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator = None

    @property
    def url(self) -> str:
        return self._url or self.base_url

    @contextmanager
    def client(self) -> Iterator[PortalClient]:
        with PortalClient(self.url, token=load_settings().portal_token, timeout=self.timeout_seconds) as client:
            yield client
