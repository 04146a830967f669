"""A date hierarchy for the jobs changelist that never scans the table.

Django's ``date_hierarchy`` tag lists years/months/days with
``SELECT DISTINCT`` over the filtered rows and a MIN+MAX aggregate, both full
scans at a million jobs. This one reads the newest and oldest ``created_at``
(two index probes) and offers every year, month or day in between; an empty
period simply shows an empty list.
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def cheap_date_hierarchy(cl: Any) -> dict[str, Any]:
    field = cl.date_hierarchy
    if not field:
        return {"show": False}
    year_field, month_field, day_field = f"{field}__year", f"{field}__month", f"{field}__day"
    year = cl.params.get(year_field)
    month = cl.params.get(month_field)
    day = cl.params.get(day_field)

    def link(filters: dict[str, Any]) -> str:
        return cl.get_query_string(filters, [f"{field}__"])

    def single(value: Any) -> str | None:
        if isinstance(value, list):
            value = value[-1] if value else None
        return value

    year, month, day = single(year), single(month), single(day)
    try:
        if year and month and day:
            when = datetime.date(int(year), int(month), int(day))
            return {
                "show": True,
                "back": {
                    "link": link({year_field: year, month_field: month}),
                    "title": when.strftime("%B %Y"),
                },
                "choices": [{"title": when.strftime("%B %-d")}],
            }
        if year and month:
            days = calendar.monthrange(int(year), int(month))[1]
            return {
                "show": True,
                "back": {"link": link({year_field: year}), "title": str(year)},
                "choices": [
                    {
                        "link": link({year_field: year, month_field: month, day_field: d}),
                        "title": datetime.date(int(year), int(month), d).strftime("%b %-d"),
                    }
                    for d in range(1, days + 1)
                ],
            }
        if year:
            return {
                "show": True,
                "back": {"link": link({}), "title": "All dates"},
                "choices": [
                    {
                        "link": link({year_field: year, month_field: m}),
                        "title": datetime.date(int(year), m, 1).strftime("%B %Y"),
                    }
                    for m in range(1, 13)
                ],
            }
    except ValueError:
        return {"show": False}
    ordered = cl.queryset.order_by(field).values_list(field, flat=True)
    first = ordered.first()
    last = cl.queryset.order_by(f"-{field}").values_list(field, flat=True).first()
    if first is None or last is None:
        return {"show": False}
    first_year = timezone.localtime(first).year
    last_year = timezone.localtime(last).year
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(y)}), "title": str(y)}
            for y in range(first_year, last_year + 1)
        ],
    }
