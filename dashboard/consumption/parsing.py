"""Parse customer lists and meter files into validated rows, keeping a record of every row turned away.

Pure functions over bytes: no database, so they are cheap to test and to fuzz.
"""
import hashlib
import math
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date as date_type
from datetime import datetime
from itertools import compress, islice
from operator import itemgetter, le, lt, ne, not_
from pathlib import Path

CUSTOMERS_HEADER = ("id", "area", "tariff")
READINGS_HEADER = ("datetime", "consumption")
DUPLICATE_POLICIES = ("last", "first", "error")
# No household or business meter uses a gigawatt-hour in half an hour: such a value is corruption.
MAX_WH = 1e9
MAX_RAW_CHARS = 2000
# ASCII digits only: int() and float() also read other scripts' digits, which no file name or
# database payload should carry through.
CUSTOMER_FILE_NAME = re.compile(r"^([0-9]{1,9})\.csv$")
CANONICAL_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


class FileRejected(Exception):
    """A whole file cannot be used; the message says why, `rows` are the lines that show it."""

    def __init__(self, message: str, rows_read: int = 0, rows: list["Rejected"] | None = None) -> None:
        super().__init__(message)
        self.rows_read = rows_read
        self.rows = rows or []


@dataclass
class Rejected:
    line_number: int
    raw: str
    reason: str


@dataclass
class Superseded:
    timestamp: str
    superseded_wh: float
    superseded_line: int
    kept_wh: float = 0.0
    kept_line: int = 0


@dataclass
class ParsedReadings:
    """Readings in time order: canonical 'YYYY-MM-DD HH:MM:SS' timestamps and Wh values, side by side."""

    timestamps: list[str]
    values: list[float]
    rows_read: int
    rejected: list[Rejected] = field(default_factory=list)
    superseded: list[Superseded] = field(default_factory=list)
    # The kept rows as the file wrote them ('YYYY-MM-DD HH:MM:SS,<wh>'), in the same order, when the
    # file was clean: a database can read that text as it is, with no formatting per row.
    clean_lines: list[str] | None = None

    @property
    def rows(self) -> list[tuple[str, float]]:
        return list(zip(self.timestamps, self.values))

    def lines(self) -> list[str]:
        """Each kept reading as 'timestamp,wh' text that parses back to exactly the same float."""
        if self.clean_lines is not None:
            return self.clean_lines
        return [f"{timestamp},{wh!r}" for timestamp, wh in zip(self.timestamps, self.values)]


@dataclass
class ParsedCustomers:
    customers: dict[int, tuple[str, str]]
    rows_read: int
    rejected: list[Rejected] = field(default_factory=list)


def clip(raw: str) -> str:
    """The raw text of a rejected row as it can be stored: bounded, and without NUL (PostgreSQL refuses it)."""
    shown = raw.replace("\x00", "\\x00")
    if len(shown) <= MAX_RAW_CHARS:
        return shown
    return shown[:MAX_RAW_CHARS] + f"… ({len(shown)} characters in all)"


