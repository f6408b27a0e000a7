"""Landing the portal's published evaluation (PORTAL_API.md §2) for a month into the raw zone.

Each response page is kept whole, as it came (unknown fields included), one raw record per page, under
`data/raw/evaluation/period=YYYY-MM/extracted_at=.../`. The walk: the nation's provinces and ministries, then
each of them as the root of its own subordinate units, for every endpoint; `service-results` for both blocks.
A root's pages must add up to its `totalElements`, or the extraction fails and lands nothing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration import __version__
from orchestration.landing import (
    EVALUATION,
    INPROGRESS,
    ExtractionResult,
    IncompleteExtractionError,
    describe_parts,
    new_extraction_id,
    period_dir,
    publish_extraction,
    records_to_table,
    write_part,
)
from orchestration.portal.client import PortalClient

METRIC_ENDPOINTS = ("transparency", "dossier-digitized", "handling-satisfaction")
TREE_ENDPOINTS = ("dvc-progress-tree", "provide-online-tree", "formality-online-payment-tree")
UNIT_ENDPOINTS = METRIC_ENDPOINTS + TREE_ENDPOINTS
BLOCKS = ("province", "ministry")
NATION = "NATION"


def _listed_units(endpoint: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    if endpoint in METRIC_ENDPOINTS:
        return list(data.get("evaluation") or [])
    if endpoint in TREE_ENDPOINTS:
        return list(data.get("children") or [])
    return list(data.get("content") or [])


@dataclass
class EvaluationExtractor:
    """Lands one month of the published evaluation."""

    client: PortalClient
    raw_dir: Path
    page_size: int = 200
    progress: Callable[[str, int], None] | None = None

    def extract(self, period: str) -> ExtractionResult:
        started = time.monotonic()
        year, month = (int(x) for x in period.split("-"))
        base = period_dir(self.raw_dir, EVALUATION, period)
        extraction_id = new_extraction_id()
        work = base / INPROGRESS / f"extracted_at={extraction_id}"
        work.mkdir(parents=True)
        try:
            records = self._walk(year, month)
            table = records_to_table(records, dataset=EVALUATION, period=period, extraction_id=extraction_id, page=0)
            write_part(work, table, 0)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        manifest = {
            "dataset": EVALUATION,
            "period": period,
            "extracted_at": extraction_id,
            "url": f"{self.client.base_url.rstrip('/')}/api/v1/reporting/evaluation/",
            "parameters": {"timeType": "month", "year": year, "month": month, "pageSize": self.page_size},
            "key_fields": ["endpoint", "timeType", "block", "rootDepartmentId", "currentPage"],
            "record_count": len(records),
            "distinct_keys": len(records),
            "total_reported": len(records),
            "pages": len(records),
            "files": describe_parts(work),
            "completed_at": datetime.now(UTC).isoformat(),
            "resumed": False,
            "client": f"dvc-index {__version__}",
        }
        final = publish_extraction(work, base, manifest)
        return ExtractionResult(
            dataset=EVALUATION,
            period=period,
            extraction_id=extraction_id,
            path=final,
            record_count=len(records),
            distinct_keys=len(records),
            total_reported=len(records),
            pages=len(records),
            resumed=False,
            seconds=time.monotonic() - started,
        )

    def _walk(self, year: int, month: int) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        roots: list[tuple[str, str]] = []
        for block in BLOCKS:
            records += self._all_pages("service-results", year, month, block, None)
            for endpoint in UNIT_ENDPOINTS:
                pages = self._all_pages(endpoint, year, month, block, None)
                records += pages
                if endpoint == METRIC_ENDPOINTS[0]:
                    for page in pages:
                        for unit in _listed_units(endpoint, page["response"]["data"]):
                            if unit.get("departmentId"):
                                roots.append((block, unit["departmentId"]))
        for i, (block, root) in enumerate(roots, start=1):
            for endpoint in UNIT_ENDPOINTS:
                records += self._all_pages(endpoint, year, month, block, root)
            if self.progress:
                self.progress(f"{i} of {len(roots)} provinces and ministries", len(records))
        return records

    def _all_pages(self, endpoint: str, year: int, month: int, block: str, root: str | None) -> list[dict]:
        pages = []
        received = 0
        page_no = 1
        while True:
            body: dict[str, Any] = {
                "timeType": "month", "year": year, "month": month, "block": block,
                "currentPage": page_no, "pageSize": self.page_size,
            }
            if root:
                body["rootDepartmentId"] = root
            response = self.client.post_evaluation(endpoint, body)
            if response.get("code") != "OK" or not isinstance(response.get("data"), dict):
                raise IncompleteExtractionError(
                    f"evaluation {endpoint} ({block}, root {root or NATION}) page {page_no}: "
                    f"answer code {response.get('code')!r} without data"
                )
            data = response["data"]
            received += len(_listed_units(endpoint, data))
            pages.append({
                "endpoint": endpoint, "timeType": "month", "block": block, "rootDepartmentId": root or NATION,
                "currentPage": page_no, "request": body, "response": response,
            })
            total_pages = int(data.get("totalPages") or 1)
            if page_no >= total_pages:
                break
            page_no += 1
        expected = data.get("totalElements")
        if expected is not None and received != int(expected):
            raise IncompleteExtractionError(
                f"evaluation {endpoint} ({block}, root {root or NATION}): received {received} units, "
                f"the portal reported totalElements={expected}"
            )
        return pages
