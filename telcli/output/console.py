"""The Output facade: stdout carries data only (table on a TTY, TSV when piped, JSON with
--json); every message goes to stderr. Rich is imported only when a table is drawn."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from telcli.output.views import Column, cell


def runnable(text: str, prefix: str) -> str:
    """``text`` with every quoted command (`` `telcli numbers list` ``) given the global
    options in effect (``prefix``, e.g. ``telcli --sandbox --profile acme``), so a hint runs
    as printed."""
    if prefix == "telcli" or "`telcli" not in text:
        return text
    return re.sub(r"`telcli(?=[ `])", lambda _: "`" + prefix, text)


def _to_json(item: Any) -> Any:
    return item.to_json() if hasattr(item, "to_json") else item


def _tsv_cell(text: str) -> str:
    # TSV must stay one record per line and one field per tab, whatever the data holds.
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _fit(columns: Sequence[Column], widths: Sequence[int], width: int) -> list[int]:
    """Indexes of the columns to show in ``width`` cells: drop ranked columns (highest
    ``drop`` first) until every column fits at its natural width; what still does not fit
    wraps (the ``keep`` columns never do). When even wrapping cannot make room (each wrapped
    column needs a few cells), unranked columns go too, rightmost first."""

    def needed(shown: list[int], wrap: bool) -> int:
        cells = [widths[j] if columns[j].keep or not wrap else min(widths[j], 8) for j in shown]
        return sum(cells) + 2 * (len(shown) - 1)

    shown = list(range(len(columns)))
    ranked = sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop)
    unranked = [i for i, c in reversed(list(enumerate(columns))) if not c.drop and not c.keep]
    for i in ranked:
        if needed(shown, wrap=False) <= width:
            return shown
        shown.remove(i)
    for i in unranked:
        if needed(shown, wrap=True) <= width:
            break
        shown.remove(i)
    return shown


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
        command_prefix: str = "telcli",
    ) -> None:
        self.json_mode = json_mode
        self.stdout_isatty = stdout_isatty
        self.stderr_isatty = stderr_isatty
        self.color = color
        self._stdout = stdout
        self._stderr = stderr
        self.command_prefix = command_prefix  # `telcli` and the global options in effect

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
        """A list result: JSON array, Rich table (TTY) or header-less TSV (piped).

        A partial answer (a :class:`~telcli.models.Listing` with ``errors``) shows its rows;
        in JSON a second document follows the array, ``{"errors": [...]}``, so a script that
        parses the output whole fails rather than read "provider down" as "nothing there"."""
        errors = getattr(items, "errors", None)
        if self.json_mode:
            self.json([_to_json(i) for i in items])
            if errors:
                self.json({"errors": [_to_json(e) for e in errors]})
            return
        if not items:
            if empty and self.stderr_isatty and not errors:
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

    def stream(
        self,
        items: Iterable[Any],
        columns: Sequence[Column],
        *,
        fmt: str | None = None,
        empty: str = "",
    ) -> int:
        """A long list result written as it is read, never held whole (except for a TTY
        table): ``fmt`` is ``json`` (an array, as :meth:`rows` prints it), ``ndjson`` (one
        object a line), ``csv`` (a header of the JSON keys, then one row per item), ``tsv``
        or ``table``; None picks as :meth:`rows` does. Returns how many items were written.
        A reader that goes away (``| head``) ends the output quietly."""
        fmt = fmt or ("json" if self.json_mode else "table" if self.stdout_isatty else "tsv")
        if fmt == "table":
            collected = list(items)
            if collected:
                self._table(collected, columns)
            elif empty and self.stderr_isatty:
                self.note(empty)
            return len(collected)
        writer = {"json": _json_array, "ndjson": _ndjson, "csv": _csv, "tsv": _tsv}[fmt]
        count = 0

        def counted() -> Iterator[Any]:
            nonlocal count
            for item in items:
                count += 1
                yield item

        try:
            for chunk in writer(counted(), columns):
                self.out.write(chunk)
            self.out.flush()
        except BrokenPipeError:
            quiet_stdout()
        if not count and empty and self.stderr_isatty and fmt == "tsv":
            self.note(empty)
        return count

    def lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def _table(self, items: Sequence[Any], columns: Sequence[Column]) -> None:
        from rich.cells import cell_len
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.out, no_color=not self.color, highlight=False)
        columns = [c for c in columns if c.table]
        rows = [[cell(c, item) for c in columns] for item in items]
        widths = [
            max([cell_len(c.header), *(cell_len(r[i]) for r in rows)])
            for i, c in enumerate(columns)
        ]
        shown = _fit(columns, widths, console.width)
        # Numbers and IDs are never cut: if even they do not fit, the table runs wider than
        # the terminal (which wraps the line) rather than shortening a value.
        need = sum(widths[i] for i in shown if columns[i].keep) + 2 * (len(shown) - 1)
        if need > console.width:
            console = Console(file=self.out, no_color=not self.color, highlight=False, width=need)
        table = Table(box=None, header_style="bold", pad_edge=False)
        for i in shown:
            c = columns[i]
            table.add_column(
                c.header,
                style=c.style if self.color else None,
                justify=c.justify,  # type: ignore[arg-type]
                no_wrap=c.keep,
                min_width=widths[i] if c.keep else None,
                overflow="fold",
            )
        for row in rows:
            table.add_row(*(row[i] for i in shown))
        console.print(table)

    # --- messages (stderr) ---------------------------------------------------------------

    def _say(self, prefix: str, message: str) -> None:
        message = runnable(message, self.command_prefix)
        self.err.write(f"{prefix}{message}\n")
        self.err.flush()

    def note(self, message: str) -> None:
        self._say("", message)

    def success(self, message: str) -> None:
        self._say("✓ " if self.stderr_isatty else "ok: ", message)

    def failure(self, message: str) -> None:
        """One item of several failed (the command's exit code says the rest): ``✗`` on a
        terminal, ``error:`` for scripts, matching ``success``'s ``✓``/``ok:``."""
        self._say("✗ " if self.stderr_isatty else "error: ", message)

    def warn(self, message: str) -> None:
        self._say("warning: ", message)

    def detail(self, pairs: Mapping[str, object]) -> None:
        """Key/value lines on stderr (e.g. what a confirmation is about)."""
        width = max((len(k) for k in pairs), default=0)
        for key, value in pairs.items():
            self._say("", f"  {key.ljust(width)}  {value}")


# --- streamed formats (Output.stream) ---------------------------------------------------


def _json_array(items: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    # Byte for byte what Output.json([...]) prints (indent 2), one element at a time.
    first = True
    for item in items:
        text = json.dumps(_to_json(item), indent=2, ensure_ascii=False).replace("\n", "\n  ")
        yield ("[\n  " if first else ",\n  ") + text
        first = False
    yield "[]\n" if first else "\n]\n"


def _ndjson(items: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    for item in items:
        yield json.dumps(_to_json(item), ensure_ascii=False) + "\n"


def _csv(items: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    """RFC 4180 CSV: the JSON keys as the header, values as JSON has them (null empty)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    keys: list[str] | None = None
    for item in items:
        record = _to_json(item)
        if keys is None:
            keys = list(record)
            writer.writerow(keys)
        writer.writerow(_csv_cell(record.get(k)) for k in keys)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _tsv(items: Iterable[Any], columns: Sequence[Column]) -> Iterator[str]:
    tsv = [c for c in columns if c.tsv]
    for item in items:
        yield "\t".join(_tsv_cell(cell(c, item)) for c in tsv) + "\n"


def stdout_reader_gone() -> bool:
    """Whether stdout is a pipe whose reader has closed it (`telcli … | head -1`): the write
    end then polls POLLERR. False for anything else, so a broken socket is never taken for it."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test runner's stream)
        return False


def quiet_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush cannot raise
    again (the recipe in the `signal` module's documentation)."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (a test runner's stream)
        pass
