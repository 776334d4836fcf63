"""`manage.py import`: what lands in the database, what is recorded, and what is refused."""
import bisect
import csv
import io
import math
import statistics
import struct
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from consumption.blocks import block_key, block_start
from consumption.imports import Limits, import_data
from consumption.imports.prepare import read_ahead
from consumption.imports.rows import as_text
from consumption.packed import FLOAT64, INT32, unpack
from consumption.statistics import median_excluding
from consumption.models import (
    Alert,
    AreaProfileMedian,
    AreaSeriesMedian,
    Customer,
    DailyConsumption,
    DayBlock,
    GroupBucketTotals,
    GroupAlertBlocks,
    GroupDaily,
    GroupHalfHour,
    GroupPeakBlocks,
    GroupRunningTotals,
    ImportFile,
    ImportRun,
    ProfileMonth,
    Reading,
    RejectedRow,
    SupersededReading,
)

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = "id,area,tariff\n3000,a1,t1\n3001,a1,t2\n3002,a2,t1\n"
HEADER = "datetime,consumption\n"


def readings_csv(*rows: tuple[str, str]) -> str:
    return HEADER + "".join(f"{ts},{wh}\n" for ts, wh in rows)


def day(date: str, values: list[float]) -> list[tuple[str, str]]:
    return [(f"{date} {i // 2:02d}:{30 * (i % 2):02d}:00", str(v)) for i, v in enumerate(values)]


def unreadable(monkeypatch, names: set[str], error: BaseException = PermissionError(13, "Permission denied")) -> None:
    """Files of these names fail to be read, as a file the import's user may not read would (root,
    who runs the tests, reads any file)."""
    real = Path.read_bytes

    def read_bytes(path):
        if path.name in names:
            raise error
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


