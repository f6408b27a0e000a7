"""Landing the portal's published evaluation (PORTAL_API.md §2) for a month into the raw zone.

Each response page is kept whole, as it came (unknown fields included), one raw record per page, under
`data/raw/evaluation/period=YYYY-MM/extracted_at=.../`. One extraction holds every period the portal publishes
for the month: the month itself, its quarter (to date) and its year (to date), keyed by `timeType`.

The walk, per period and block (provinces, ministries): `service-results`, then every unit endpoint for the nation,
then the drill-down, level by level: each listed unit is asked (`transparency`) for its subordinate units, and a
unit that has some is the root of every unit endpoint in turn, until no unit has children (provinces, their
departments, districts and communes before July 2025; ministries and their units). The walk is bounded
(`max_depth` levels below the nation; a deeper tree fails the extraction, as a cycle in the portal's parent links
would) and never asks for a unit twice. A root's pages must add up to its `totalElements`, or the extraction
fails and lands nothing.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
from orchestration.portal.client import PortalClient, PortalError
from orchestration.settings import EVALUATION_PERIOD_TYPES

METRIC_ENDPOINTS = ("transparency", "dossier-digitized", "handling-satisfaction")
TREE_ENDPOINTS = ("dvc-progress-tree", "provide-online-tree", "formality-online-payment-tree")
UNIT_ENDPOINTS = METRIC_ENDPOINTS + TREE_ENDPOINTS
BLOCKS = ("province", "ministry")
NATION = "NATION"
TIME_TYPES = EVALUATION_PERIOD_TYPES
# nation -> province -> district -> commune is three levels; two more for what a portal may add
DEFAULT_MAX_DEPTH = 5
# the endpoint that lists a unit's subordinate units first: a unit without any is not asked again
DRILL_ENDPOINT = METRIC_ENDPOINTS[0]


class EvaluationTreeTooDeepError(IncompleteExtractionError):
    """The drill-down went deeper than its bound: a cycle in the portal's tree, or a tree deeper than expected."""


def period_body(time_type: str, year: int, month: int) -> dict[str, Any]:
    """The request's period for `time_type` as of `month`: the month, its quarter, or its year (to date)."""
    if time_type == "month":
        return {"timeType": "month", "year": year, "month": month}
    if time_type == "quarter":
        return {"timeType": "quarter", "year": year, "quarter": (month - 1) // 3 + 1}
    if time_type == "year":
        return {"timeType": "year", "year": year}
    raise ValueError(f"timeType must be one of {', '.join(TIME_TYPES)}, got {time_type!r}")


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
    time_types: tuple[str, ...] = TIME_TYPES
    max_depth: int = DEFAULT_MAX_DEPTH
    # requests in flight during the drill-down (most units are leaves, each one request): the client is thread-safe
    concurrency: int = 4

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
            "parameters": {
                "timeTypes": list(self.time_types), "year": year, "month": month, "pageSize": self.page_size,
                "maxDepth": self.max_depth,
            },
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
        for time_type in self.time_types:
            period = period_body(time_type, year, month)
            for block in BLOCKS:
                records += self._walk_block(period, block, len(records))
        return records

    def _walk_block(self, period: dict[str, Any], block: str, landed_before: int) -> list[dict[str, Any]]:
        """One period's pages for one block: service-results, the nation, then the drill-down to the leaves."""
        records = self._all_pages("service-results", period, block, None)
        asked: set[str] = set()
        level: list[str | None] = [None]  # the nation's root
        depth = 0
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency), thread_name_prefix="evaluation") as pool:
            while level:
                children: list[str] = []
                asked_roots = pool.map(lambda root: self._drill(period, block, root), level)
                for i, (pages, listed) in enumerate(asked_roots, start=1):
                    records += pages
                    for unit in listed:
                        if unit not in asked:
                            asked.add(unit)
                            children.append(unit)
                    if self.progress and (i == len(level) or i % 500 == 0):
                        self.progress(
                            f"{period['timeType']} {block} level {depth}: {i} of {len(level)} units asked",
                            landed_before + len(records),
                        )
                if children and depth >= self.max_depth:
                    raise EvaluationTreeTooDeepError(
                        f"evaluation ({period['timeType']}, {block}): units still have children {depth} levels "
                        f"below the nation (e.g. {children[0]!r}), beyond the walk's bound of {self.max_depth} "
                        "levels; a cycle in the portal's tree, or raise the bound (EvaluationExtractor.max_depth)"
                    )
                level = children
                depth += 1
        return records

    def _drill(self, period: dict[str, Any], block: str, root: str | None) -> tuple[list[dict], list[str]]:
        """A unit's pages and its subordinate units: every unit endpoint when it has some, else one request."""
        pages = self._all_pages(DRILL_ENDPOINT, period, block, root)
        listed = [
            unit["departmentId"]
            for page in pages
            for unit in _listed_units(DRILL_ENDPOINT, page["response"]["data"])
            if unit.get("departmentId")
        ]
        if listed or root is None:
            for endpoint in UNIT_ENDPOINTS:
                if endpoint != DRILL_ENDPOINT:
                    pages += self._all_pages(endpoint, period, block, root)
        return pages, listed

    def _all_pages(self, endpoint: str, period: dict[str, Any], block: str, root: str | None) -> list[dict]:
        pages = []
        received = 0
        page_no = 1
        time_type = period["timeType"]
        while True:
            body: dict[str, Any] = {**period, "block": block, "currentPage": page_no, "pageSize": self.page_size}
            if root:
                body["rootDepartmentId"] = root
            try:
                response = self.client.post_evaluation(endpoint, body)
            except PortalError as exc:  # say which page: the error names the endpoint only
                exc.locate(f"evaluation {endpoint} ({time_type}, {block}, root {root or NATION}) page {page_no}")
                raise
            answered = response if isinstance(response, dict) else {"code": f"a JSON {type(response).__name__}"}
            if answered.get("code") != "OK" or not isinstance(answered.get("data"), dict):
                raise IncompleteExtractionError(
                    f"evaluation {endpoint} ({time_type}, {block}, root {root or NATION}) page {page_no}: "
                    f"answer code {answered.get('code')!r} without data"
                )
            data = response["data"]
            received += len(_listed_units(endpoint, data))
            pages.append({
                "endpoint": endpoint, "timeType": time_type, "block": block, "rootDepartmentId": root or NATION,
                "currentPage": page_no, "request": body, "response": response,
            })
            total_pages = int(data.get("totalPages") or 1)
            if page_no >= total_pages:
                break
            page_no += 1
        expected = data.get("totalElements")
        if expected is not None and received != int(expected):
            raise IncompleteExtractionError(
                f"evaluation {endpoint} ({time_type}, {block}, root {root or NATION}): received {received} units, "
                f"the portal reported totalElements={expected}"
            )
        return pages
