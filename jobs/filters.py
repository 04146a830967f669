"""Dashboard query parameters → a queryset of jobs plus per-state counts.

Modelled on GoodJob's ``JobsFilter``: each ``filter_by_*`` does nothing when
its parameter is blank, so the object composes the same way for the page, the
polled fragment and the admin search.

Two things keep it cheap on a million rows:

* Counts of the big states (completed, failed, cancelled, all) are *capped*:
  ``SELECT count(*) FROM (SELECT 1 … LIMIT cap+1)`` reads at most cap+1 index
  entries whatever the table size, and the tab shows "1,000+". Queued and
  processing are bounded by the queue size and the worker pool, so they are
  counted exactly. All six counts come back in one query.
* The repository search is a *prefix* match expressed as a range
  (``repo_url >= p AND repo_url < p'``) so both SQLite and PostgreSQL walk the
  ``(repo_url, -created_at)`` index; a ``LIKE '%x%'`` would read every row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from typing import Any

from django.db import connections
from django.db.models import Q, QuerySet
from django.http import QueryDict

from jobs import dashboard_stats
from jobs.dashboard_stats import ActiveJob
from jobs.models import Job, Status
from jobs.pagination import Page, newest_first
from jobs.repo_urls import CASE_INSENSITIVE_HOSTS, allowed_hosts

PAGE_SIZE = 50
# Tabs show "1,000+" beyond this; see the module docstring. Each capped count
# reads at most COUNT_CAP + 1 index entries, four of them per request, so the
# cap is what a poll costs at any table size (10,000 measured 3.5x slower at
# a million rows on PostgreSQL).
COUNT_CAP = 1_000
MAX_SEARCH_LENGTH = 200
STATE_TABS: list[tuple[str, str]] = [
    ("", "All"),
    (Status.QUEUED, "Queued"),
    (Status.PROCESSING, "Processing"),
    (Status.COMPLETED, "Completed"),
    (Status.FAILED, "Failed"),
    (Status.CANCELLED, "Cancelled"),
]
LIST_FIELDS = (
    "job_id",
    "repo_url",
    "status",
    "created_at",
    "started_at",
    "completed_at",
    "commit_id",
    "resolved_commit",
    "progress",
    "progress_percent",
    "attempts",
    "max_attempts",
    "error_message",
    "from_cache",
    "cancel_requested",
    "main_model",
    "prose_status",
    "llm_tokens_in",
    "llm_tokens_out",
)


@dataclass(frozen=True)
class Count:
    value: int
    capped: bool

    def __str__(self) -> str:
        return f"{self.value:,}+" if self.capped else f"{self.value:,}"


@dataclass(frozen=True)
class Tab:
    state: str
    label: str
    count: Count
    selected: bool
    query: str  # the query string that selects this tab, keeping the search


def _prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def search_prefixes(term: str) -> list[str]:
    """Canonical-URL prefixes a search term may mean.

    People type ``django``, ``django/dj``, ``github.com/django`` or a full URL.
    A term with a scheme is used as is; one starting with an allowed host gets
    that host's scheme; anything else is an owner/name prefix on every allowed
    host. Canonical URLs on case-insensitive hosts are lower case, so the owner
    part is lowered for those.
    """
    term = term.strip()
    if not term:
        return []
    if "://" in term or term.startswith("/"):
        return [term]
    hosts = allowed_hosts()
    lowered = term.lower()
    for host in hosts:
        if lowered.startswith(host.netloc + "/") or lowered == host.netloc:
            rest = term[len(host.netloc) :]
            if host.host in CASE_INSENSITIVE_HOSTS:
                rest = rest.lower()
            return [f"{host.scheme}://{host.netloc}{rest}"]
    prefixes = []
    for host in hosts:
        owner = lowered if host.host in CASE_INSENSITIVE_HOSTS else term
        prefixes.append(f"{host.scheme}://{host.netloc}/{owner}")
    return sorted(set(prefixes))


def repo_prefix_q(term: str) -> Q | None:
    """An index-friendly Q for ``repo_url`` starting with one of the term's prefixes."""
    prefixes = search_prefixes(term)
    if not prefixes:
        return None
    parts = [
        # The range lets the btree index bound the scan; startswith keeps the
        # result exact whatever the database's collation does with the range.
        Q(repo_url__gte=p, repo_url__lt=_prefix_upper_bound(p), repo_url__startswith=p)
        for p in prefixes
    ]
    return reduce(or_, parts)