def run_import(folder: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import", "--data-dir", str(folder), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def readings() -> dict[tuple[int, str], float]:
    return {
        (r.customer_id, as_text(r.timestamp)): r.wh for r in Reading.objects.all()
    }


def database_state() -> dict:
    """Everything the import maintains, apart from its own log."""
    return {
        "customers": list(Customer.objects.values().order_by("id")),
        "readings": readings(),
        "daily": sorted(DailyConsumption.objects.values_list()),
        "group_daily": sorted(GroupDaily.objects.values_list()),
        "group_half_hour": stored_half_hours(),
        "profile_month": sorted((*row[:3], bytes(row[3]), bytes(row[4])) for row in ProfileMonth.objects.values_list()),
        "day_blocks": sorted(DayBlock.objects.values_list()),
        "area_series_medians": sorted(AreaSeriesMedian.objects.values_list()),
        "area_profile_medians": sorted(AreaProfileMedian.objects.values_list()),
        "group_bucket_totals": sorted((*row[:5], bytes(row[5])) for row in GroupBucketTotals.objects.values_list()),
        "group_running_totals": sorted(
            (*row[:3], *(bytes(value) for value in row[3:])) for row in GroupRunningTotals.objects.values_list()
        ),
        "group_peak_blocks": sorted((*row[:3], bytes(row[3])) for row in GroupPeakBlocks.objects.values_list()),
        "group_alert_blocks": sorted((*row[:5], bytes(row[5])) for row in GroupAlertBlocks.objects.values_list()),
    }


def stored_half_hours() -> dict[tuple[str, str, str], list]:
    """GroupHalfHour's arrays as [Wh, readings] per group and half hour with readings."""
    return {
        (row.area, row.tariff, f"{row.date.isoformat()} {slot // 2:02d}:{slot % 2 * 30:02d}:00"): [wh, readings]
        for row in GroupHalfHour.objects.all()
        for slot, (wh, readings) in enumerate(zip(unpack(FLOAT64, row.wh), unpack(INT32, row.readings)))
        if readings
    }


def assert_aggregates_match_readings() -> None:
    """Recompute every aggregate from the readings in plain Python and compare."""
    areas = {c.id: (c.area, c.tariff) for c in Customer.objects.all()}
    per_day: dict = defaultdict(list)
    group_half_hour: dict = defaultdict(lambda: [0.0, 0])
    for (customer_id, ts), wh in readings().items():
        per_day[(customer_id, ts[:10])].append((ts, wh))
        slot = group_half_hour[(*areas[customer_id], ts)]
        slot[0] += wh
        slot[1] += 1
    expected_daily = {}
    group_daily: dict = defaultdict(lambda: [0.0, 0, 0])
    for (customer_id, day_text), rows in per_day.items():
        values = sorted(wh for _, wh in rows)
        peak_wh = max(values)
        peak_at = min(ts for ts, wh in rows if wh == peak_wh)
        base = sum(values[:8]) / 8 if len(values) >= 8 else None
        expected_daily[(customer_id, day_text)] = (sum(values), len(values), peak_wh, peak_at, base)
        slot = group_daily[(*areas[customer_id], day_text)]
        slot[0] += sum(values)
        slot[1] += len(values)
        slot[2] += 1
    actual_daily = {
        (d.customer_id, d.date.isoformat()): (
            d.wh, d.readings, d.peak_wh, as_text(d.peak_at), d.base_wh
        )
        for d in DailyConsumption.objects.all()
    }
    assert actual_daily == expected_daily
    assert_group_columns_match(expected_daily, areas)
    assert_alert_blocks_match()
    assert {
        (g.area, g.tariff, g.date.isoformat()): [g.wh, g.readings, g.customers] for g in GroupDaily.objects.all()
    } == dict(group_daily)
    assert stored_half_hours() == dict(group_half_hour)
    profiles: dict = defaultdict(lambda: [0.0, 0])
    for (customer_id, ts), wh in readings().items():
        weekend = datetime.fromisoformat(ts).weekday() >= 5
        slot = profiles[(customer_id, ts[:8] + "01", weekend, int(ts[11:13]) * 2 + int(ts[14:16]) // 30)]
        slot[0] += wh
        slot[1] += 1
    assert {
        (p.customer_id, p.month.isoformat(), p.weekend, slot): [wh, count]
        for p in ProfileMonth.objects.all()
        for slot, (wh, count) in enumerate(zip(unpack(FLOAT64, p.wh), unpack(INT32, p.readings)))
        if count
    } == dict(profiles)
    for customer in Customer.objects.all():
        own = {ts: wh for (cid, ts), wh in readings().items() if cid == customer.id}
        assert customer.readings_count == len(own)
        assert customer.total_wh == sum(own.values())
        assert customer.days_with_data == len({ts[:10] for ts in own})
        bases = [base for (pk, _), (*_, base) in expected_daily.items() if pk == customer.id and base is not None]
        assert customer.base_wh == (pytest.approx(statistics.fmean(bases)) if bases else None), customer.id
    assert_day_blocks_match(expected_daily)
    assert_area_medians_match(expected_daily, profiles, areas)


def assert_group_columns_match(expected_daily: dict, areas: dict) -> None:
    """On each day with readings in an area, each of its groups holds every customer of the group with
    readings, in id order, with the sums of their days up to and including it (0 before their first);
    in each day block holding such a day, each one's largest reading in it (-inf for none)."""
    area_days: dict = defaultdict(set)
    own_days: dict = defaultdict(list)  # per customer: (day, [Wh, readings, days, base Wh, base days] to date)
    peaks: dict = defaultdict(dict)  # per customer: {block key: largest reading}
    for (customer_id, day), (wh, count, peak_wh, _, base) in sorted(expected_daily.items()):
        area_days[areas[customer_id][0]].add(day)
        before = own_days[customer_id][-1][1] if own_days[customer_id] else [0, 0, 0, 0, 0]
        added = (wh, count, 1, base or 0, base is not None)
        own_days[customer_id].append((day, [sum_ + value for sum_, value in zip(before, added)]))
        for level in range(11):
            key = block_key(level, block_start(date.fromisoformat(day), level))
            peaks[customer_id][key] = max(peaks[customer_id].get(key, -math.inf), peak_wh)
    day_lists = {customer_id: [row[0] for row in rows] for customer_id, rows in own_days.items()}
    expected_running, expected_peaks = {}, {}
    for area, tariff in set(areas.values()):
        members = sorted(pk for pk, group in areas.items() if group == (area, tariff) and pk in own_days)
        if not members:
            continue
        for day in sorted(area_days[area]):
            after = [bisect.bisect_right(day_lists[member], day) for member in members]
            up_to = [own_days[member][index - 1][1] if index else [0] * 5 for member, index in zip(members, after)]
            expected_running[(area, tariff, day)] = [members, *(list(column) for column in zip(*up_to))]
        blocks = {block_key(level, block_start(date.fromisoformat(day), level))
                  for day in area_days[area] for level in range(11)}
        for key in blocks:
            expected_peaks[(area, tariff, key)] = [peaks[member].get(key, -math.inf) for member in members]

    def unpacked(values, code: str) -> list:
        return list(struct.unpack(f"<{len(bytes(values)) // struct.calcsize(code)}{code}", bytes(values)))

    stored = {
        (row.area, row.tariff, row.date.isoformat()): [
            unpacked(row.customer_ids, "q"), unpacked(row.wh_to_date, "d"), unpacked(row.readings_to_date, "i"),
            unpacked(row.days_to_date, "i"), unpacked(row.base_wh_to_date, "d"), unpacked(row.base_days_to_date, "i"),
        ]
        for row in GroupRunningTotals.objects.all()
    }
    assert stored.keys() == expected_running.keys()
    for key, (members, wh, readings, days, base_wh, base_days) in expected_running.items():
        assert stored[key][0] == members, key
        assert stored[key][1] == pytest.approx(wh) and stored[key][4] == pytest.approx(base_wh), key
        assert [stored[key][2], stored[key][3], stored[key][5]] == [readings, days, base_days], key
    assert {
        (row.area, row.tariff, row.block): unpacked(row.peak_wh, "d") for row in GroupPeakBlocks.objects.all()
    } == expected_peaks


def assert_alert_blocks_match() -> None:
    """Each group's customers with alerts, in all and by kind, over periods around every alert's
    first and last day and over all of them, are those the alerts themselves give."""
    alerts = list(Alert.objects.select_related("customer"))
    days = sorted({day for alert in alerts for day in (alert.first_day, alert.last_day)})
    edges = sorted({day + timedelta(days=shift) for day in days for shift in (-1, 0, 1)})[:40]
    periods = [(first, last) for first in edges[::3] for last in edges if first <= last][:60]
    if days:
        periods.append((days[0], days[-1]))
    for area, tariff in Customer.objects.values_list("area", "tariff").distinct():
        for start, end in periods:
            by_kind: dict = defaultdict(set)
            for alert in alerts:
                if (alert.customer.area, alert.customer.tariff) == (area, tariff) and alert.first_day <= end \
                        and alert.last_day >= start:
                    by_kind[alert.kind].add(alert.customer_id)
            expected = (len(set().union(*by_kind.values())), {kind: len(found) for kind, found in by_kind.items()})
            found = GroupAlertBlocks.objects.for_groups([area], [tariff]).customers_by_kind(start, end)
            assert found == expected, (area, tariff, start, end)


def assert_day_blocks_match(expected_daily: dict) -> None:
    """Each block of 2**level days, counted from day 1 of year 1, sums the days in it."""
    blocks: dict = {}
    for (customer_id, day), (wh, count, peak_wh, peak_at, base) in sorted(expected_daily.items()):
        ordinal = date.fromisoformat(day).toordinal() - 1
        for level in range(11):
            first_day = date.fromordinal(ordinal // 2**level * 2**level + 1).isoformat()
            block = blocks.setdefault((customer_id, level, first_day), [0.0, 0, 0, peak_wh, peak_at, 0.0, 0])
            block[0] += wh
            block[1] += count
            block[2] += 1
            if peak_wh > block[3]:
                block[3:5] = [peak_wh, peak_at]
            if base is not None:
                block[5] += base
                block[6] += 1
    stored = {
        (b.customer_id, b.level, b.first_day.isoformat()): [b.wh, b.readings, b.days, b.peak_wh, as_text(b.peak_at),
                                                            b.base_wh, b.base_days]
        for b in DayBlock.objects.all()
    }
    assert stored.keys() == blocks.keys()
    for key, block in blocks.items():
        assert stored[key] == pytest.approx(block), key


def assert_area_medians_match(expected_daily: dict, profiles: dict, areas: dict) -> None:
    """Each window gives the median of the area's customers with data in its day, week, month or run of
    months, and that median with any one of them left out."""
    def check(window, values: list[float]) -> None:
        assert window.count == len(values)
        assert median_excluding(window) == pytest.approx(statistics.median(values))
        for index, value in enumerate(values):
            others = values[:index] + values[index + 1:]
            assert median_excluding(window, value) == pytest.approx(statistics.median(others) if others else None)

    series: dict = defaultdict(lambda: defaultdict(float))
    group_series: dict = defaultdict(lambda: defaultdict(float))
    for (customer_id, day), (wh, *_) in expected_daily.items():
        day = date.fromisoformat(day)
        for granularity, period in (("day", day), ("week", day - timedelta(days=day.weekday())),
                                    ("month", day.replace(day=1))):
            series[areas[customer_id][0], granularity, period][customer_id] += wh
            group_series[(*areas[customer_id], granularity, period)][customer_id] += wh
    stored = {(row.area, row.granularity, row.period): row.window for row in AreaSeriesMedian.objects.all()}
    assert stored.keys() == series.keys()
    for key, sums in series.items():
        check(stored[key], list(sums.values()))
    # The groups' sorted totals, whole, for the summary's spread.
    stored_totals = {
        (row.area, row.tariff, row.granularity, row.period): (row.count, list(struct.unpack(f"<{row.count}d", bytes(row.wh))))
        for row in GroupBucketTotals.objects.all()
    }
    assert stored_totals.keys() == group_series.keys()
    for key, sums in group_series.items():
        assert stored_totals[key][0] == len(sums)
        assert stored_totals[key][1] == pytest.approx(sorted(sums.values())), key
    months_of: dict = defaultdict(set)  # each area's months with readings
    for customer_id, month, _, _ in profiles:
        months_of[areas[customer_id][0]].add(month)
    means: dict = defaultdict(dict)
    for area, months in months_of.items():
        span = sorted(months)
        for first in range(len(span)):
            for last in range(first, len(span)):
                sums: dict = defaultdict(lambda: [0.0, 0])
                for (customer_id, month, weekend, slot), (wh, count) in profiles.items():
                    if areas[customer_id][0] == area and span[first] <= month <= span[last]:
                        sums[customer_id, weekend, slot][0] += wh
                        sums[customer_id, weekend, slot][1] += count
                for (customer_id, weekend, slot), (wh, count) in sums.items():
                    means[area, span[first], span[last], weekend, slot][customer_id] = wh / count
    stored = {
        (row.area, row.first_month.isoformat(), row.last_month.isoformat(), row.weekend, row.slot): row.window
        for row in AreaProfileMedian.objects.all()
    }
    assert stored.keys() == means.keys()
    for key, by_customer in means.items():
        check(stored[key], list(by_customer.values()))


def test_it_imports_customers_readings_and_aggregates(data_dir):
    folder = data_dir(
        CUSTOMERS,
        {
            "3000.csv": readings_csv(*day("2016-07-15", [float(i) for i in range(48)])),
            "3001.csv": readings_csv(*day("2016-07-15", [10.0] * 48), *day("2016-07-16", [20.0] * 4)),
        },
    )
    output = run_import(folder)
    assert Customer.objects.count() == 3
    assert Reading.objects.count() == 100
    assert Customer.objects.get(id=3002).readings_count == 0  # listed, but no file
    assert "2 file(s) imported" in output and "readings stored 100" in output
    assert "rows/s" in output
    day_row = DailyConsumption.objects.get(customer_id=3000)
    assert day_row.wh == sum(range(48))
    assert day_row.peak_wh == 47.0
    assert day_row.peak_at == datetime(2016, 7, 15, 23, 30)
    assert day_row.base_wh == sum(range(8)) / 8
    assert DailyConsumption.objects.get(customer_id=3001, date="2016-07-16").base_wh is None  # 4 readings
    assert_aggregates_match_readings()


def test_it_puts_a_reading_on_the_day_written_in_the_file(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 23:30:00", "5"))})
    run_import(folder)
    assert DailyConsumption.objects.get().date.isoformat() == "2016-07-15"


@pytest.mark.parametrize(
    "make_folder, message",
    [
        (lambda folder: folder / "missing", "data folder not found"),
        (lambda folder: write(folder, "notes.txt", ""), "user_data.csv: file not found"),
        (lambda folder: write(folder, "user_data.csv", "customer,area,tariff\n1,a,t\n"), "expected 'id,area,tariff'"),
        (lambda folder: write(folder, "user_data.csv", ""), "user_data.csv is empty"),
        (lambda folder: write(folder, "user_data.csv", b"\xff\xfe\x00i\x00d"), "expected 'id,area,tariff'"),
    ],
    ids=["no folder", "no user_data.csv", "wrong header", "empty user_data.csv", "not utf-8"],
)
def test_it_stops_on_a_fatal_problem_and_writes_nothing(data_dir, tmp_path, make_folder, message):
    run_import(data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 00:00:00", "1"))}))
    before = database_state()
    runs_before = ImportRun.objects.count()
    folder = make_folder(tmp_path / "other")
    with pytest.raises(CommandError, match=message):
        run_import(folder)
    assert database_state() == before
    assert ImportRun.objects.count() == runs_before


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return folder


def test_a_fatal_problem_exits_1_with_one_line_on_stderr(tmp_path):
    result = manage_py("import", "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "nowhere: data folder not found" in result.stderr


@pytest.mark.parametrize(
    "line, reason",
    [
        ("2016-07-15 01:00:00,", "consumption is empty"),
        ("2016-07-15 01:00:00,abc", "consumption is not a number"),
        ("2016-07-15 01:00:00,NaN", "consumption is not a finite number"),
        ("2016-07-15 01:00:00,inf", "consumption is not a finite number"),
        ("2016-07-15 01:00:00,-3", "consumption is negative"),
        ("2016-07-15 01:00:00,1e300", "implausibly large"),
        ("2016-07-15 01:00:00,1_000", "consumption is not a number"),
        ("yesterday,12", "timestamp is not a date and time"),
        ("2016-07-15,12", "timestamp is not a date and time"),
        ("2016-02-30 01:00:00,12", "timestamp is not a date and time"),
        ("2016-07-15 01:10:00,12", "not the start of a half hour"),
        ("2016-07-15 01:00:00,12,7", "expected 2 columns, found 3"),
        ("2016-07-15 01:00:00", "expected 2 columns, found 1"),
        ("", "blank line"),
    ],
)
def test_it_rejects_a_bad_row_and_imports_the_rows_around_it(data_dir, line, reason):
    content = HEADER + "2016-07-15 00:00:00,10\n" + line + "\n2016-07-15 00:30:00,20\n"
    run_import(data_dir(CUSTOMERS, {"3000.csv": content}))
    assert readings() == {(3000, "2016-07-15 00:00:00"): 10.0, (3000, "2016-07-15 00:30:00"): 20.0}
    rejected = RejectedRow.objects.get()
    assert (rejected.line_number, rejected.raw) == (3, line)
    assert reason in rejected.reason
    assert rejected.file.path.endswith("3000.csv")
    file = ImportFile.objects.get(customer_id=3000)
    assert (file.rows_read, file.readings_stored, file.rows_rejected) == (3, 2, 1)


def test_a_rejected_row_never_replaces_a_good_reading(data_dir):
    content = readings_csv(("2016-07-15 00:00:00", "10"), ("2016-07-15 00:00:00", "-1"), ("2016-07-15 00:00:00", "x"))
    run_import(data_dir(CUSTOMERS, {"3000.csv": content}))
    assert readings() == {(3000, "2016-07-15 00:00:00"): 10.0}
    assert SupersededReading.objects.count() == 0


def test_it_rejects_bad_customer_rows_and_keeps_the_good_ones(data_dir):
    customers = "id,area,tariff\n3000,a1,t1\nabc,a1,t1\n3001,a1\n3002,,t1\n3000,a2,t2\n3003,a2,t2\n"
    run_import(data_dir(customers))
    assert list(Customer.objects.values_list("id", "area", "tariff")) == [(3000, "a1", "t1"), (3003, "a2", "t2")]
    reasons = dict(RejectedRow.objects.values_list("line_number", "reason"))
    assert reasons == {
        3: "id is not a whole number",
        4: "expected 3 columns (id,area,tariff), found 2",
        5: "area or tariff is empty",
        6: "customer 3000 is already listed on line 2",
    }


def test_it_skips_and_reports_a_file_for_an_unknown_customer(data_dir):
    folder = data_dir(CUSTOMERS, {"9999.csv": readings_csv(("2016-07-15 00:00:00", "1")), "notes.txt": "hello"})
    output = run_import(folder)
    assert Reading.objects.count() == 0
    assert not Customer.objects.filter(id=9999).exists()
    statuses = dict(ImportFile.objects.exclude(customer_id=None).values_list("customer_id", "status"))
    assert statuses == {9999: "unknown_customer"}
    assert ImportFile.objects.get(path__endswith="notes.txt").status == "ignored"
    assert "customer 9999 is not in user_data.csv" in output
    assert "2 skipped" in output


def test_of_two_files_for_one_customer_the_plain_name_is_imported_and_the_other_recorded(data_dir):
    folder = data_dir(CUSTOMERS, {"03000.csv": readings_csv(("2016-07-15 00:00:00", "1")),
                                  "3000.csv": readings_csv(("2016-07-15 00:00:00", "2")),
                                  "003001.csv": readings_csv(("2016-07-15 00:00:00", "3")),
                                  "03001.csv": readings_csv(("2016-07-15 00:00:00", "4"))})
    report = import_data(folder)
    assert readings() == {(3000, "2016-07-15 00:00:00"): 2.0, (3001, "2016-07-15 00:00:00"): 3.0}
    skipped = {Path(path).name: (status, note) for path, status, note in
               ImportFile.objects.filter(status=ImportFile.Status.IGNORED).values_list("path", "status", "note")}
    assert skipped == {
        "03000.csv": ("ignored", "3000.csv is customer 3000's file; this one is skipped"),
        "03001.csv": ("ignored", "003001.csv is customer 3001's file; this one is skipped"),
    }
    assert report.files_skipped == 2 and report.files_imported == 2


def test_an_unreadable_consumption_folder_is_a_fatal_problem_and_writes_nothing(data_dir, monkeypatch):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 00:00:00", "1"))})
    before = database_state()
    real_iterdir = Path.iterdir

    def iterdir(path):
        if path.name == "consumption":
            raise PermissionError(13, "Permission denied")
        return real_iterdir(path)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    with pytest.raises(CommandError, match=r"consumption: cannot be read \(Permission denied\)"):
        run_import(folder)
    assert database_state() == before
    assert not ImportRun.objects.exists()


def test_it_reads_utf8_with_bom_and_crlf_line_ends(data_dir):
    customers = "\ufeffid,area,tariff\r\n3000,Zürich,t1\r\n".encode()
    content = "\ufeffdatetime,consumption\r\n2016-07-15 00:00:00,1.5\r\n2016-07-15 00:30:00,2\r\n".encode()
    run_import(data_dir(customers, {"3000.csv": content}))
    assert Customer.objects.get().area == "Zürich"
    assert readings() == {(3000, "2016-07-15 00:00:00"): 1.5, (3000, "2016-07-15 00:30:00"): 2.0}
    assert RejectedRow.objects.count() == 0


def test_it_rejects_lines_that_are_not_utf8_and_keeps_the_rest(data_dir):
    content = b"datetime,consumption\n2016-07-15 00:00:00,1\n\xff\xfe,2\n2016-07-15 00:30:00,2\n"
    run_import(data_dir(CUSTOMERS, {"3000.csv": content}))
    assert len(readings()) == 2
    assert RejectedRow.objects.get().reason == "not valid UTF-8 text"


DUPLICATED = readings_csv(
    ("2016-07-15 00:00:00", "10"), ("2016-07-15 00:30:00", "20"), ("2016-07-15 00:00:00", "11")
)


def test_the_later_duplicate_wins_by_default_and_the_earlier_is_recorded(data_dir):
    run_import(data_dir(CUSTOMERS, {"3000.csv": DUPLICATED}))
    assert readings()[(3000, "2016-07-15 00:00:00")] == 11.0
    record = SupersededReading.objects.get()
    assert (record.superseded_wh, record.superseded_line, record.kept_wh, record.kept_line) == (10.0, 2, 11.0, 4)
    assert record.timestamp == datetime(2016, 7, 15)
    assert_aggregates_match_readings()


def test_on_duplicate_first_keeps_the_earlier_row(data_dir):
    run_import(data_dir(CUSTOMERS, {"3000.csv": DUPLICATED}), "--on-duplicate", "first")
    assert readings()[(3000, "2016-07-15 00:00:00")] == 10.0
    record = SupersededReading.objects.get()
    assert (record.superseded_wh, record.superseded_line, record.kept_wh, record.kept_line) == (11.0, 4, 10.0, 2)


def test_on_duplicate_error_rejects_the_file_and_keeps_the_customers_data(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 00:00:00", "5"))})
    run_import(folder)
    before = database_state()
    (folder / "consumption" / "3000.csv").write_text(DUPLICATED)
    output = run_import(folder, "--on-duplicate", "error")
    assert database_state()["readings"] == before["readings"]
    assert database_state()["group_daily"] == before["group_daily"]
    record = ImportFile.objects.filter(customer_id=3000).latest("id")
    assert record.status == "rejected"
    assert "duplicate" in record.note and (record.rows_read, record.rows_rejected) == (3, 3)
    assert RejectedRow.objects.filter(file=record).get().line_number == 4
    assert "1 duplicate timestamp(s), first on line 4" in output


def test_a_file_with_the_wrong_header_is_rejected_and_recorded(data_dir):
    run_import(data_dir(CUSTOMERS, {"3000.csv": "2016-07-15 00:00:00,5\n2016-07-15 00:30:00,6\n"}))
    assert Reading.objects.count() == 0
    record = ImportFile.objects.get(customer_id=3000)
    assert (record.status, record.rows_read, record.rows_rejected) == ("rejected", 2, 2)
    assert RejectedRow.objects.get(file=record).raw == "2016-07-15 00:00:00,5"


def test_an_unchanged_run_rebuilds_no_median_window_or_bucket_totals(data_dir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48))})
    run_import(folder)
    with CaptureQueriesContext(connection) as queries:
        run_import(folder)
    touched = [query["sql"] for query in queries.captured_queries
               if "median" in query["sql"].lower() or "buckettotals" in query["sql"].lower()]
    assert touched == []


def test_running_twice_leaves_the_same_database_and_skips_unchanged_files(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": DUPLICATED, "3001.csv": readings_csv(*day("2016-07-15", [3.0] * 48))})
    run_import(folder)
    first = database_state()
    output = run_import(folder)
    assert database_state() == first
    assert "0 file(s) imported, 2 unchanged" in output
    assert set(ImportFile.objects.filter(run=ImportRun.objects.latest("id"), customer_id__isnull=False)
               .values_list("status", flat=True)) == {"unchanged"}


def test_a_changed_file_replaces_what_it_contributed(data_dir):
    folder = data_dir(
        CUSTOMERS,
        {
            "3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48), *day("2016-07-16", [2.0] * 48)),
            "3001.csv": readings_csv(*day("2016-07-15", [5.0] * 48)),
        },
    )
    run_import(folder)
    (folder / "consumption" / "3000.csv").write_text(readings_csv(*day("2016-07-16", [7.0] * 10)))
    run_import(folder)
    assert sorted(ts for cid, ts in readings() if cid == 3000) == [ts for ts, _ in day("2016-07-16", [7.0] * 10)]
    assert Customer.objects.get(id=3000).total_wh == 70.0
    assert GroupDaily.objects.get(area="a1", tariff="t1", date="2016-07-16").wh == 70.0
    assert not GroupDaily.objects.filter(area="a1", tariff="t1", date="2016-07-15").exists()
    assert_aggregates_match_readings()


def test_a_customer_who_changes_area_moves_their_readings_in_the_group_totals(data_dir):
    files = {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48))}
    run_import(data_dir(CUSTOMERS, files))
    run_import(data_dir(CUSTOMERS.replace("3000,a1,t1", "3000,a9,t9"), files))
    assert list(GroupDaily.objects.values_list("area", "tariff")) == [("a9", "t9")]
    assert_aggregates_match_readings()


def test_a_group_summed_again_after_it_was_closed_adds_up(data_dir):
    """3001 moves from b to a: its readings leave b while a is summed, after b was first summed.
    Then 3002's new file adds to b again: two sets of b's rows at the same timestamps are held
    for one write, and must be added together."""
    customers = "id,area,tariff\n3000,a,t\n3001,b,t\n3002,b,t\n"
    files = {f"{3000 + n}.csv": readings_csv(*day("2016-07-15", [n + 1.0] * 48)) for n in range(3)}
    run_import(data_dir(customers, files))
    files["3002.csv"] = readings_csv(*day("2016-07-15", [7.0] * 48))
    run_import(data_dir(customers.replace("3001,b,t", "3001,a,t"), files))
    assert_aggregates_match_readings()
    assert dict(GroupDaily.objects.values_list("area", "wh")) == {"a": 48 * (1.0 + 2.0), "b": 48 * 7.0}


def test_the_import_run_is_recorded(data_dir):
    run_import(data_dir(CUSTOMERS, {"3000.csv": DUPLICATED}))
    run = ImportRun.objects.get()
    assert run.status == "completed"
    assert (run.files_imported, run.rows_read, run.readings_stored, run.rows_superseded) == (1, 3, 2, 1)
    assert run.finished_at is not None


def test_verbosity_0_prints_nothing(data_dir):
    assert run_import(data_dir(CUSTOMERS), "-v", "0") == ""


def test_every_row_read_is_stored_rejected_or_superseded(data_dir):
    content = DUPLICATED + "junk\n2016-07-15 01:00:00,-1\n\n2016-07-15 01:30:00,4\n"
    report = import_data(data_dir(CUSTOMERS, {"3000.csv": content}))
    assert report.rows_read == 7
    assert report.readings_stored + report.rows_rejected + report.rows_superseded == report.rows_read


def test_real_data_imports_every_reading_and_supersedes_116_duplicates(smap_dir):
    report = import_data(smap_dir)
    assert Customer.objects.count() == 60
    assert report.rows_read == 489_716
    assert Reading.objects.count() == report.readings_stored == 489_600
    assert report.rows_superseded == SupersededReading.objects.count() == 116
    assert report.rows_rejected == 0

    # An independent computation with the csv module: the later of two duplicates wins.
    expected_customer: dict[int, float] = {}
    expected_daily: dict[tuple[int, str], float] = defaultdict(float)
    for path in sorted((smap_dir / "consumption").glob("*.csv")):
        with path.open(newline="") as handle:
            latest = {row["datetime"]: float(row["consumption"]) for row in csv.DictReader(handle)}
        expected_customer[int(path.stem)] = sum(latest.values())
        for ts, wh in latest.items():
            expected_daily[(int(path.stem), ts[:10])] += wh
    assert dict(Customer.objects.values_list("id", "total_wh")) == expected_customer
    actual_daily = {(d.customer_id, d.date.isoformat()): d.wh for d in DailyConsumption.objects.all()}
    assert actual_daily == dict(expected_daily)
    group_total = sum(GroupDaily.objects.values_list("wh", flat=True))
    assert group_total == sum(expected_customer.values())
    assert sum(readings for _, readings in stored_half_hours().values()) == 489_600


def test_rebuilding_the_aggregates_from_readings_gives_what_the_import_kept(data_dir):
    from consumption.aggregates import rebuild_aggregates

    folder = data_dir(CUSTOMERS, {"3000.csv": DUPLICATED, "3002.csv": readings_csv(*day("2016-07-15", [2.0] * 48))})
    run_import(folder)
    (folder / "consumption" / "3000.csv").write_text(readings_csv(*day("2016-07-16", [4.0] * 20)))
    run_import(folder)
    kept = database_state()
    rebuild_aggregates()
    assert database_state() == kept


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_it_draws_a_progress_bar_on_a_terminal_and_none_when_quiet(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": DUPLICATED, "3001.csv": DUPLICATED})
    terminal = Terminal()
    call_command("import", "--data-dir", str(folder), stdout=terminal, stderr=io.StringIO())
    assert "\r[###############---------------] 1/2 files" in terminal.getvalue()
    assert "2/2 files" in terminal.getvalue()
    quiet = Terminal()
    call_command("import", "--data-dir", str(folder), "-v", "0", stdout=quiet, stderr=io.StringIO())
    assert quiet.getvalue() == ""


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    """On a database file, as the dashboard and the import use it (the test database is in memory)."""
    import os
    import subprocess
    import sys

    manage = Path(__file__).resolve().parents[2] / "manage.py"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA busy_timeout').fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, str(manage), "shell", "-c", code], capture_output=True, text=True, env=env, check=True
    )
    mode, timeout_ms = result.stdout.split()[-2:]  # after the shell's own greeting
    assert mode == "wal"
    assert int(timeout_ms) >= 1000


AWKWARD_VALUES = ["0.1", "0", "999999999.999999", "123456.654321", "0.000001", "7"]


@pytest.mark.parametrize(
    "rows",
    [
        # clean: the file's own text goes to the database
        [(f"2016-07-15 {i // 2:02d}:{30 * (i % 2):02d}:00", wh) for i, wh in enumerate(AWKWARD_VALUES)],
        # clean, with a duplicate and out of time order
        [("2016-07-15 01:00:00", "0.3"), ("2016-07-15 00:00:00", "0.1"), ("2016-07-15 01:00:00", "0.7"),
         ("2016-07-15 00:30:00", "123456.654321")],
        # checked row by row: leading zeros, exponents, spaces, an offset timestamp
        [("2016-07-15 00:00:00", "007.25"), ("2016-07-15 00:30:00", "1e-5"), ("2016-07-15 01:00:00", " 2.5E2 "),
         ("2016-07-15T01:30:00", "0.1"), ("2016-07-15 02:00:00", "00")],
    ],
    ids=["clean", "clean-duplicate-unordered", "checked"],
)
def test_every_stored_value_is_exactly_the_float_in_the_file(data_dir, rows):
    run_import(data_dir(CUSTOMERS, {"3000.csv": readings_csv(*rows)}))
    expected = {}
    for timestamp, wh in rows:  # the later duplicate wins
        expected[(3000, timestamp.replace("T", " "))] = float(wh)
    assert readings() == expected
    # Exact equality, not approx: the database parsed the text itself and must agree bit for bit
    # with Python, which computed the aggregates (summing in time order).
    assert Customer.objects.get(id=3000).total_wh == sum(wh for _, wh in sorted(expected.items()))


def test_read_ahead_keeps_the_order_and_stays_one_call_ahead():
    started = []

    def work(number):
        started.append(number)
        return number * 10

    results = read_ahead(work, ((n,) for n in range(5)))
    assert next(results) == 0
    assert len(started) <= 2  # the one handed out and at most one prepared ahead
    assert list(results) == [10, 20, 30, 40]


def test_a_file_is_skipped_on_its_own_hash_and_recorded_with_the_hash_of_what_is_stored(data_dir):
    import hashlib

    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48))})
    import_data(folder)
    report = import_data(folder)
    assert (report.files_imported, report.files_unchanged) == (0, 1)
    changed = readings_csv(*day("2016-07-15", [2.0] * 48))
    (folder / "consumption" / "3000.csv").write_text(changed)
    assert import_data(folder).files_imported == 1
    sha256 = hashlib.sha256(changed.encode()).hexdigest()
    assert Customer.objects.get(pk=3000).source_sha256 == sha256
    assert ImportFile.objects.filter(customer_id=3000).latest("pk").sha256 == sha256
    assert import_data(folder).files_unchanged == 1
    assert import_data(folder, on_duplicate="first").files_imported == 1  # another policy: read again
    assert set(readings().values()) == {2.0}
    assert_aggregates_match_readings()


