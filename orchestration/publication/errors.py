"""Why a publication stopped. Every error names what failed and never carries a secret's value."""

from __future__ import annotations


class PublicationError(Exception):
    """Base class: the month was not published and every earlier release is untouched."""


class ReleaseInputError(PublicationError):
    """The warehouse, the month or the input files cannot make a release (missing table, file outside raw...)."""


class ReleaseRefusedError(PublicationError):
    """A blocking check failed, so nothing was written."""

    def __init__(self, failed_checks: list[str]):
        self.failed_checks = failed_checks
        super().__init__("blocking checks failed: " + ", ".join(failed_checks))


class ReleaseAuditError(PublicationError):
    """The staged release did not pass its audit; it was deleted before anything was published."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("release audit failed:\n- " + "\n- ".join(problems))


class ReleaseStateError(PublicationError):
    """The releases folder is in a state the publisher does not repair by itself (e.g. an unreadable CURRENT)."""
