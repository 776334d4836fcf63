"""Property-based tests: whatever bytes a meter file holds, the importer accounts for every row.

Generated files mix good rows with random junk, truncated lines, odd encodings, huge and special
numbers and floods of one duplicated timestamp. Never a traceback; stored + rejected + superseded =
read; and what is stored is exactly the last acceptable row of each half hour, never a rejected one.
"""
import math
import shutil
import tempfile
import zoneinfo
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumption.imports import import_data
from consumption.models import Customer, ImportRun, Reading, RejectedRow, SupersededReading
from consumption.parsing import MAX_WH, FileRejected, parse_customers, parse_readings

UTC = zoneinfo.ZoneInfo("UTC")
FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

half_hours = st.builds(
    lambda day, slot: f"2016-{7 + day // 31:02d}-{1 + day % 28:02d} {slot // 2:02d}:{30 * (slot % 2):02d}:00",
    st.integers(0, 150), st.integers(0, 47),
)
timestamps = st.one_of(
    half_hours,
    half_hours.map(lambda ts: ts.replace(" ", "T")),
    half_hours.map(lambda ts: ts + "+01:00"),
    half_hours.map(lambda ts: f" {ts} "),
    half_hours.map(lambda ts: ts[:10]),  # a date alone
    half_hours.map(lambda ts: ts[:14] + "15:00"),  # not on the half hour
    st.sampled_from(["2016-02-30 00:00:00", "2016-13-01 00:00:00", "2016-07-15 24:00:00", "0000-00-00 00:00:00"]),
    st.text(max_size=25),
)
values = st.one_of(
    st.integers(0, 5000).map(str),
    st.floats(0, 5000, allow_nan=False).map(lambda v: f"{v:.1f}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from([
        "", " 12 ", "-1", "-0", "nan", "NaN", "inf", "-inf", "1e308", "1e309", "999999999", "1000000000",
        "1000000000.5", "9" * 400, "1_000", "0x10", "１２", "12,5", "1.2.3", "\x00", "٣",
    ]),
    st.text(max_size=12),
)
good_lines = st.builds(lambda ts, wh: f"{ts},{wh}", half_hours, st.integers(0, 5000).map(str))
lines = st.one_of(
    good_lines,
    st.builds(lambda ts, wh: f"{ts},{wh}", timestamps, values),
    good_lines.flatmap(lambda line: st.integers(0, len(line)).map(lambda cut: line[:cut])),  # truncated
    st.builds(lambda line, extra: f"{line},{extra}", good_lines, values),  # a column too many
    st.text(max_size=60),
)