def test_a_failure_in_the_read_ahead_thread_fails_the_run_and_writes_nothing(data_dir, monkeypatch):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 00:00:00", "5"))})
    run_import(folder)
    before = database_state()
    (folder / "consumption" / "3000.csv").write_text(readings_csv(("2016-07-15 00:00:00", "6")))

    unreadable(monkeypatch, {"3000.csv"}, MemoryError("parser ran out of memory"))
    with pytest.raises(MemoryError):
        import_data(folder)
    assert database_state() == before
    assert ImportRun.objects.latest("pk").status == ImportRun.Status.FAILED


def test_clean_files_hand_their_own_text_to_the_database_and_others_are_formatted():
    from consumption.parsing import parse_readings

    clean = parse_readings(readings_csv(("2016-07-15 00:30:00", "2.5"), ("2016-07-15 00:00:00", "1"),
                                        ("2016-07-15 00:30:00", "3.5")).encode())
    assert clean.clean_lines == ["2016-07-15 00:00:00,1", "2016-07-15 00:30:00,3.5"]
    assert clean.lines() == clean.clean_lines
    checked = parse_readings(readings_csv(("2016-07-15 00:00:00", "01"), ("2016-07-15 00:30:00", "1e-5")).encode())
    assert checked.clean_lines is None  # a leading zero is not a JSON number: checked row by row
    assert checked.lines() == ["2016-07-15 00:00:00,1.0", "2016-07-15 00:30:00,1e-05"]


