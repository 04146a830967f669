"""Model-written prose settings for one run, from Django settings (read at the moment of use).

The generator itself never sees Django: the pipeline and `manage.py generate_docs` turn the
`CODEWIKI_LLM_*` settings into a `ProseSettings` here and pass it in.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from jobs.docgen.prose import FileSlots, ProseReport, ProseSettings, Stop


def llm_cache_dir() -> Path:
    """Model answers on disk, shared by every job and worker using this output folder."""
    return Path(settings.CODEWIKI_OUTPUT_DIR) / "llm-cache"


def prose_settings(
    *,
    deadline: float | None = None,
    worker_id: uuid.UUID | None = None,
    overrides: dict[str, Any] | None = None,
) -> ProseSettings | None:
    """None when no model endpoint is configured (static docs only).

    ``deadline`` (a ``time.monotonic()`` value) stops new model calls before the job's time
    limit; ``worker_id`` shares one concurrency limit among all jobs of that worker.
    """
    values: dict[str, Any] = {
        "base_url": settings.CODEWIKI_LLM_BASE_URL,
        "model": settings.MAIN_MODEL,
        "token_budget": settings.CODEWIKI_LLM_TOKEN_BUDGET,
        "timeout": settings.CODEWIKI_LLM_TIMEOUT,
        "concurrency": settings.CODEWIKI_LLM_CONCURRENCY,
        "max_output_tokens": settings.CODEWIKI_LLM_MAX_OUTPUT_TOKENS,
        "max_input_chars": settings.CODEWIKI_LLM_MAX_INPUT_CHARS,
        "retries": settings.CODEWIKI_LLM_RETRIES,
        "backoff": settings.CODEWIKI_LLM_BACKOFF_SECONDS,
        "cache_dir": llm_cache_dir(),
    }
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    if not str(values["base_url"]).strip():
        return None
    stop = Stop(deadline)
    prose = ProseSettings(api_key=settings.CODEWIKI_LLM_API_KEY, stop=stop, **values)
    if worker_id is not None:
        folder = Path(settings.CODEWIKI_OUTPUT_DIR) / "llm-slots" / str(worker_id)
        prose.slot = FileSlots(folder, prose.concurrency, stop)
    return prose


def job_deadline(started: float) -> float:
    """When a job's model calls must stop: before the worker's hard time limit kills it.

    The reserve leaves time to write the pages and publish, so a slow model costs prose,
    not the job.
    """
    limit = float(settings.CODEWIKI_JOB_TIMEOUT)
    reserve = max(5.0, min(120.0, limit * 0.1))
    return started + max(1.0, limit - reserve)


def summary(report: ProseReport) -> str:
    """One line for the job's progress and timeline."""
    status = {"completed": "completed", "partial": "partly completed", "fallback": "fell back"}
    text = f"model prose {status.get(report.status, report.status)} ({report.model})"
    if report.note:
        text += f": {report.note}"
    return text
