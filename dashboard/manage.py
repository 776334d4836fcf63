#!/usr/bin/env python
"""Django's command-line utility for the consumption dashboard."""
import gc
import os
import sys

# Commands that read files into the database and render nothing start without the web apps.
BATCH_COMMANDS = {"import"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    batch = len(sys.argv) > 1 and sys.argv[1] in BATCH_COMMANDS
    if not batch:
        from django.core.management import execute_from_command_line

        execute_from_command_line(sys.argv)
        return
    os.environ.setdefault("DASHBOARD_WEB_APPS", "0")
    try:
        run_batch(sys.argv)
    except SystemExit as done:  # argparse's usage errors and CommandError's exit status
        exit_quickly(done.code)
    exit_quickly(0)


def run_batch(argv: list[str]) -> None:
    """Run a batch command with Django set up while the cyclic garbage collector is off. Start-up
    builds the objects of every module it loads and frees almost none of them, so each collection
    pass over them is wasted: about 30 ms, an eighth of a re-run of unchanged files. Once Django is
    set up (it fetches the command next), what start-up built is frozen out of the collector's
    sight and collection resumes for the command's own work."""
    gc.disable()
    from django.core.management import ManagementUtility

    class BatchUtility(ManagementUtility):
        def fetch_command(self, subcommand):
            gc.freeze()
            gc.enable()
            return super().fetch_command(subcommand)

    BatchUtility(argv).execute()


def exit_quickly(code) -> None:
    """End a batch command without the interpreter's teardown, which frees every object Django
    loaded one by one (about 80 ms, a fifth of a re-run of unchanged files): close the database
    connections and flush what was written first, which is all the teardown would do that matters.
    An uncaught exception never gets here and exits the ordinary way, with its traceback."""
    import logging

    from django.db import connections

    if code is not None and not isinstance(code, int):  # sys.exit("message") prints the message
        print(code, file=sys.stderr)
        code = 1
    connections.close_all()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


if __name__ == "__main__":
    main()