def manage_py(*args: str, database_url: str | None = None) -> "subprocess.CompletedProcess":
    """`manage.py *args` in a process of its own, on `database_url` or the environment's database."""
    import os
    import subprocess
    import sys

    manage = Path(__file__).resolve().parents[2] / "manage.py"
    env = {**os.environ, **({"DATABASE_URL": database_url} if database_url else {})}
    return subprocess.run([sys.executable, str(manage), *args], capture_output=True, text=True, env=env)


def test_an_unmigrated_database_is_a_fatal_problem_named_plainly(tmp_path, data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("2016-07-15 00:00:00", "5"))})
    database = tmp_path / "empty.sqlite3"
    result = manage_py("import", "--data-dir", str(folder), database_url=f"sqlite:///{database}")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "lacks the table(s)" in result.stderr and "manage.py migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_digits_of_other_scripts_and_unusual_iso_forms_are_stored_in_canonical_form(data_dir):
    rows = [
        ("2016-07-15 00:00:00", "1\u0662"),  # Arabic-Indic two: Python reads 12
        ("2016-07-15 0\u0661:00:00", "5"),  # an hour in Arabic-Indic digits: Python refuses it, so do we
        ("2016-W28-5 01:30:00", "6"),  # ISO week date: Friday of week 28 is 2016-07-15
        ("2016-07-15 023000", "7"),  # compact time
        ("0999-01-01T00:00:00", "8"),  # a year before 1000 keeps its four digits
    ]
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*rows)})
    import_data(folder)
    assert RejectedRow.objects.get().line_number == 3
    assert readings() == {
        (3000, "2016-07-15 00:00:00"): 12.0,
        (3000, "2016-07-15 01:30:00"): 6.0, (3000, "2016-07-15 02:30:00"): 7.0,
        (3000, "0999-01-01 00:00:00"): 8.0,
    }
    assert_aggregates_match_readings()


