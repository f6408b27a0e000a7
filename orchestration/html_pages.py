"""The one way the project's HTML pages are rendered (report.html, the quality report): Jinja with autoescaping,
so a value from the portal (a unit's name) can never become markup, and strict undefined, so a missing value is
an error rather than an empty cell."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, StrictUndefined


def page_environment(package: str, **filters) -> Environment:
    """An environment for the templates of `package`'s `templates/` folder, with `filters`."""
    environment = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(filters)
    return environment
