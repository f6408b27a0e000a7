"""Whether a release opens offline: the files a browser renders (HTML, SVG, CSS, JavaScript) load nothing from the
network.

A release is read from its folder, often on a machine without network (the reviewer's, a copy on a USB stick):
a stylesheet, script, font or image from a CDN leaves a page unstyled or empty there, as GX's Data Docs were. The
audit refuses such a release. What counts is what a browser fetches by itself: `src`, `srcset`, `poster`, `data`,
a `<link>` that loads (stylesheet, icon, preload...), `<base href>`, SVG's `href` on `use`/`image`/`feImage`,
CSS `url()` and `@import`, and a remote URL in a script. A link the reader may follow (`<a href>`), an XML
namespace, a relative path and a `data:` URI load nothing remote.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path

from orchestration.publication.files import list_files

RENDERED = {".html", ".htm", ".xhtml", ".svg", ".css", ".js", ".mjs"}
# <link rel=...> values that do not make the browser fetch anything
_NON_LOADING_RELS = {"canonical", "alternate", "author", "license", "help", "bookmark", "next", "prev", "search"}
_LOADING_ATTRIBUTES = {"src", "srcset", "poster", "data", "background"}
_HREF_LOADS_ON = {"base", "use", "image", "feimage", "script"}
_REMOTE = re.compile(r"^\s*(?:(?:https?|ftp|wss?):)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"""['"`]((?:(?:https?|wss?):)?//[^'"`\s]+)""", re.IGNORECASE)


def is_remote(url: str) -> bool:
    """A URL the browser would fetch from another machine (a scheme's or protocol-relative `//host/...`)."""
    return bool(_REMOTE.match(url))


def css_loads(css: str) -> list[str]:
    """The remote URLs a stylesheet loads (url() and @import)."""
    found = []
    for match in _CSS_URL.finditer(css):
        url = match.group(2) or match.group(4) or ""
        if is_remote(url):
            found.append(url.strip())
    return found


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loads: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        values = {name.lower(): value or "" for name, value in attrs}
        for name, value in values.items():
            if name in _LOADING_ATTRIBUTES:
                urls = [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
                self.loads += [f"<{tag} {name}> {url}" for url in urls if is_remote(url)]
            elif name in ("href", "xlink:href") and is_remote(value):
                rels = set(values.get("rel", "").lower().split())
                if tag in _HREF_LOADS_ON or (tag == "link" and not rels <= _NON_LOADING_RELS):
                    self.loads.append(f"<{tag} {name}> {value.strip()}")
            elif name == "style":
                self.loads += [f"<{tag} style> {url}" for url in css_loads(value)]
        self._in = tag if tag in ("style", "script") else None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in = None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.loads += [f"<style> {url}" for url in css_loads(data)]
        elif self._in == "script":
            self.loads += [f"<script> {m.group(1)}" for m in _SCRIPT_URL.finditer(data)]


def html_loads(text: str) -> list[str]:
    """What an HTML or SVG document loads from the network, each as '<tag attribute> URL'."""
    parser = _Loads()
    parser.feed(text)
    parser.close()
    return parser.loads


def network_loads(folder: Path, secrets: Sequence[str] = ()) -> list[str]:
    """Problems: each rendered file of `folder` that loads something from the network, naming file and URL (a
    secret's value in a URL is not repeated)."""
    problems = []
    for rel in list_files(folder):
        suffix = Path(rel).suffix.lower()
        if suffix not in RENDERED:
            continue
        text = (folder / rel).read_text(encoding="utf-8", errors="replace")
        if suffix == ".css":
            loads = [f"url() {url}" for url in css_loads(text)]
        elif suffix in (".js", ".mjs"):
            loads = [f"script {m.group(1)}" for m in _SCRIPT_URL.finditer(text)]
        else:
            loads = html_loads(text)
        for load in loads:
            for secret in secrets:
                load = load.replace(secret, "[PORTAL_TOKEN]")
            problems.append(f"{rel}: loads {load} from the network; a release must open offline")
    return problems
