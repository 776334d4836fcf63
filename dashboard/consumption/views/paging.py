"""Page links that keep the request's other parameters, for the pagination include."""
from django.core.paginator import Page
from django.http import QueryDict


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
