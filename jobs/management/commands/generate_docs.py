"""`manage.py generate_docs <path> --out <dir>`: run the offline documentation generator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.docgen import DocGenError, GenerationOptions, generate_docs
from jobs.prose_config import prose_settings


class Command(BaseCommand):
    help = "Generate CodeWiki Markdown documentation for a local repository checkout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="repository directory to document")
        parser.add_argument("--out", type=Path, required=True, help="output directory")
        parser.add_argument("--max-files", type=int, default=GenerationOptions.max_files)
        parser.add_argument(
            "--include", action="append", default=[], metavar="PAT", help="glob to include"
        )
        parser.add_argument(
            "--exclude", action="append", default=[], metavar="PAT", help="glob to exclude"
        )
        parser.add_argument("--name", default="", help="display name such as owner/repo")
        parser.add_argument(
            "--analysis-cache",
            type=Path,
            metavar="DIR",
            help="reuse per-file analysis results kept in DIR (default: none, parse every file)",
        )
        llm = parser.add_argument_group(
            "model-written prose",
            "Defaults come from the CODEWIKI_LLM_* settings and MAIN_MODEL. The API key is "
            "read from CODEWIKI_LLM_API_KEY only (a flag would show in the process list).",
        )
        llm.add_argument(
            "--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1"
        )
        llm.add_argument("--model", help="model name sent to the endpoint (MAIN_MODEL)")
        llm.add_argument("--llm-token-budget", type=_positive_int, help="tokens per run")
        llm.add_argument("--llm-timeout", type=float, help="seconds per request")
        llm.add_argument("--llm-concurrency", type=_positive_int, help="requests at once")
        llm.add_argument("--llm-max-output-tokens", type=_positive_int)
        llm.add_argument("--llm-cache", type=Path, help="answer cache folder")
        llm.add_argument("--no-llm", action="store_true", help="static docs only")

    def handle(self, *args: Any, **options: Any) -> None:
        gen_options = GenerationOptions(
            max_files=options["max_files"],
            include=options["include"],
            exclude=options["exclude"],
            repo_name=options["name"] or Path(options["path"]).resolve().name,
            analysis_cache=str(options["analysis_cache"] or ""),
        )
        if not options["no_llm"]:
            gen_options.prose = prose_settings(
                overrides={
                    "base_url": options["llm_base_url"],
                    "model": options["model"],
                    "token_budget": options["llm_token_budget"],
                    "timeout": options["llm_timeout"],
                    "concurrency": options["llm_concurrency"],
                    "max_output_tokens": options["llm_max_output_tokens"],
                    "cache_dir": options["llm_cache"],
                }
            )

        def report(percent: int, step: str) -> None:
            self.stdout.write(f"[{percent:3d}%] {step}")

        try:
            result = generate_docs(options["path"], options["out"], gen_options, report)
        except DocGenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {len(result.files_generated)} files "
                f"({result.module_count} modules, {result.component_count} components) "
                f"to {options['out']}"
            )
        )
        if options["analysis_cache"] is not None:
            # The run's counts are in metadata.json only: the cache is deactivated after it.
            metadata = json.loads((Path(options["out"]) / "metadata.json").read_text())
            analysis = metadata.get("analysis", {})
            self.stdout.write(
                f"Analysis cache: {analysis.get('files_reused', 0)} files reused, "
                f"{analysis.get('files_reanalysed', 0)} analysed; "
                f"{analysis.get('pages_reused', 0)} pages reused, "
                f"{analysis.get('pages_rendered', 0)} rendered"
            )
        if result.prose is not None:
            report = result.prose
            self.stdout.write(
                f"Model {report.model}: prose {report.status}, {report.calls_made} calls, "
                f"{report.calls_reused} reused, {report.tokens_in} tokens in, "
                f"{report.tokens_out} out" + (f". {report.note}" if report.note else "")
            )


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number
