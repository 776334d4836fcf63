#!/usr/bin/env python
"""Django's command-line utility for the consumption dashboard."""
import os
import sys

# Commands that read files into the database and render nothing start without the web apps.
BATCH_COMMANDS = {"import"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in BATCH_COMMANDS:
        os.environ.setdefault("DASHBOARD_WEB_APPS", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
