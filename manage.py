#!/usr/bin/env python
"""Django's command-line utility for CodeWiki."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codewiki_site.settings")
    if sys.argv[1:2] == ["runworker"]:
        # Before Django loads: a stop signal during start-up must still exit cleanly.
        from jobs import startup_signals

        startup_signals.capture()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
