"""Sorting and paging of the pages' tables as the query string asks, with a notice for whatever
cannot be done as asked, and page links that keep the request's other parameters."""
from django.core.paginator import EmptyPage, Page
from django.http import HttpRequest, QueryDict
from django_tables2 import RequestConfig, Table

from ..forms import quoted


def sort_table(request: HttpRequest, table: Table, rows: str, instead: str) -> list[str]:
    """`table` sorted by the request's `sort` (by its data: in SQL, or by CustomerRows) when every
    column it names can sort; else left in its own order, with a notice naming the `rows` and
    saying how they are sorted `instead`."""
    asked = [alias for value in request.GET.getlist("sort") for alias in value.split(",") if alias]
    sortable = {column.name for column in table.columns if column.orderable}
    if all(alias.removeprefix("-") in sortable for alias in asked):
        # Sorting only: the page and its size come validated from the forms, never raw from the request.
        RequestConfig(request, paginate=False).configure(table)
        return []
    return [f"The {rows} cannot be sorted by “{quoted(','.join(asked))}”: {instead}."]


def paginate_table(table: Table, number: int, query: QueryDict, **paging) -> list[str]:
    """`table` cut to page `number`, its page given links (with_links); past the last page, to the
    last, with a notice while the table has rows."""
    try:
        table.paginate(page=number, **paging)
        notices = []
    except EmptyPage:
        table.paginate(page=table.paginator.num_pages, **paging)
        notices = [no_such_page(number, table.paginator.num_pages)] if table.paginator.count else []
    with_links(table.page, query)
    return notices


def no_such_page(number: int, last: int) -> str:
    return f"There is no page {number}: showing the last page, {last}."


def with_links(page: Page, query: QueryDict, name: str = "page") -> Page:
    """`page` with `links`: the query strings of its first, previous, next and last pages (None
    where there is none), the other parameters of `query` kept."""
    query = query.copy()

    def link(number: int) -> str:
        query[name] = number
        return "?" + query.urlencode()

    page.links = {
        "first": link(1) if page.has_previous() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "last": link(page.paginator.num_pages) if page.has_next() else None,
    }
    return page