def test_a_timestamp_out_of_range_in_the_meter_zone_is_rejected_not_fatal(data_dir):
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(("0001-01-01 00:00:00+01:00", "5"),
                                                           ("2016-07-15 00:00:00", "6"))})
    report = import_data(folder)
    assert RejectedRow.objects.get().reason == "timestamp is out of range in the meter's time zone"
    assert report.readings_stored == 1


def test_a_file_named_with_other_scripts_digits_is_ignored_with_a_note(data_dir):
    folder = data_dir(CUSTOMERS, {"\u0663\u0660\u0660\u0660.csv": readings_csv(("2016-07-15 00:00:00", "5"))})
    report = import_data(folder)
    assert Reading.objects.count() == 0
    assert ImportFile.objects.get(status=ImportFile.Status.IGNORED).note == "not named <customer id>.csv"
    assert report.files_skipped == 1


def test_readings_keep_their_written_times_in_another_zone_across_a_changed_file(data_dir, settings):
    """TIME_ZONE names the meters' zone: times are stored and re-read as written, aggregates in step."""
    settings.TIME_ZONE = "America/New_York"
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48)),
                                  "3001.csv": readings_csv(*day("2016-07-15", [2.0] * 48))})
    import_data(folder)
    (folder / "consumption" / "3000.csv").write_text(readings_csv(*day("2016-07-15", [3.0] * 48)))
    import_data(folder)
    stored = readings()
    assert stored[(3000, "2016-07-15 23:30:00")] == 3.0 and stored[(3001, "2016-07-15 00:00:00")] == 2.0
    assert {ts[:10] for _, ts in stored} == {"2016-07-15"}
    assert_aggregates_match_readings()