@dataclass
class JobFilter:
    """The dashboard's view of the jobs table for one set of query parameters."""

    state: str = ""
    search: str = ""
    cursor: str = ""
    base: QuerySet[Job] = field(default_factory=lambda: Job.objects.all())

    @classmethod
    def from_params(cls, params: QueryDict | dict[str, str], user: Any = None) -> JobFilter:
        state = (params.get("state") or "").strip()
        if state not in Status.values:
            state = ""  # an unknown tab shows everything rather than an error page
        search = (params.get("q") or "").strip()[:MAX_SEARCH_LENGTH]
        cursor = (params.get("cursor") or "").strip()
        # No user: every job (commands, tests); views always pass the request's user.
        base = Job.objects.all() if user is None else Job.objects.visible_to(user)
        return cls(state=state, search=search, cursor=cursor, base=base)

    # --- filters: each does nothing when its parameter is blank -------------

    def filter_by_state(self, queryset: QuerySet[Job]) -> QuerySet[Job]:
        return queryset.filter(status=self.state) if self.state else queryset

    def filter_by_search(self, queryset: QuerySet[Job]) -> QuerySet[Job]:
        condition = repo_prefix_q(self.search)
        return queryset.filter(condition) if condition is not None else queryset

    def searched(self) -> QuerySet[Job]:
        return self.filter_by_search(self.base)

    def queryset(self) -> QuerySet[Job]:
        return self.filter_by_state(self.searched())

    def page(self, limit: int = PAGE_SIZE) -> Page:
        """Raises ``BadCursor`` for a tampered cursor; the view answers 400."""
        # Only the columns the table shows: traces can be kilobytes per row.
        queryset = self.queryset().only(*LIST_FIELDS)
        return newest_first(queryset, self.cursor or None, limit)

    # --- counts -------------------------------------------------------------

    def counts(
        self, cap: int | None = None, active: list[ActiveJob] | None = None
    ) -> dict[str, Count]:
        """Per-state counts (key '' is all), capped for the big states, in one query.

        Queued and processing are counted exactly from ``active`` (all active
        jobs, a bounded list the view already has for the workers panel),
        filtered by the search in Python: a SQL count under a search would let
        the planner walk every matching repository row instead of the few
        active ones.

        Without a search each big state is a capped count over the status
        index. With a search the status is not in the repository index, so
        per-state capped counts would each read every matching row; instead
        one sample of at most ``cap + 1`` matching rows is split by state, and
        when the sample is full its per-state numbers are lower bounds ("n+").
        """
        cap = COUNT_CAP if cap is None else cap
        active = dashboard_stats.active_jobs() if active is None else active
        prefixes = tuple(search_prefixes(self.search))
        visible = [job for job in active if not prefixes or job.repo_url.startswith(prefixes)]
        queued = sum(1 for job in visible if job.status == Status.QUEUED)
        processing = len(visible) - queued
        searched = self.searched().order_by()
        selects: list[str] = []
        params: list[object] = []

        def add(sql: str, sql_params: Any) -> None:
            selects.append(sql)
            params.extend(sql_params)

        big = [Status.COMPLETED, Status.FAILED, Status.CANCELLED]
        source = ""
        if not self.search:
            for state in [*big, ""]:
                queryset = searched.filter(status=state) if state else searched
                sql, sql_params = queryset.values_list("pk")[: cap + 1].query.sql_with_params()
                add(f"(SELECT COUNT(*) FROM ({sql}) AS b_{state or 'all'})", sql_params)
        else:
            # One pass over the sample, split by state with conditional sums.
            sql, sql_params = searched.values_list("status")[: cap + 1].query.sql_with_params()
            column = connections[searched.db].ops.quote_name("status")
            sums = ", ".join(
                f"COALESCE(SUM(CASE WHEN sample.{column} = %s THEN 1 ELSE 0 END), 0) AS n_{state}"
                for state in big
            )
            source = f" FROM (SELECT {sums}, COUNT(*) AS n_all FROM ({sql}) AS sample) AS split"
            selects += [f"split.n_{state}" for state in big] + ["split.n_all"]
            # Placeholders in the FROM clause come after those in the SELECT list.
            params += [state.value for state in big] + list(sql_params)
        with connections[searched.db].cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(selects) + source, params)
            completed, failed, cancelled, total = cursor.fetchone()
        full = total > cap  # the "all" count (or the search sample) hit the cap
        result = {
            Status.QUEUED: Count(queued, capped=False),
            Status.PROCESSING: Count(processing, capped=False),
            "": Count(cap, capped=True) if full else Count(total, capped=False),
        }
        for state, value in zip(big, (completed, failed, cancelled), strict=True):
            if self.search:
                result[state] = Count(value, capped=full)  # lower bounds from the sample
            else:
                result[state] = Count(cap, True) if value > cap else Count(value, False)
        return result

    def tabs(self, counts: dict[str, Count]) -> list[Tab]:
        tabs = []
        for state, label in STATE_TABS:
            query = QueryDict(mutable=True)
            if state:
                query["state"] = state
            if self.search:
                query["q"] = self.search
            tabs.append(Tab(state, label, counts[state], state == self.state, query.urlencode()))
        return tabs

    def query_string(self, **overrides: str) -> str:
        """This filter's parameters (without the cursor unless given) as a query string."""
        query = QueryDict(mutable=True)
        values = {"state": self.state, "q": self.search, **overrides}
        for key, value in values.items():
            if value:
                query[key] = value
        return query.urlencode()
