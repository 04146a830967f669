"""`manage.py generate_docs <path> --out <dir>`: run the offline documentation generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.docgen import DocGenError, GenerationOptions, generate_docs


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

    def handle(self, *args: Any, **options: Any) -> None:
        gen_options = GenerationOptions(
            max_files=options["max_files"],
            include=options["include"],
            exclude=options["exclude"],
            repo_name=options["name"] or Path(options["path"]).resolve().name,
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
