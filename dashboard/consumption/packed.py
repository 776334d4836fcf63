"""Arrays of numbers kept in one BinaryField: little-endian, whatever the machine.

The group tables that hold a value per customer (GroupBucketTotals, GroupRunningTotals,
GroupPeakBlocks) store them this way, so a page reads a group's customers in one row; so do the
tables that hold a value per half-hour slot (ProfileMonth, GroupHalfHour), 48 to a row. The import
writes them with numpy or pack(); the pages read them with numpy where they work on every customer
at once (the summary's table and spread), and with the standard library's array where they pick a few.
"""
import sys
from array import array

# array type codes of the stored types, and the same types for numpy
FLOAT64, INT32, INT64 = "d", "i", "q"
NUMPY_TYPES = {FLOAT64: "<f8", INT32: "<i4", INT64: "<i8"}


def pack(code: str, values) -> bytes:
    """`values` (any iterable of numbers) stored as `code` values."""
    packed = array(code, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack(code: str, data: bytes | memoryview) -> array:
    values = array(code)
    if values.itemsize != {FLOAT64: 8, INT32: 4, INT64: 8}[code]:
        raise RuntimeError(f"array type {code!r} has {values.itemsize} bytes on this machine")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values