def test_a_long_clean_file_is_validated_in_chunks_and_one_bad_line_anywhere_is_caught():
    from consumption.parsing import CLEAN_CHUNK_CHARS, parse_readings

    rows = [r for n in range(40) for r in day(f"2016-08-{1 + n % 31:02d}" if n < 31 else f"2016-09-{n - 30:02d}",
                                              [float(i) for i in range(48)])]
    clean = readings_csv(*rows)
    assert len(clean) > 2 * CLEAN_CHUNK_CHARS  # three chunks at least
    parsed = parse_readings(clean.encode())
    assert parsed.clean_lines is not None and len(parsed.values) == len(rows)
    for position in (5, len(rows) // 2, len(rows) - 1):  # first, a middle and the last chunk
        broken = list(rows)
        broken[position] = (broken[position][0], "007")  # legal, but not on the fast path
        parsed = parse_readings(readings_csv(*broken).encode())
        assert parsed.clean_lines is None and parsed.values[position] == 7.0


@pytest.mark.django_db
def test_on_sqlite_the_per_customer_tables_are_clustered_on_their_key():
    """Migration 0005: a later migration that rebuilds one of these tables must keep WITHOUT ROWID."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("WITHOUT ROWID is SQLite's; PostgreSQL keeps its tables as they are")
    with connection.cursor() as cursor:
        for model in (Reading, DailyConsumption, DayBlock):  # ProfileMonth's rows are too wide (0020)
            table = model._meta.db_table
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            create = cursor.fetchone()[0]
            assert create.rstrip().endswith("WITHOUT ROWID"), create
            # The key's columns first, in its order (see the migration for why), then the rest.
            cursor.execute(f'PRAGMA table_info("{table}")')
            columns = [row[1] for row in cursor.fetchall()]
            key = [field.column for field in model._meta.pk_fields]
            assert columns[: len(key)] == key
            assert set(columns) == {field.column for field in model._meta.local_concrete_fields}
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchall() == [("ok",)]


def test_the_clustering_migration_keeps_every_row_both_ways(tmp_path):
    """0004 -> 0005 -> 0004 on a database file holding an import (made with today's schema, then
    migrated back): the same rows each time."""
    import sqlite3

    folder = tmp_path / "data"
    (folder / "consumption").mkdir(parents=True)
    (folder / "user_data.csv").write_text("id,area,tariff\n3000,a1,Std\n")
    (folder / "consumption" / "3000.csv").write_text(
        readings_csv(*day("2016-07-15", [float(n) for n in range(48)]), ("2016-07-16 00:00:00", "2.5"))
    )
    database = tmp_path / "db.sqlite3"
    url = f"sqlite:///{database}"
    assert manage_py("migrate", "-v", "0", database_url=url).returncode == 0
    assert manage_py("import", "--data-dir", str(folder), "-v", "0", database_url=url).returncode == 0
    assert manage_py("migrate", "consumption", "0004", "-v", "0", database_url=url).returncode == 0

    def dump() -> dict:
        with sqlite3.connect(database) as db:
            return {
                table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in ("consumption_reading", "consumption_dailyconsumption", "consumption_profilemonth")
            }

    def reordered(rows: dict) -> dict:  # column order differs between layouts: compare as sets of values
        return {table: sorted((tuple(sorted(map(repr, row))) for row in values)) for table, values in rows.items()}

    before = dump()
    assert len(before["consumption_reading"]) == 49
    assert manage_py("migrate", "consumption", "0005", "-v", "0", database_url=url).returncode == 0
    assert reordered(dump()) == reordered(before)
    assert manage_py("migrate", "consumption", "0004", "-v", "0", database_url=url).returncode == 0
    assert reordered(dump()) == reordered(before)


@pytest.mark.parametrize("limits", [Limits(records=2), Limits(record_rows=1)])
def test_records_written_in_batches_each_belong_to_their_own_file(data_dir, limits):
    """Per-file records are written a batch at a time; a batch that fills up mid-run is flushed
    with every rejected and superseded row, and every customer's source, on the right file."""
    customers = "id,area,tariff\n" + "".join(f"{3000 + n},a1,t1\n" for n in range(5)) + "bad row\n"
    files = {
        f"{3000 + n}.csv": readings_csv(
            ("2016-07-15 00:00:00", str(n)), ("2016-07-15 00:00:00", str(n + 10)), ("2016-07-15 00:30:00", "x" * (n + 1))
        )
        for n in range(5)
    }
    files["9999.csv"] = readings_csv(("2016-07-15 00:00:00", "1"))
    files["notes.txt"] = "not a meter file"
    folder = data_dir(customers, files)
    import_data(folder, limits=limits)
    records = {record.path.rsplit("/", 1)[-1]: record for record in ImportFile.objects.all()}
    assert set(records) == {"user_data.csv", "9999.csv", "notes.txt", *(f"{3000 + n}.csv" for n in range(5))}
    assert [row.raw for row in records["user_data.csv"].rejected_rows.all()] == ["bad row"]
    for n in range(5):
        record = records[f"{3000 + n}.csv"]
        assert [row.raw for row in record.rejected_rows.all()] == [f"2016-07-15 00:30:00,{'x' * (n + 1)}"]
        [superseded] = record.superseded.all()
        assert (superseded.customer_id, superseded.superseded_wh, superseded.kept_wh) == (3000 + n, n, n + 10)
        customer = Customer.objects.get(pk=3000 + n)
        assert customer.source_file_id == record.pk
        assert (customer.readings_count, customer.total_wh) == (1, n + 10)
    import_data(folder, limits=limits)  # unchanged: skipped on the recorded hashes
    assert ImportRun.objects.latest("pk").files_unchanged == 5


def test_a_failure_after_readings_were_streamed_rolls_the_whole_run_back(data_dir, monkeypatch):
    """On PostgreSQL the readings' COPY is still open when the next file fails: it must end with
    that error so the transaction rolls back, and the error reaches the caller unchanged."""
    files = {name: readings_csv(("2016-07-15 00:00:00", "5")) for name in ("3000.csv", "3001.csv")}
    folder = data_dir("id,area,tariff\n3000,a1,t1\n3001,a1,t1\n", files)  # one group: one COPY for both
    run_import(folder)
    before = database_state()
    for name, wh in (("3000.csv", "6"), ("3001.csv", "7")):
        (folder / "consumption" / name).write_text(readings_csv(("2016-07-15 00:00:00", wh), ("2016-07-16 00:00:00", wh)))
    with monkeypatch.context() as patched:
        unreadable(patched, {"3001.csv"}, MemoryError("parser ran out of memory"))
        with pytest.raises(MemoryError, match="parser ran out of memory"):
            import_data(folder)
    assert database_state() == before
    assert ImportRun.objects.latest("pk").status == ImportRun.Status.FAILED
    import_data(folder)  # the connection is usable again, and the next run completes the work
    assert readings()[(3001, "2016-07-16 00:00:00")] == 7


def test_the_import_command_as_a_process_reports_logs_and_exits_with_its_status(tmp_path, data_dir):
    """The whole report reaches a pipe, the run is logged in the settings' format, SQLite's
    connection is closed (its WAL checkpointed and removed), and the exit status says what happened."""
    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*day("2016-07-15", [2.0] * 48))})
    database = tmp_path / "quick.sqlite3"
    database_url = f"sqlite:///{database}"
    assert manage_py("migrate", "-v", "0", database_url=database_url).returncode == 0
    result = manage_py("import", "--data-dir", str(folder), "-v", "2", database_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "readings stored 48" in result.stdout and result.stdout.endswith("\n")
    assert "level=INFO logger=consumption.import" in result.stderr and "import completed" in result.stderr
    assert not Path(f"{database}-wal").exists()  # the connection was closed, not abandoned
    unknown_option = manage_py("import", "--no-such-option", database_url=database_url)
    assert unknown_option.returncode == 2 and "unrecognized arguments" in unknown_option.stderr
    assert manage_py("import", "--data-dir", str(tmp_path / "nowhere"), database_url=database_url).returncode == 1


def test_the_import_command_honours_settings_and_pythonpath_options(tmp_path, data_dir):
    """--settings and --pythonpath choose the settings, and so the database, for `import` as they
    do for every other command."""
    import sqlite3

    folder = data_dir(CUSTOMERS, {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48))})
    settings_dir = tmp_path / "site"
    settings_dir.mkdir()
    database = tmp_path / "chosen.sqlite3"
    (settings_dir / "chosen_settings.py").write_text(
        "from config.settings import *  # noqa: F403\n"
        f"DATABASES = {{'default': {{**DATABASES['default'], 'ENGINE': 'django.db.backends.sqlite3', "
        f"'NAME': {str(database)!r}}}}}\n"
    )
    options = ["--settings", "chosen_settings", "--pythonpath", str(settings_dir)]
    default_database = tmp_path / "default.sqlite3"
    assert manage_py("migrate", "-v", "0", *options, database_url=f"sqlite:///{default_database}").returncode == 0
    result = manage_py("import", "--data-dir", str(folder), *options, database_url=f"sqlite:///{default_database}")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM consumption_reading").fetchone() == (48,)
    assert not default_database.exists()  # the environment's database was never opened