def decode_lines(data: bytes) -> list[str | None]:
    """Split a file into lines; a line that is not UTF-8 comes back as None, the rest still count."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        lines: list[str | None] = []
        for chunk in data.split(b"\n"):
            try:
                lines.append(chunk.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(None)
    else:
        lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line opens no new one
    return [line[:-1] if line and line.endswith("\r") else line for line in lines]


def header_of(line: str | None) -> tuple[str, ...]:
    if line is None:
        return ()
    return tuple(cell.strip().lower() for cell in line.split(","))


def parse_customers(data: bytes, name: str = "user_data.csv") -> ParsedCustomers:
    """Parse `id,area,tariff`. A wrong header is fatal (FileRejected); a bad row is rejected."""
    lines = decode_lines(data)
    if not lines:
        raise FileRejected(f"{name} is empty; expected the header 'id,area,tariff'")
    if header_of(lines[0]) != CUSTOMERS_HEADER:
        shown = "undecodable bytes" if lines[0] is None else repr(clip(lines[0]))
        raise FileRejected(f"{name} has header {shown}; expected 'id,area,tariff'")
    result = ParsedCustomers(customers={}, rows_read=0)
    first_line: dict[int, int] = {}
    for line_number, line in enumerate(lines[1:], start=2):
        result.rows_read += 1
        reason = None
        if line is None:
            result.rejected.append(Rejected(line_number, "", "not valid UTF-8 text"))
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if len(cells) != 3:
            reason = f"expected 3 columns (id,area,tariff), found {len(cells)}"
        elif not cells[0].isascii() or not cells[0].isdigit() or len(cells[0]) > 9:
            reason = "id is not a whole number"
        elif not cells[1] or not cells[2]:
            reason = "area or tariff is empty"
        elif len(cells[1]) > 100 or len(cells[2]) > 100:
            reason = "area or tariff is longer than 100 characters"
        elif not (cells[1] + cells[2]).isprintable():
            reason = "area or tariff contains control characters"
        elif int(cells[0]) in first_line:
            reason = f"customer {int(cells[0])} is already listed on line {first_line[int(cells[0])]}"
        if reason:
            result.rejected.append(Rejected(line_number, clip(line), reason))
            continue
        customer_id = int(cells[0])
        first_line[customer_id] = line_number
        result.customers[customer_id] = (cells[1], cells[2])
    return result


def canonical_timestamp(raw: str, zone: zoneinfo.ZoneInfo | None) -> str:
    """The timestamp as 'YYYY-MM-DD HH:MM:SS' in the meter's zone; ValueError with a reason if unusable."""
    text = raw.strip()
    try:
        if len(text) <= 10:  # a date alone says nothing about which half hour
            raise ValueError
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("timestamp is not a date and time (expected YYYY-MM-DD HH:MM:SS)") from None
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(zone).replace(tzinfo=None)
        except OverflowError:
            raise ValueError("timestamp is out of range in the meter's time zone") from None
        text = ""
    if moment.minute % 30 or moment.second or moment.microsecond:
        raise ValueError("timestamp is not the start of a half hour")
    # The common case is already canonical, and is returned as it came rather than formatted again.
    # Other forms Python reads (week dates, compact times, other scripts' digits) are rewritten.
    if CANONICAL_TIMESTAMP.fullmatch(text):
        return text
    return timestamp_text(moment)


def timestamp_text(moment: datetime) -> str:
    """A naive whole-second datetime as 'YYYY-MM-DD HH:MM:SS', the year always in four digits
    (strftime drops its leading zeros)."""
    return moment.isoformat(" ", "seconds")


def parse_wh(raw: str) -> float:
    text = raw.strip()
    if not text:
        raise ValueError("consumption is empty")
    if "_" in text:
        raise ValueError("consumption is not a number")
    try:
        value = float(text)
    except ValueError:
        raise ValueError("consumption is not a number") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError("consumption is not a finite number")
    if value < 0:
        raise ValueError("consumption is negative")
    if value > MAX_WH:
        raise ValueError(f"consumption is implausibly large (over {MAX_WH:,.0f} Wh in half an hour)")
    return value


def prepare_file(
    path: Path, known_sha256: str | None, on_duplicate: str, zone_name: str
) -> tuple[str, "ParsedReadings | FileRejected | OSError | None"]:
    """Read, hash and parse one meter file: (sha256, outcome); outcome None when the hash is the known one.

    Touches no database.
    """
    try:
        data = path.read_bytes()
    except OSError as problem:
        return "", problem
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 == known_sha256:
        return sha256, None
    try:
        return sha256, parse_readings(data, on_duplicate, zoneinfo.ZoneInfo(zone_name))
    except FileRejected as problem:
        return sha256, problem


