"""Each customer's rank in their area and tariff over their whole history (Customer.history_rank),
rebuilt for the areas an import touched: the summary's table without a period reads it, where a
window over every customer would make each view compute every customer's row."""
from collections.abc import Iterable

from ..models import Customer
from ..statistics import group_ranks
from .writer import Writer


def rerank_areas(areas: Iterable[str], writer: Writer) -> None:
    areas = sorted(set(areas))
    if not areas:
        return
    with writer.cursor() as cursor:
        customers = list(
            Customer.objects.filter(area__in=areas).values("pk", "area", "tariff", "total_wh", "readings_count")
        )
        table = writer.connection.ops.quote_name(Customer._meta.db_table)
        cursor.executemany(
            f"UPDATE {table} SET history_rank = %s WHERE id = %s",
            [(rank, pk) for pk, rank in group_ranks(customers).items()],
        )
