"""The prose step: model-written sections for every module page and the overview.

Bottom-up, like CodeWiki: leaf modules first (in parallel, up to the concurrency limit),
then each parent from its own facts and its children's summaries, the overview last. Each
answer is looked up in the on-disk cache first, so an unchanged module costs no call. A
module whose call fails keeps its static page with a note saying why; nothing here raises
into the generator, so prose is never the reason a job fails.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..modules import Module
from ..site import SiteContext, module_summary
from . import render
from .cache import AnswerCache, answer_key
from .client import FORMAT_MODES, ChatClient, ChatSettings, ModelError, Stop
from .facts import (
    MODULE_SCHEMA,
    MODULE_SYSTEM,
    OVERVIEW_SCHEMA,
    OVERVIEW_SYSTEM,
    SourceReader,
    fit,
    messages_for,
    module_facts,
    overview_facts,
    shrink,
)

OVERVIEW_PAGE = "overview.md"
# Failures that say the server, not this module's input, is the problem. After this many
# in a row (no success between), the remaining pages do not wait on it too.
SERVER_FAILURES = frozenset({"timeout", "rate_limited", "server_error", "unreachable", "refused"})
MAX_SERVER_FAILURES_IN_A_ROW = 3
MODULE_FIELDS = ("what", "how")
OVERVIEW_FIELDS = ("what", "architecture", "start_here")

# What a reader is told when a page has no model-written part.
REASONS = {
    "timeout": "the model did not answer in time",
    "rate_limited": "the model server kept refusing with 429 Too Many Requests",
    "server_error": "the model server kept failing (5xx)",
    "unreachable": "the model server could not be reached",
    "refused": "the model server refused the request",
    "context_length": "the module's facts are too long for the model, even shortened",
    "malformed": "the model's answer was not in the requested form",
    "truncated": "the model's answer was cut off at the output token limit",
    "stopped": "model calls were stopped",
    "budget": "the job's model token budget was spent",
}


@dataclass
class ProseSettings:
    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    token_budget: int = 200_000  # tokens in + out per job; no new calls once spent
    timeout: float = 120.0
    concurrency: int = 2
    max_output_tokens: int = 800
    max_input_chars: int = 12_000  # the facts' JSON is trimmed to this size
    cache_dir: Path | None = None
    retries: int = 3
    backoff: float = 2.0
    stop: Stop = field(default_factory=Stop)  # carries the deadline, if any
    # Wraps every request; a worker passes its cross-process slot limiter.
    slot: Callable[[], AbstractContextManager[None]] | None = None


@dataclass
class ProseReport:
    model: str
    status: str = "completed"  # completed | partial | fallback
    calls_made: int = 0  # requests sent, retries included
    calls_reused: int = 0  # answers taken from the cache
    calls_failed: int = 0  # pages whose prose failed or was skipped
    tokens_in: int = 0
    tokens_out: int = 0
    token_budget: int = 0
    pages_total: int = 0
    pages_with_prose: int = 0
    model_seconds: float = 0.0  # wall time spent waiting on the model
    note: str = ""
    failures: dict[str, str] = field(default_factory=dict)  # page -> kind
    asked: list[str] = field(default_factory=list)  # pages the model was asked about

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "status": self.status,
            "calls_made": self.calls_made,
            "calls_reused": self.calls_reused,
            "calls_failed": self.calls_failed,
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "token_budget": self.token_budget,
            "pages_total": self.pages_total,
            "pages_with_prose": self.pages_with_prose,
            "model_seconds": round(self.model_seconds, 3),
            "note": self.note,
            "failures": dict(sorted(self.failures.items())),
            "asked": sorted(self.asked),
        }


ProseProgress = Callable[[int, int, str], None]  # (done, total, text)


class _Run:
    def __init__(
        self,
        ctx: SiteContext,
        settings: ProseSettings,
        read_source: SourceReader | None,
        progress: ProseProgress | None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.read_source = read_source
        self.progress = progress
        self.client = ChatClient(
            ChatSettings(
                base_url=settings.base_url,
                model=settings.model,
                api_key=settings.api_key,
                timeout=settings.timeout,
                retries=settings.retries,
                backoff=settings.backoff,
            ),
            settings.stop,
        )
        self.cache = AnswerCache(settings.cache_dir)
        # Servers that refuse OpenAI's json_schema cost one probe request, once per cache.
        known = self.cache.format_mode(self.client.url, settings.model)
        if known in FORMAT_MODES:
            self.client.format_mode = known
        self.format_mode_seen = self.client.format_mode
        self.grounding = render.Grounding(ctx)
        self.report = ProseReport(model=settings.model, token_budget=settings.token_budget)
        self.lock = threading.Lock()
        self.summaries: dict[str, str] = {}  # page -> plain summary for its parent
        self.errors: Counter[str] = Counter()
        self.first_error: dict[str, str] = {}
        self.failures_in_a_row = 0
        self.done = 0

    # --- accounting -----------------------------------------------------------------

    def _budget_left(self) -> int:
        with self.lock:
            return self.settings.token_budget - self.report.tokens_in - self.report.tokens_out

    def _count_call(self, seconds: float, tokens_in: int = 0, tokens_out: int = 0) -> None:
        with self.lock:
            self.report.model_seconds += seconds
            self.report.tokens_in += tokens_in
            self.report.tokens_out += tokens_out

    def _started(self, total: int) -> None:
        """Progress as each page starts: a slow answer shows which page it is waiting on."""
        with self.lock:
            self.done += 1
            done = self.done
        if self.progress is not None:
            text = f"Writing module {done}/{total} with {self.settings.model}"
            self.progress(done - 1, total, text)

    # --- one answer -----------------------------------------------------------------

    def _ask(
        self,
        page: str,
        system: str,
        facts: dict[str, Any],
        schema: dict[str, Any],
        fields: tuple[str, ...],
    ) -> tuple[dict[str, str] | None, str]:
        """(validated answer, "") or (None, failure kind)."""
        facts = fit(facts, self.settings.max_input_chars)
        messages = messages_for(system, facts)
        key = answer_key(self.settings.model, messages, schema)
        cached = self.cache.get(key)
        if cached is not None:
            try:
                answer = {name: str(cached["answer"][name]) for name in fields}
            except KeyError:
                answer = None
            if answer is not None:
                with self.lock:
                    self.report.calls_reused += 1
                return answer, ""
        shrunk = False
        while True:
            left = self._budget_left()
            if left <= 0:
                return None, "budget"
            try:
                self.settings.stop.check()
                with self.lock:
                    if page not in self.report.asked:
                        self.report.asked.append(page)
                answer = self._call(messages, schema, fields, min(left, self._max_out()))
            except ModelError as exc:
                if exc.kind == "context_length" and not shrunk:
                    shrunk = True
                    messages = messages_for(system, shrink(facts))
                    continue
                self._note_error(exc.kind, exc.message)
                return None, exc.kind
            except render.InvalidAnswer as exc:
                self._note_error("malformed", str(exc))
                return None, "malformed"
            with self.lock:
                self.failures_in_a_row = 0
            self.cache.put(key, {"model": self.settings.model, "answer": answer})
            return answer, ""

    def _max_out(self) -> int:
        return max(16, self.settings.max_output_tokens)

    def _call(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        fields: tuple[str, ...],
        max_tokens: int,
    ) -> dict[str, str]:
        slot = self.settings.slot() if self.settings.slot else contextlib.nullcontext()
        started = time.monotonic()
        try:
            with slot:
                started = time.monotonic()
                answer = self.client.complete(messages, max_tokens=max_tokens, schema=schema)
        except ModelError:
            self._count_call(time.monotonic() - started)
            raise
        self._count_call(time.monotonic() - started, answer.tokens_in, answer.tokens_out)
        if answer.finish_reason == "length":
            raise ModelError("truncated", "The model's answer was cut off (finish_reason length)")
        return render.parse_fields(answer.text, fields)

    def _note_error(self, kind: str, message: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            self.first_error.setdefault(kind, message)
            if kind in SERVER_FAILURES:
                self.failures_in_a_row += 1
                if self.failures_in_a_row >= MAX_SERVER_FAILURES_IN_A_ROW:
                    self.settings.stop.set(
                        f"{self.failures_in_a_row} calls in a row failed ({message})"
                    )

    # --- pages ----------------------------------------------------------------------

    def module(self, module: Module, total: int) -> None:
        self._started(total)
        facts = module_facts(self.ctx, module, self.summaries, self.read_source)
        page = module.page
        answer, failure = self._ask(page, MODULE_SYSTEM, facts, MODULE_SCHEMA, MODULE_FIELDS)
        if answer is None:
            self._fail(page, failure)
            self.summaries[page] = module_summary(self.ctx, module)
        else:
            blocks = render.marker(self.settings.model, "this module's facts")
            lines = render.section(
                "What this module does",
                [blocks, *render.field_blocks(answer, "what", page, self.grounding)],
            )
            lines += render.section(
                "How it works", render.field_blocks(answer, "how", page, self.grounding)
            )
            self.ctx.prose[page] = lines
            self.summaries[page] = render.plain_summary(answer["what"])
            with self.lock:
                self.report.pages_with_prose += 1

    def overview(self, total: int) -> None:
        self._started(total)
        facts = overview_facts(self.ctx, self.summaries)
        answer, failure = self._ask(
            OVERVIEW_PAGE, OVERVIEW_SYSTEM, facts, OVERVIEW_SCHEMA, OVERVIEW_FIELDS
        )
        if answer is None:
            self._fail(OVERVIEW_PAGE, failure)
        else:
            page, g = OVERVIEW_PAGE, self.grounding
            lines = render.section(
                "What this repository does",
                [
                    render.marker(self.settings.model, "the facts in these pages"),
                    *render.field_blocks(answer, "what", page, g),
                ],
            )
            lines += render.section(
                "How it fits together", render.field_blocks(answer, "architecture", page, g)
            )
            lines += render.section(
                "Where to start", render.field_blocks(answer, "start_here", page, g)
            )
            self.ctx.prose[OVERVIEW_PAGE] = lines
            with self.lock:
                self.report.pages_with_prose += 1

    def _reason(self, kind: str) -> str:
        reason = REASONS.get(kind, "the model call failed")
        if kind == "budget":
            budget = f"{self.settings.token_budget:,}"
            reason += f" ({budget} tokens, CODEWIKI_LLM_TOKEN_BUDGET)"
        elif kind == "stopped" and self.settings.stop.reason:
            reason += f" ({self.settings.stop.reason})"
        return reason

    def _fail(self, page: str, kind: str) -> None:
        reason = self._reason(kind)
        self.ctx.prose[page] = render.note(
            f"No model-written summary on this page: {reason}. "
            "What follows is static analysis only."
        )
        with self.lock:
            self.report.failures[page] = kind
            self.report.calls_failed += 1

    # --- the whole step -------------------------------------------------------------

    def run(self) -> ProseReport:
        levels = _levels(self.ctx.modules)
        total = sum(len(level) for level in levels) + 1
        self.report.pages_total = total
        workers = max(1, self.settings.concurrency)
        with ThreadPoolExecutor(workers, thread_name_prefix="docgen-prose") as pool:
            try:
                for level in levels:
                    # Children before parents: each level waits for the one below it.
                    list(pool.map(lambda m: self.module(m, total), level))
            except BaseException:
                # Ctrl-C in `generate_docs`: no new calls while the pool winds down.
                self.settings.stop.set("interrupted")
                raise
        self.overview(total)
        self._conclude()
        return self.report

    def _conclude(self) -> None:
        report = self.report
        report.calls_made = self.client.requests
        if self.client.format_mode != self.format_mode_seen:
            self.cache.remember_format_mode(
                self.client.url, self.settings.model, self.client.format_mode
            )
        if report.pages_with_prose == report.pages_total:
            report.status = "completed"
            return
        kinds = Counter(report.failures.values())
        detail = ", ".join(f"{self._reason(k)} ({n})" for k, n in kinds.most_common())
        if report.pages_with_prose == 0:
            report.status = "fallback"
            first = next(iter(self.first_error.values()), "")
            report.note = f"Static docs only: no page got model-written prose: {detail}" + (
                f". First error: {first}" if first else ""
            )
        else:
            report.status = "partial"
            report.note = (
                f"Model-written prose on {report.pages_with_prose} of {report.pages_total} "
                f"pages; the others are static: {detail}"
            )


def _levels(modules: list[Module]) -> list[list[Module]]:
    """Modules grouped by height: leaves first, each parent after all of its children."""
    height: dict[str, int] = {}
    by_height: dict[int, list[Module]] = {}

    def visit(module: Module) -> int:
        h = 1 + max((visit(child) for child in module.children), default=-1)
        height[module.page] = h
        by_height.setdefault(h, []).append(module)
        return h

    for top in modules:
        visit(top)
    return [by_height[h] for h in sorted(by_height)]


def write_prose(
    ctx: SiteContext,
    settings: ProseSettings,
    read_source: SourceReader | None = None,
    progress: ProseProgress | None = None,
) -> ProseReport:
    """Fill ``ctx.prose`` (page -> Markdown lines) and report what it cost."""
    if not settings.model:
        report = ProseReport(model="", status="fallback", token_budget=settings.token_budget)
        report.note = "Static docs only: no model name is configured (MAIN_MODEL)"
        return report
    try:
        run = _Run(ctx, settings, read_source, progress)
    except ValueError as exc:
        report = ProseReport(model=settings.model, status="fallback")
        report.note = f"Static docs only: {exc}"
        return report
    return run.run()


__all__ = ["ProseReport", "ProseSettings", "Stop", "write_prose"]