def parse_readings(
    data: bytes, on_duplicate: str = "last", zone: zoneinfo.ZoneInfo | None = None
) -> ParsedReadings:
    """Parse `datetime,consumption` rows; raises FileRejected for a file that cannot be used at all.

    Bad rows are rejected with their line number and reason; they never replace a good reading.
    Duplicate timestamps follow `on_duplicate`: the later row wins (last), the earlier (first),
    or the whole file is rejected (error). Every row read is stored, rejected or superseded.
    """
    if on_duplicate not in DUPLICATE_POLICIES:
        raise ValueError(f"unknown duplicate policy {on_duplicate!r}")
    clean = _clean_file(data)
    if clean is not None:
        body, timestamps, values = clean
        return _resolve_duplicates(body, timestamps, values, range(2, len(body) + 2), [], on_duplicate, clean=True)
    lines = decode_lines(data)
    if not lines:
        raise FileRejected("the file is empty; expected the header 'datetime,consumption'")
    if header_of(lines[0]) != READINGS_HEADER:
        shown = "undecodable bytes" if lines[0] is None else repr(clip(lines[0]))
        reason = f"header is {shown}; expected 'datetime,consumption'"
        # The first line may have been data: it is counted, and kept in the record.
        raise FileRejected(reason, len(lines), [Rejected(1, clip(lines[0] or ""), reason)])
    body = lines[1:]
    timestamps, values, line_numbers, rejected = _checked_rows(body, zone)
    return _resolve_duplicates(body, timestamps, values, line_numbers, rejected, on_duplicate)


# Rows in the canonical format, nothing else; a file made only of these skips the per-row checks.
# Values have no leading zeros, so each one is also a JSON number as it stands.
CLEAN_BODY = re.compile(
    r"(?:[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[03]0:00,"
    r"(?:0|[1-9][0-9]{0,8})(?:\.[0-9]{1,6})?\n)*"
)


def _clean_file(data: bytes) -> tuple[list[str], list[str], list[float]] | None:
    """Lines, timestamps and values of a file whose every row is well formed, or None to check row by row.

    Meter files are almost always clean: one regular expression over the whole text, run in C,
    replaces several Python calls per row.
    """
    try:
        text = data.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError:
        return None
    header, _, body = text.partition("\n")
    if header_of(header) != READINGS_HEADER:
        return None
    if body and not body.endswith("\n"):
        body += "\n"
    if not _all_clean(body):
        return None
    lines = body.split("\n")
    lines.pop()  # after the final newline
    try:  # the pattern lets 2016-02-30 through; each distinct date is checked once
        for date in {line[:10] for line in lines}:
            date_type.fromisoformat(date)
    except ValueError:
        return None
    # At most nine digits before the point: every value is finite, non-negative and under MAX_WH.
    return lines, list(map(TIMESTAMP_PART, lines)), list(map(float, map(VALUE_PART, lines)))


TIMESTAMP_PART = itemgetter(slice(0, 19))  # of a clean line: line[:19], mapped in C
VALUE_PART = itemgetter(slice(20, None))
CLEAN_CHUNK_CHARS = 16_384


def _all_clean(body: str) -> bool:
    """CLEAN_BODY over the whole text, a few hundred lines at a time: each call holds the GIL, and
    the importer's main thread, waiting on the database, gets it back between two chunks."""
    start, size = 0, len(body)
    while start < size:
        end = body.find("\n", start + CLEAN_CHUNK_CHARS) + 1 or size
        if CLEAN_BODY.fullmatch(body, start, end) is None:
            return False
        start = end
    return True


def _checked_rows(body: list[str | None], zone: zoneinfo.ZoneInfo | None):
    """Check every row; the good ones come back as parallel lists, the rest as Rejected records."""
    timestamps: list[str] = []
    values: list[float] = []
    line_numbers: list[int] = []
    rejected: list[Rejected] = []
    for line_number, line in enumerate(body, start=2):
        if line is None:
            rejected.append(Rejected(line_number, "", "not valid UTF-8 text"))
            continue
        cells = line.split(",")
        if len(cells) != 2:
            reason = "blank line" if not line.strip() else f"expected 2 columns, found {len(cells)}"
            rejected.append(Rejected(line_number, clip(line), reason))
            continue
        try:
            timestamps.append(canonical_timestamp(cells[0], zone))
        except ValueError as problem:
            rejected.append(Rejected(line_number, clip(line), str(problem)))
            continue
        try:
            values.append(parse_wh(cells[1]))
        except ValueError as problem:
            timestamps.pop()
            rejected.append(Rejected(line_number, clip(line), str(problem)))
            continue
        line_numbers.append(line_number)
    return timestamps, values, line_numbers, rejected


