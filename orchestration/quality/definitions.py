"""The gate's definition as kept in expectations/: the checkpoint file and the suites it names, as JSON.

Reading goes through plain JSON (not a GX file context) so that nothing is written into the repository and each
run builds its own context. GX's ExpectationSuite logs and drops an expectation whose configuration it cannot
build (an unknown type, a misspelt argument); here that is an error, so a broken suite can never pass quietly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from orchestration.settings import REPO_ROOT

EXPECTATIONS_DIR = REPO_ROOT / "expectations"
GATE_FILE = EXPECTATIONS_DIR / "checkpoints" / "monthly_gate.json"
SUITES_DIR = EXPECTATIONS_DIR / "suites"


@dataclass(frozen=True)
class Validation:
    """One checkpoint of the gate: which batch, which suite, and how failures are reported."""

    batch: str
    suite: str
    result_format: dict

    @property
    def index_columns(self) -> list[str]:
        return list(self.result_format.get("unexpected_index_column_names", []))


@dataclass(frozen=True)
class GateDefinition:
    name: str
    actions: list[dict]
    validations: list[Validation]


def load_gate(path: Path = GATE_FILE) -> GateDefinition:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return GateDefinition(
        name=doc["name"],
        actions=doc["actions"],
        validations=[Validation(v["batch"], v["suite"], v["result_format"]) for v in doc["validations"]],
    )


def load_suite_json(name: str, directory: Path = SUITES_DIR) -> dict:
    return json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))


def build_suite(doc: dict, severity_override: str | None = None):
    """A GX ExpectationSuite from its JSON, failing on any expectation GX would drop."""
    import great_expectations as gx

    expectations = [dict(e) for e in doc["expectations"]]
    if severity_override:
        for expectation in expectations:
            expectation["severity"] = severity_override
    suite = gx.ExpectationSuite(
        name=doc["name"], expectations=expectations, meta=doc.get("meta"), notes=doc.get("notes")
    )
    if len(suite.expectations) != len(expectations):
        built = {e.meta.get("check") for e in suite.expectations if e.meta}
        lost = [e.get("meta", {}).get("check", e.get("type")) for e in expectations if e.get("meta", {}).get("check") not in built]
        raise ValueError(f"suite {doc['name']}: GX could not build the expectations {lost}; check their type and kwargs")
    return suite
