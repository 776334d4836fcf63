"""CSV downloads, streamed: the first line leaves before the last row is read, and no whole file is
held in memory. Text a spreadsheet would run as a formula is defused on the way out."""
import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell):
    """A text cell a spreadsheet would run as a formula gets a leading apostrophe; numbers pass as they are."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, line: str) -> str:
        return line


def streamed_csv(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    return StreamingHttpResponse(
        (writer.writerow([csv_safe(cell) for cell in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