def _resolve_duplicates(body, timestamps, values, line_numbers, rejected, on_duplicate, clean=False) -> ParsedReadings:
    """Keep one value per timestamp under the policy; every other row is superseded, or rejects the file.

    `clean`: every line of `body` is a good row, in the same order as `timestamps` and `values`.
    """
    count = len(timestamps)
    if all(map(lt, timestamps, islice(timestamps, 1, None))):
        # Strictly increasing, as meter files almost always are: no duplicates and already in time
        # order, checked in one pass in C. The lists are this parse's own: no copies.
        return ParsedReadings(timestamps, values, len(body), rejected, [], body if clean else None)
    if on_duplicate != "error" and all(map(le, timestamps, islice(timestamps, 1, None))):
        return _adjacent_duplicates(body, timestamps, values, line_numbers, rejected, on_duplicate, clean)
    if on_duplicate == "last":
        winner = dict(zip(timestamps, range(count)))
    else:  # the earliest row of each timestamp: reversed, so that earlier indexes overwrite later ones
        winner = dict(zip(reversed(timestamps), range(count - 1, -1, -1)))
    rows_read = len(body)
    losers = [] if len(winner) == count else [i for i in range(count) if winner[timestamps[i]] != i]
    if losers and on_duplicate == "error":
        duplicates = [
            Rejected(
                line_numbers[i], clip(body[line_numbers[i] - 2] or ""),
                f"duplicate of line {line_numbers[winner[timestamps[i]]]}; --on-duplicate error",
            )
            for i in losers
        ]
        raise FileRejected(
            f"{len(duplicates)} duplicate timestamp(s), first on line {duplicates[0].line_number}; "
            "--on-duplicate error rejects the whole file",
            rows_read,
            duplicates,
        )
    superseded = []
    for i in losers:
        kept = winner[timestamps[i]]
        superseded.append(Superseded(timestamps[i], values[i], line_numbers[i], values[kept], line_numbers[kept]))
    kept = None  # indexes of the kept rows, in their final order; None: all of them, as they are
    if losers:
        kept = list(winner.values())
        timestamps = list(winner)
        values = list(map(values.__getitem__, kept))
    if timestamps != sorted(timestamps):  # meter files are in time order already: one cheap pass
        order = sorted(range(len(timestamps)), key=timestamps.__getitem__)
        timestamps = [timestamps[i] for i in order]
        values = [values[i] for i in order]
        kept = order if kept is None else [kept[i] for i in order]
    clean_lines = None
    if clean:
        clean_lines = list(body) if kept is None else list(map(body.__getitem__, kept))
    return ParsedReadings(list(timestamps), list(values), rows_read, rejected, superseded, clean_lines)


def _adjacent_duplicates(body, timestamps, values, line_numbers, rejected, on_duplicate, clean) -> ParsedReadings:
    """_resolve_duplicates() for timestamps in time order whose duplicates therefore sit side by side
    (a meter repeating a row): which rows to keep is worked out pairwise in C, not row by row."""
    following = islice(timestamps, 1, None)
    if on_duplicate == "last":  # a row is kept unless the next one has the same timestamp
        keep = [*map(ne, timestamps, following), True]
    else:  # first: a row is kept unless the previous one has the same timestamp
        keep = [True, *map(ne, following, timestamps)]
    losers = list(compress(range(len(timestamps)), map(not_, keep)))
    # The kept row of each loser's run, in one pass: a loser's neighbour towards the kept end is
    # either that kept row or another loser of the same run (linear even for a run of a million).
    kept_rows = []
    kept = 0
    for loser in reversed(losers) if on_duplicate == "last" else losers:
        neighbour = loser + 1 if on_duplicate == "last" else loser - 1
        if keep[neighbour]:
            kept = neighbour
        kept_rows.append(kept)
    if on_duplicate == "last":
        kept_rows.reverse()
    superseded = [
        Superseded(timestamps[loser], values[loser], line_numbers[loser], values[kept], line_numbers[kept])
        for loser, kept in zip(losers, kept_rows)
    ]
    return ParsedReadings(
        list(compress(timestamps, keep)), list(compress(values, keep)), len(body), rejected, superseded,
        list(compress(body, keep)) if clean else None,
    )
