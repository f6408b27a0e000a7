"""Monthly releases: write, audit and publish an immutable `releases/YYYY-MM/vN/`, and reproduce it.

No Dagster here: the asset and the CLI call these functions.
"""

from orchestration.publication.audit import audit_release, personal_data_columns
from orchestration.publication.errors import (
    PublicationError,
    ReleaseAuditError,
    ReleaseInputError,
    ReleaseRefusedError,
    ReleaseStateError,
)
from orchestration.publication.layout import current_version, existing_versions, release_dir
from orchestration.publication.manifest import CheckResult, read_manifest
from orchestration.publication.publisher import PublishedRelease, publish_release, recover
from orchestration.publication.reproduce import OutputMismatch, RebuildFn, ReproductionResult, reproduce
from orchestration.publication.spec import RELEASE_TABLES, TableSpec

__all__ = [
    "RELEASE_TABLES",
    "CheckResult",
    "OutputMismatch",
    "PublicationError",
    "PublishedRelease",
    "RebuildFn",
    "ReleaseAuditError",
    "ReleaseInputError",
    "ReleaseRefusedError",
    "ReleaseStateError",
    "ReproductionResult",
    "TableSpec",
    "audit_release",
    "current_version",
    "existing_versions",
    "personal_data_columns",
    "publish_release",
    "read_manifest",
    "recover",
    "release_dir",
    "reproduce",
]
