"""The Output facade: stdout carries data only (table on a TTY, TSV when piped, JSON with
--json); every message goes to stderr. Rich is imported only when a table is drawn."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from telcli.output.views import Column, cell


def _to_json(item: Any) -> Any:
    return item.to_json() if hasattr(item, "to_json") else item


def _tsv_cell(text: str) -> str:
    # TSV must stay one record per line and one field per tab, whatever the data holds.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class Output:
    def __init__(
        self,
        *,
        json_mode: bool = False,
        stdout_isatty: bool = False,
        stderr_isatty: bool = False,
        color: bool = True,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.stdout_isatty = stdout_isatty
        self.stderr_isatty = stderr_isatty
        self.color = color
        self._stdout = stdout
        self._stderr = stderr

    # Streams are looked up at call time so CliRunner's captured streams are honoured.
    @property
    def out(self) -> TextIO:
        return self._stdout or sys.stdout

    @property
    def err(self) -> TextIO:
        return self._stderr or sys.stderr

    # --- data (stdout) -------------------------------------------------------------------

    def json(self, data: Any) -> None:
        self.out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        self.out.flush()

    def rows(self, items: Sequence[Any], columns: Sequence[Column], *, empty: str = "") -> None:
        """A list result: JSON array, Rich table (TTY) or header-less TSV (piped)."""
        if self.json_mode:
            self.json([_to_json(i) for i in items])
            return
        if not items:
            if empty and self.stderr_isatty:
                self.note(empty)
            return
        if self.stdout_isatty:
            self._table(items, columns)
        else:
            tsv = [c for c in columns if c.tsv]
            for item in items:
                self.out.write("\t".join(_tsv_cell(cell(c, item)) for c in tsv) + "\n")
            self.out.flush()

    def item(self, item: Any, columns: Sequence[Column]) -> None:
        """A single result: JSON object, table of one row (TTY) or one TSV line."""
        if self.json_mode:
            self.json(_to_json(item))
        else:
            self.rows([item], columns)

    def lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def _table(self, items: Sequence[Any], columns: Sequence[Column]) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.out, no_color=not self.color, highlight=False)
        table = Table(box=None, header_style="bold", pad_edge=False)
        for c in columns:
            style = c.style if self.color else None
            table.add_column(c.header, style=style, justify=c.justify)  # type: ignore[arg-type]
        for item in items:
            table.add_row(
                *(cell(c, item) for c in columns),
            )
        console.print(table)

    # --- messages (stderr) ---------------------------------------------------------------

    def _say(self, prefix: str, message: str) -> None:
        self.err.write(f"{prefix}{message}\n")
        self.err.flush()

    def note(self, message: str) -> None:
        self._say("", message)

    def success(self, message: str) -> None:
        self._say("✓ " if self.stderr_isatty else "ok: ", message)

    def warn(self, message: str) -> None:
        self._say("warning: ", message)

    def detail(self, pairs: Mapping[str, object]) -> None:
        """Key/value lines on stderr (e.g. what a confirmation is about)."""
        width = max((len(k) for k in pairs), default=0)
        for key, value in pairs.items():
            self._say("", f"  {key.ljust(width)}  {value}")