def test_a_moved_customer_whose_file_cannot_be_read_moves_their_kept_readings(data_dir, monkeypatch):
    """The readings stay as they were, and the group sums follow the customer to the new group."""
    folder = data_dir("id,area,tariff\n3000,a1,t1\n", {"3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48))})
    run_import(folder)
    (folder / "user_data.csv").write_text("id,area,tariff\n3000,a9,t9\n")
    unreadable(monkeypatch, {"3000.csv"})
    import_data(folder)
    assert ImportFile.objects.filter(status=ImportFile.Status.REJECTED, note__contains="cannot be read").exists()
    assert len(readings()) == 48
    assert set(GroupDaily.objects.values_list("area", "tariff")) == {("a9", "t9")}
    assert_aggregates_match_readings()


def test_records_of_a_folder_of_stray_files_are_written_in_batches(data_dir):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    files = {f"notes-{n}.txt": "x" for n in range(7)} | {f"{9000 + n}.csv": "x" for n in range(3)}
    folder = data_dir(CUSTOMERS, files)
    with CaptureQueriesContext(connection) as queries:
        import_data(folder, limits=Limits(records=3))
    table = ImportFile._meta.db_table
    inserts = [query for query in queries if query["sql"].startswith(f'INSERT INTO "{table}"')]
    assert len(inserts) == 4  # user_data.csv and ten stray files, three at a time
    assert ImportFile.objects.count() == 11


def test_every_kind_of_file_after_an_open_copy_in_one_group(data_dir, monkeypatch):
    """On PostgreSQL a group's readings stream through one open COPY: a changed file (old readings
    read back), a moved customer's rejected file (sums moved), an unreadable file and an unchanged
    moved one all need other statements after it; everything must still add up, on both databases."""
    customers = "".join(f"{3000 + n},{'g0' if n in (2, 4, 6) else 'g1'},t\n" for n in range(8))
    folder = data_dir("id,area,tariff\n" + customers,
                      {f"{3000 + n}.csv": readings_csv(*day("2016-07-15", [n + 1.0] * 48)) for n in range(8)})
    run_import(folder)
    (folder / "user_data.csv").write_text("id,area,tariff\n" + customers.replace("g0", "g1"))
    files = folder / "consumption"
    (files / "3000.csv").write_text(readings_csv(*day("2016-07-16", [9.0] * 48)))  # opens the COPY
    (files / "3001.csv").write_text(readings_csv(*day("2016-07-16", [8.0] * 48), ("2016-07-16 00:00:00", "1")))
    (files / "3002.csv").write_text("no header\n1,2\n")  # moved, file rejected
    (files / "3004.csv").write_text(readings_csv(*day("2016-07-17", [4.0] * 48)))  # moved and changed
    unreadable(monkeypatch, {"3007.csv"})
    report = import_data(folder)
    assert report.files_skipped == 2  # 3002 rejected, 3007 unreadable
    assert_aggregates_match_readings()
    assert set(GroupDaily.objects.values_list("area", flat=True)) == {"g1"}
    assert Customer.objects.get(pk=3007).readings_count == 48  # kept as it was
    assert RejectedRow.objects.get().file.path.endswith("3002.csv")
    superseded = SupersededReading.objects.get()
    assert superseded.file.path.endswith("3001.csv") and superseded.customer_id == 3001


def test_held_rows_and_records_written_mid_group_add_up(data_dir):
    # The group rows too are written as soon as each group is summed.
    limits = Limits(files=2, records=3, group_rows=1)
    customers = "id,area,tariff\n" + "".join(f"{3000 + n},g{n % 2},t\n" for n in range(9))
    folder = data_dir(customers, {
        f"{3000 + n}.csv": readings_csv(*day("2016-07-15", [n + 1.0] * 48), ("2016-07-15 00:00:00", "0"))
        for n in range(9)
    })
    import_data(folder, limits=limits)
    assert_aggregates_match_readings()
    for n in range(9):
        (folder / "consumption" / f"{3000 + n}.csv").write_text(readings_csv(*day("2016-07-16", [float(n)] * 47)))
    import_data(folder, limits=limits)
    assert_aggregates_match_readings()
    assert ImportFile.objects.filter(status=ImportFile.Status.IMPORTED).count() == 2 + 2 * 9
    assert SupersededReading.objects.count() == 9  # the first run's duplicates, each on its own file
    assert all(item.file.customer_id == item.customer_id for item in SupersededReading.objects.all())


def test_migration_0010_fills_the_bucket_totals_of_data_imported_before_it(data_dir):
    import importlib

    from django.apps import apps

    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48), *day("2016-08-02", [2.0] * 48)),
        "3001.csv": readings_csv(*day("2016-07-16", [3.0] * 48)),
    }))
    written = database_state()["group_bucket_totals"]
    GroupBucketTotals.objects.all().delete()
    importlib.import_module("consumption.migrations.0010_group_bucket_totals").fill_from_daily_rows(apps, None)
    assert database_state()["group_bucket_totals"] == written
    assert len(written) == 3 * 3  # each customer's group: its days, weeks and months


def test_migration_0015_fills_the_group_columns_of_data_imported_before_it(data_dir):
    import importlib

    from django.apps import apps

    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*day("2016-07-15", [1.0] * 48), *day("2016-08-02", [2.0] * 48)),
        "3001.csv": readings_csv(*day("2016-07-16", [3.0] * 48)),
    }))
    written = {name: rows for name, rows in database_state().items() if name.startswith("group_")}
    GroupRunningTotals.objects.all().delete()
    GroupPeakBlocks.objects.all().delete()
    importlib.import_module("consumption.migrations.0015_group_running_totals").fill_from_daily_rows(apps, None)
    assert {name: rows for name, rows in database_state().items() if name.startswith("group_")} == written
    assert_aggregates_match_readings()


