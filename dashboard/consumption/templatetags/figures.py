"""Template filters for figures the pages print."""
from django import template

register = template.Library()


@register.filter
def signed(value: float | None, places: int = 1) -> str:
    """A change with its sign always written (+1,234.5, −6.0), thousands separated; "—" for none."""
    if value is None:
        return "—"
    return f"{value:+,.{int(places)}f}".replace("-", "\N{MINUS SIGN}")
