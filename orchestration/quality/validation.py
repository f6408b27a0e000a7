"""Great Expectations 1.x machinery: an ephemeral context whose only Data Docs site is the run's folder.

GX has no DuckDB datasource, so each batch is a pandas DataFrame given to a dataframe asset of one pandas
datasource ("warehouse"), with a whole-dataframe batch definition. A GX Checkpoint passes the same
batch_parameters to all its validation definitions, so one checkpoint cannot carry several DataFrames: the gate
runs one Checkpoint per batch, each with the gate's actions (UpdateDataDocsAction), in one context, so the Data
Docs index lists every validation of the run.

Nothing here touches the network: the context is ephemeral (no GX Cloud lookup), its stores are in memory, its
only site is a local folder, and GX usage statistics are switched off (GX_ANALYTICS_ENABLED=False before GX is
imported, and analytics_enabled=False in the project config). The Data Docs pages link to CSS and JavaScript on
public CDNs, which the reviewer's browser loads when the page is opened; the run itself fetches nothing.
"""

from __future__ import annotations

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

SITE_NAME = "quality"
DATASOURCE = "warehouse"
BATCH_DEFINITION = "month"


class GateValidator:
    """One gate run's GX context: validates batches and writes their Data Docs under `docs_dir`."""

    def __init__(self, gate: GateDefinition, docs_dir: Path, run_name: str, run_time: datetime) -> None:
        self.gate = gate
        self.docs_dir = Path(docs_dir)
        self.run_id = RunIdentifier(run_name=run_name, run_time=run_time)
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            data_docs_sites={
                SITE_NAME: {
                    "class_name": "SiteBuilder",
                    "show_how_to_buttons": False,
                    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.docs_dir)},
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "site_section_builders": {"expectations": "None", "profiling": "None"},
                }
            },
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.datasource = self.context.data_sources.add_pandas(DATASOURCE)

    @property
    def index_path(self) -> Path:
        return self.docs_dir / "index.html"

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
        return validation_result