def test_migration_0016_fills_the_alert_blocks_of_data_imported_before_it(data_dir):
    import importlib

    from django.apps import apps

    run_import(data_dir(CUSTOMERS, {  # a flat line for a week and more; a duplicate timestamp, superseded
        "3000.csv": readings_csv(*(row for n in range(11) for row in day(f"2016-07-{15 + n}", [1.0] * 48))),
        "3002.csv": readings_csv(*day("2016-07-15", [3.0] * 48), *day("2016-07-15", [4.0] * 48)),
    }))
    written = database_state()["group_alert_blocks"]
    assert {row[2] for row in written} >= {"flat_line", "superseded"}
    GroupAlertBlocks.objects.all().delete()
    importlib.import_module("consumption.migrations.0016_group_alert_blocks").fill_from_alerts(apps, None)
    assert database_state()["group_alert_blocks"] == written
    assert_alert_blocks_match()


def test_migration_0012_keys_the_day_blocks_imported_before_it_and_back(data_dir):
    from consumption.blocks import block_key

    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*day("2016-02-28", [1.0] * 48), *day("2016-03-01", [2.0] * 48)),
        "3001.csv": readings_csv(*day("2016-07-16", [3.0] * 48)),
    }))
    columns = ("customer_id", "level", "first_day", "wh", "readings", "days", "peak_wh", "peak_at", "base_wh",
               "base_days")
    written = sorted(DayBlock.objects.values_list(*columns))
    assert all(block == block_key(level, first_day) for block, level, first_day in
               DayBlock.objects.values_list("block", "level", "first_day"))

    try:
        before = migrate_to("0011_customer_history_rank").get_model("consumption", "DayBlock")
        assert sorted(before.objects.values_list(*columns)) == written
        after = migrate_to("0012_day_block_key").get_model("consumption", "DayBlock")
        assert sorted(after.objects.values_list(*columns)) == written
        assert all(block == block_key(level, first_day) for block, level, first_day in
                   after.objects.values_list("block", "level", "first_day"))
    finally:
        migrate_to_latest()
    assert sorted(DayBlock.objects.values_list(*columns)) == written


def test_migration_0013_fills_the_base_load_of_customers_imported_before_it(data_dir):
    import importlib

    from django.apps import apps

    night, day_values = [0.5] * 8 + [4.0] * 40, [2.0] * 48
    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*day("2016-07-15", night), *day("2016-07-16", day_values)),
        "3001.csv": readings_csv(("2016-07-15 00:00:00", "1.0")),  # no whole day: no base load
    }))
    kept = dict(Customer.objects.values_list("pk", "base_wh"))
    assert kept[3000] == pytest.approx((0.5 + 2.0) / 2) and kept[3001] is None
    Customer.objects.update(base_wh=None)
    importlib.import_module("consumption.migrations.0013_customer_base_load").fill_from_daily_rows(apps, None)
    assert dict(Customer.objects.values_list("pk", "base_wh")) == pytest.approx(kept)


def test_daily_running_totals_come_back_filled_and_clustered_and_go_again(data_dir):
    """0019 drops DailyConsumption's running totals in place; going back past it, and past 0014
    which added them, fills them from the days there are, on a clustered table each time."""
    run_import(data_dir(CUSTOMERS, {
        # A gap of a day, and a day of one reading: the running totals count days with readings.
        "3000.csv": readings_csv(*day("2016-07-15", [1.5] * 48), *day("2016-07-17", [2.0] * 48),
                                 ("2016-07-18 00:00:00", "0.25")),
        "3001.csv": readings_csv(*day("2016-07-16", [3.0] * 48)),
    }))
    days = ("customer_id", "date", "wh", "readings")
    running = ("wh_to_date", "readings_to_date", "days_to_date")
    written = sorted(DailyConsumption.objects.values_list(*days))
    expected = [(72.0, 48, 1), (168.0, 96, 2), (168.25, 97, 3), (144.0, 48, 1)]

    def running_totals(apps) -> list[tuple]:
        model = apps.get_model("consumption", "DailyConsumption")
        assert clustered_on_sqlite(model._meta.db_table)
        rows = sorted(model.objects.values_list(*days, *running))
        assert [row[:4] for row in rows] == written
        return [row[4:] for row in rows]

    try:
        assert running_totals(migrate_to("0018_summary_table_indexes")) == expected
        migrate_to("0013_customer_base_load")
        assert running_totals(migrate_to("0014_daily_running_totals")) == expected
    finally:
        migrate_to_latest()
    assert sorted(DailyConsumption.objects.values_list(*days)) == written
    assert {field.name for field in DailyConsumption._meta.fields}.isdisjoint(running)
    assert clustered_on_sqlite(DailyConsumption._meta.db_table)


def test_monthly_profiles_go_back_to_a_row_per_slot_on_a_clustered_table_and_come_again(data_dir):
    """0020 packs ProfileMonth's 48 slot rows of a month into one row; going back unpacks them, the
    slots without readings left out as they were, and the table is clustered again."""
    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(*day("2016-07-15", [1.5] * 48), ("2016-07-16 00:30:00", "0.25")),  # Fri, Sat
        "3001.csv": readings_csv(("2016-08-01 23:30:00", "3.0")),
    }))
    packed = sorted((*row[:3], bytes(row[3]), bytes(row[4])) for row in ProfileMonth.objects.values_list())
    try:
        apps = migrate_to("0019_remove_daily_running_totals")
        model = apps.get_model("consumption", "ProfileMonth")
        assert clustered_on_sqlite(model._meta.db_table)
        slots = sorted(model.objects.values_list("customer_id", "month", "weekend", "slot", "wh", "readings"))
        july, august = date(2016, 7, 1), date(2016, 8, 1)
        assert slots == sorted([(3000, july, False, slot, 1.5, 1) for slot in range(48)]
                               + [(3000, july, True, 1, 0.25, 1), (3001, august, False, 47, 3.0, 1)])
    finally:
        migrate_to_latest()
    assert sorted((*row[:3], bytes(row[3]), bytes(row[4])) for row in ProfileMonth.objects.values_list()) == packed
    assert len(packed) == 3


def test_group_half_hours_go_back_to_a_row_per_half_hour_and_come_again(data_dir):
    """0021 packs GroupHalfHour's half hours of a day into one row; going back unpacks those with readings."""
    run_import(data_dir(CUSTOMERS, {
        "3000.csv": readings_csv(("2016-07-15 00:00:00", "1.5"), ("2016-07-15 23:30:00", "2.5")),
        "3001.csv": readings_csv(("2016-07-15 00:00:00", "3.0"), ("2016-07-16 12:00:00", "4.0")),
    }))
    packed = stored_half_hours()
    try:
        apps = migrate_to("0020_profile_month_packed")
        model = apps.get_model("consumption", "GroupHalfHour")
        rows = model.objects.values_list("area", "tariff", "timestamp", "wh", "readings")
        assert {(area, tariff, as_text(ts)): [wh, readings] for area, tariff, ts, wh, readings in rows} == packed
    finally:
        migrate_to_latest()
    assert stored_half_hours() == packed == {
        ("a1", "t1", "2016-07-15 00:00:00"): [1.5, 1], ("a1", "t1", "2016-07-15 23:30:00"): [2.5, 1],
        ("a1", "t2", "2016-07-15 00:00:00"): [3.0, 1], ("a1", "t2", "2016-07-16 12:00:00"): [4.0, 1],
    }


def clustered_on_sqlite(table: str) -> bool:
    """Whether `table` is stored WITHOUT ROWID, as migration 0005 made it; always true elsewhere."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
        return cursor.fetchone()[0].rstrip().endswith("WITHOUT ROWID")


def migrate_to(name: str):
    """Migrate the consumption app to migration `name`, forwards or back; its apps at that state."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("consumption", name)])
    return executor.loader.project_state([("consumption", name)]).apps


def migrate_to_latest() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
