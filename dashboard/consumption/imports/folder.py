"""What a data folder holds: its customers, each customer's file, and the entries that are not imported."""
import hashlib
from pathlib import Path
from typing import NamedTuple

from ..models import ImportFile
from ..parsing import CUSTOMER_FILE_NAME, FileRejected, ParsedCustomers, parse_customers


class FatalImportError(Exception):
    """A problem that stops the run before anything is written; the message names the file."""


class CustomerFile(NamedTuple):
    customer_id: int
    path: Path


class SkippedEntry(NamedTuple):
    """An entry of the consumption folder that is not imported, and why."""

    path: Path
    status: str  # an ImportFile.Status
    note: str
    customer_id: int | None


class Folder(NamedTuple):
    customers_path: Path
    customers: ParsedCustomers
    customers_sha256: str
    consumption_path: Path
    consumption_found: bool
    files: list[CustomerFile]  # grouped by area and tariff (see read_folder)
    skipped: list[SkippedEntry]


def read_folder(data_dir: Path) -> Folder:
    """The folder's customers and files; FatalImportError if it cannot be read at all.

    Files come grouped by area and tariff, so that one group's sums are pending at a time.
    """
    if not data_dir.is_dir():
        raise FatalImportError(f"{data_dir}: data folder not found")
    customers_path = data_dir / "user_data.csv"
    data = _read_bytes(customers_path)
    try:
        customers = parse_customers(data, customers_path.name)
    except FileRejected as problem:
        raise FatalImportError(f"{customers_path}: {problem}") from None
    consumption_path = data_dir / "consumption"
    entries = _entries(consumption_path)
    files, skipped = _customer_files(entries or [], customers.customers)
    return Folder(
        customers_path=customers_path, customers=customers, customers_sha256=hashlib.sha256(data).hexdigest(),
        consumption_path=consumption_path, consumption_found=entries is not None, files=files, skipped=skipped,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FatalImportError(f"{path}: file not found") from None
    except OSError as problem:
        raise FatalImportError(f"{path}: cannot be read ({problem.strerror})") from None


def _entries(folder: Path) -> list[Path] | None:
    """The folder's entries in name order; None if there is no such folder."""
    if not folder.is_dir():
        return None
    try:
        return sorted(folder.iterdir())
    except OSError as problem:
        raise FatalImportError(f"{folder}: cannot be read ({problem.strerror})") from None


def _customer_files(
    entries: list[Path], customers: dict[int, tuple[str, str]]
) -> tuple[list[CustomerFile], list[SkippedEntry]]:
    """Of two names for one customer (3000.csv, 03000.csv) the plain one is imported."""
    by_customer: dict[int, Path] = {}
    skipped: list[SkippedEntry] = []
    for path in entries:
        match = CUSTOMER_FILE_NAME.match(path.name)
        try:
            customer_id = int(match[1]) if match is not None and path.is_file() else None
        except OSError as problem:
            raise FatalImportError(f"{path}: cannot be read ({problem.strerror})") from None
        if customer_id is None:
            skipped.append(SkippedEntry(path, ImportFile.Status.IGNORED, "not named <customer id>.csv", None))
        elif customer_id not in customers:
            skipped.append(SkippedEntry(path, ImportFile.Status.UNKNOWN_CUSTOMER,
                                        f"customer {customer_id} is not in user_data.csv; file skipped", customer_id))
        elif customer_id in by_customer:
            kept = by_customer[customer_id]
            if path.name == f"{customer_id}.csv":
                by_customer[customer_id], path = path, kept
            skipped.append(SkippedEntry(
                path, ImportFile.Status.IGNORED,
                f"{by_customer[customer_id].name} is customer {customer_id}'s file; this one is skipped", customer_id,
            ))
        else:
            by_customer[customer_id] = path
    order = sorted(by_customer, key=lambda pk: (*customers[pk], pk))
    return [CustomerFile(pk, by_customer[pk]) for pk in order], skipped
