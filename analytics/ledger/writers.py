"""Writing ledger rows to CSV and Excel, batch by batch, in constant memory.

Both take an iterable of row batches (``selectors.ledger_batches``) and never hold more
than one batch. Excel is written by XlsxWriter in ``constant_memory`` mode: each row goes
to a temporary file as soon as it is complete.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import IO

import xlsxwriter

from .columns import COLUMNS, MOMENT, MONEY, NUMBER, RowContext, as_text, headers, local

# Excel reads a UTF-8 CSV correctly only when it starts with a byte order mark.
BOM = "\ufeff"
Progress = Callable[[int], None]


class _Line:
    """A file-like object for ``csv.writer`` that hands back what was written."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(batches: Iterable[list], ctx: RowContext,
               progress: Progress | None = None) -> Iterator[str]:
    """The CSV text, one chunk per batch, header first."""
    writer = csv.writer(_Line())
    yield BOM + writer.writerow(headers())
    written = 0
    for batch in batches:
        lines = [writer.writerow([as_text(column, column.value(row, ctx))
                                  for column in COLUMNS]) for row in batch]
        written += len(batch)
        if progress is not None:
            progress(written)
        yield "".join(lines)


def write_csv(target: IO[str], batches: Iterable[list], ctx: RowContext,
              progress: Progress | None = None) -> int:
    counter = _Counter(progress)
    for chunk in csv_chunks(batches, ctx, counter):
        target.write(chunk)
    return counter.rows


class _Counter:
    def __init__(self, progress: Progress | None) -> None:
        self.rows = 0
        self.progress = progress

    def __call__(self, rows: int) -> None:
        self.rows = rows
        if self.progress is not None:
            self.progress(rows)


def write_xlsx(target: str | IO[bytes], batches: Iterable[list], ctx: RowContext,
               progress: Progress | None = None, sheet_name: str = "Ledger") -> int:
    """Write an .xlsx workbook with one sheet: header row, then one row per case."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        money = workbook.add_format({"num_format": "0.00"})
        for col, header in enumerate(headers()):
            sheet.write_string(0, col, header, bold)
            sheet.set_column(col, col, 18 if COLUMNS[col].type == MOMENT else 14)
        sheet.freeze_panes(1, 0)
        row_index = 0
        for batch in batches:
            for row in batch:
                row_index += 1
                for col, column in enumerate(COLUMNS):
                    _write_cell(sheet, row_index, col, column, column.value(row, ctx),
                                moment, money)
            if progress is not None:
                progress(row_index)
        return row_index
    finally:
        workbook.close()


def _write_cell(sheet, row: int, col: int, column, value, moment, money) -> None:
    if value is None or value == "":
        return
    if column.type == MOMENT and isinstance(value, datetime):
        sheet.write_datetime(row, col, local(value).replace(tzinfo=None), moment)
    elif column.type == MONEY and isinstance(value, Decimal):
        sheet.write_number(row, col, float(value), money)
    elif column.type == NUMBER and isinstance(value, int):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))
