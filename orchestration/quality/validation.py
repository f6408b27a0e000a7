"""Great Expectations 1.x machinery: an ephemeral context that validates the gate's batches and keeps each
validation result, as GX writes it, in the run's folder (validations/<batch>.json).

GX has no DuckDB datasource, so each batch is a pandas DataFrame given to a dataframe asset of one pandas
datasource ("warehouse"), with a whole-dataframe batch definition. A GX Checkpoint passes the same
batch_parameters to all its validation definitions, so one checkpoint cannot carry several DataFrames: the gate
runs one Checkpoint per batch, each with the gate's actions, in one context.

The reviewer's page is the project's own (orchestration/quality/page.py), not GX's Data Docs: those load their
CSS and JavaScript from public CDNs and show an unstyled page with no validation listed offline, where reviewers
often are. The JSON results kept here are GX's own, for tools that read them.

Nothing here touches the network: the context is ephemeral (no GX Cloud lookup), its stores are in memory, it has
no Data Docs site, and GX usage statistics are switched off (GX_ANALYTICS_ENABLED=False before GX is imported,
and analytics_enabled=False in the project config).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd

os.environ["GX_ANALYTICS_ENABLED"] = "False"

import great_expectations as gx  # noqa: E402  (after the environment switch above)
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from orchestration.quality.definitions import GateDefinition, Validation, build_suite  # noqa: E402

RESULTS_DIR = "validations"
DATASOURCE = "warehouse"
BATCH_DEFINITION = "month"


class GateValidator:
    """One gate run's GX context: validates batches and keeps their results under `run_dir`/validations."""

    def __init__(self, gate: GateDefinition, run_dir: Path, run_name: str, run_time: datetime) -> None:
        self.gate = gate
        self.run_dir = Path(run_dir)
        self.run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            data_docs_sites={},
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.datasource = self.context.data_sources.add_pandas(DATASOURCE)

    def results_path(self, batch: str) -> Path:
        return self.run_dir / RESULTS_DIR / f"{batch}.json"

    def validate(
        self,
        validation: Validation,
        suite_doc: dict,
        batch: pd.DataFrame,
        parameters: dict,
        severity_override: str | None = None,
    ):
        """Run the batch through its suite in a Checkpoint with the gate's actions; return the validation result."""
        suite = self.context.suites.add(build_suite(suite_doc, severity_override))
        batch_definition = self.datasource.add_dataframe_asset(validation.batch).add_batch_definition_whole_dataframe(
            BATCH_DEFINITION
        )
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=validation.batch, data=batch_definition, suite=suite)
        )
        checkpoint = self.context.checkpoints.add(
            gx.Checkpoint(
                name=f"{self.gate.name}.{validation.batch}",
                validation_definitions=[definition],
                actions=[dict(action) for action in self.gate.actions],
                result_format=validation.result_format,
            )
        )
        result = checkpoint.run(
            batch_parameters={"dataframe": batch}, expectation_parameters=parameters, run_id=self.run_id
        )
        (validation_result,) = result.run_results.values()
        path = self.results_path(validation.batch)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(validation_result.to_json_dict(), ensure_ascii=False, indent=1, default=str) + "\n",
            encoding="utf-8",
        )
        return validation_result