@st.composite
def meter_files(draw) -> bytes:
    body = draw(st.lists(lines, max_size=40))
    if draw(st.booleans()):  # a flood of one timestamp, with different values
        flood = draw(good_lines).split(",")[0]
        body += [f"{flood},{draw(values)}" for _ in range(draw(st.integers(2, 300)))]
        body = draw(st.permutations(body))
    header = draw(st.sampled_from(["datetime,consumption", "Datetime , Consumption", "time,wh", ""]))
    text = draw(st.sampled_from(["\n", "\r\n"])).join([header, *body]) + draw(st.sampled_from(["", "\n"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):  # a few stray bytes: an unfinished multi-byte character, a NUL
        position = draw(st.integers(0, len(data)))
        data = data[:position] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xe2\x82", b"\r"])) + data[position:]
    return data


anything = st.one_of(meter_files(), st.binary(max_size=300))


def split_lines(data: bytes) -> list[bytes]:
    """The file's lines, counted independently of the parser: a final newline opens no new line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def stored_if_accepted(lines: list[bytes], rejected: set[int], on_duplicate: str) -> dict[str, float]:
    """What must be stored given which lines were rejected: each half hour's last (or first) other row."""
    kept: dict[str, float] = {}
    for number, raw in enumerate(lines[1:], start=2):
        if number in rejected:
            continue
        moment_text, wh_text = raw.decode("utf-8").split(",")
        moment = datetime.fromisoformat(moment_text.strip())
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        key = moment.strftime("%Y-%m-%d %H:%M:%S")
        if on_duplicate == "last" or key not in kept:
            kept[key] = float(wh_text)
    return kept


@FUZZ
@given(data=anything, on_duplicate=st.sampled_from(["last", "first", "error"]))
def test_it_accounts_for_every_row_and_stores_only_acceptable_values(data, on_duplicate):
    lines = split_lines(data)
    try:
        parsed = parse_readings(data, on_duplicate, UTC)
    except FileRejected as problem:
        # A whole file refused: every line but the header is counted (with it, if the header was data).
        assert problem.rows_read in (len(lines), len(lines) - 1)
        assert len(problem.rows) <= max(problem.rows_read, 1)
        assert str(problem)
        return
    assert parsed.rows_read == len(lines) - 1
    assert len(parsed.rows) + len(parsed.rejected) + len(parsed.superseded) == parsed.rows_read
    assert len({r.line_number for r in parsed.rejected}) == len(parsed.rejected)
    for reading_time, wh in parsed.rows:
        assert math.isfinite(wh) and 0 <= wh <= MAX_WH
        assert datetime.strptime(reading_time, "%Y-%m-%d %H:%M:%S").minute in (0, 30)
    assert parsed.timestamps == sorted(set(parsed.timestamps))
    expected = stored_if_accepted(lines, {r.line_number for r in parsed.rejected}, on_duplicate)
    assert dict(parsed.rows) == expected
    for rejected in parsed.rejected:
        assert rejected.reason and "\x00" not in rejected.raw


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_a_customer_list_is_parsed_or_refused_with_a_reason(data):
    try:
        parsed = parse_customers(b"id,area,tariff\n" + data)
    except FileRejected as problem:
        assert str(problem)
        return
    assert len(parsed.customers) + len(parsed.rejected) == parsed.rows_read
    assert parsed.rows_read == len(split_lines(b"id,area,tariff\n" + data)) - 1


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(files=st.lists(anything, min_size=1, max_size=3))
def test_the_import_never_fails_and_accounts_for_every_row(files):
    Customer.objects.all().delete()
    ImportRun.objects.all().delete()
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "consumption").mkdir()
        customer_ids = [7000 + i for i in range(len(files))]
        (folder / "user_data.csv").write_text("id,area,tariff\n" + "".join(f"{i},a1,t1\n" for i in customer_ids))
        for customer_id, data in zip(customer_ids, files):
            (folder / "consumption" / f"{customer_id}.csv").write_bytes(data)
        report = import_data(folder)
    finally:
        shutil.rmtree(folder)
    assert report.readings_stored + report.rows_rejected + report.rows_superseded == report.rows_read
    assert report.rows_read == sum(map(rows_in, files))
    assert Reading.objects.count() == report.readings_stored
    assert SupersededReading.objects.count() == report.rows_superseded
    assert RejectedRow.objects.filter(file__customer_id__isnull=False).count() <= report.rows_rejected
    for wh in Reading.objects.values_list("wh", flat=True):
        assert math.isfinite(wh) and 0 <= wh <= MAX_WH
    customers = Customer.objects.all()
    assert sum(c.readings_count for c in customers) == report.readings_stored
    assert math.isclose(sum(c.total_wh for c in customers), sum(Reading.objects.values_list("wh", flat=True)),
                        rel_tol=1e-9, abs_tol=1e-6)


def rows_in(data: bytes) -> int:
    """Rows a file holds: every line after a recognised header, every line if the header is wrong."""
    lines = split_lines(data)
    if not lines:
        return 0
    try:
        header = tuple(cell.strip().lower() for cell in lines[0].decode("utf-8").split(","))
    except UnicodeDecodeError:
        return len(lines)
    return len(lines) - 1 if header == ("datetime", "consumption") else len(lines)


def reference_parse(rows: list[tuple[str, str]], on_duplicate: str) -> tuple[list, list]:
    """Kept (timestamp, wh, line) in time order and superseded (timestamp, lost wh, line, kept wh, kept line),
    worked out the slow, obvious way."""
    by_timestamp: dict[str, list] = {}
    for line, (timestamp, wh) in enumerate(rows, start=2):
        by_timestamp.setdefault(timestamp, []).append((float(wh), line))
    kept, superseded = [], []
    for timestamp in sorted(by_timestamp):
        rows_here = by_timestamp[timestamp]
        winner = rows_here[-1] if on_duplicate == "last" else rows_here[0]
        kept.append((timestamp, *winner))
        superseded += [(timestamp, wh, line, *winner) for wh, line in rows_here if (wh, line) != winner]
    return kept, sorted(superseded, key=lambda item: item[2])


@FUZZ
@given(
    rows=st.lists(st.tuples(half_hours, st.sampled_from(["1", "2.5", "0", "17"])), max_size=40),
    in_order=st.booleans(),
    on_duplicate=st.sampled_from(["last", "first"]),
    checked=st.booleans(),
)
def test_duplicates_are_resolved_alike_in_time_order_or_not(rows, in_order, on_duplicate, checked):
    """Files in time order take a pairwise fast path; others the general one; both agree with a plain
    reference, for clean files and files checked row by row (here: a leading zero makes them checked)."""
    if in_order:
        rows = sorted(rows, key=lambda row: row[0])  # stable: repeated timestamps keep their order
    text = "datetime,consumption\n" + "".join(f"{ts},{'0' if checked else ''}{wh}\n" for ts, wh in rows)
    parsed = parse_readings(text.encode(), on_duplicate)
    kept, superseded = reference_parse(rows, on_duplicate)
    assert list(zip(parsed.timestamps, parsed.values)) == [(ts, wh) for ts, wh, _ in kept]
    assert [
        (item.timestamp, item.superseded_wh, item.superseded_line, item.kept_wh, item.kept_line)
        for item in sorted(parsed.superseded, key=lambda item: item.superseded_line)
    ] == superseded
    if not checked:
        assert parsed.clean_lines == [f"{ts},{wh:g}" for ts, wh, _ in kept]


@pytest.mark.parametrize("on_duplicate", ["last", "first"])
def test_long_runs_of_one_timestamp_with_bad_rows_among_them(on_duplicate):
    """A stuck meter repeating one timestamp thousands of times, bad rows in between (so the file is
    checked row by row and line numbers have gaps): every loser names its run's kept row."""
    rows = [("2016-07-15 00:00:00", str(n)) for n in range(3000)]
    rows[1500] = ("2016-07-15 00:00:00", "not a number")
    rows += [("2016-07-15 00:30:00", str(n)) for n in range(5)] + [("2016-07-15 01:00:00", "7")]
    text = "datetime,consumption\n" + "".join(f"{ts},{wh}\n" for ts, wh in rows)
    parsed = parse_readings(text.encode(), on_duplicate)
    good = [(line, ts, wh) for line, (ts, wh) in enumerate(rows, start=2) if wh != "not a number"]
    kept = {}
    for line, ts, wh in good if on_duplicate == "last" else reversed(good):
        kept[ts] = (float(wh), line)
    assert list(zip(parsed.timestamps, parsed.values)) == [(ts, kept[ts][0]) for ts in sorted(kept)]
    assert len(parsed.superseded) == len(good) - 3
    for item in parsed.superseded:
        assert (item.kept_wh, item.kept_line) == kept[item.timestamp]
    assert [item.superseded_line for item in parsed.superseded] == sorted(
        line for line, ts, _ in good if line != kept[ts][1]
    )
    assert [row.line_number for row in parsed.rejected] == [1502]
