"""The `vizff` command's entry: Ctrl-C before the CLI has loaded, or as the process exits,
ends it quietly rather than with a Python traceback.

The CLI takes a moment to import (numpy, matplotlib, typer); a Ctrl-C in that moment raised
KeyboardInterrupt inside an import. Until `vizff.cli.main` installs its own handling, an
interrupt here ends the process at once (nothing has been written yet). Once the CLI has
finished, its output is complete and in place and its exit code decided: a late Ctrl-C is
ignored (during interpreter shutdown it printed "Exception ignored in ..."), and `kill`
ends the process as it does by default.
"""

from __future__ import annotations

import os
import signal
import sys

QUIET = ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")


def main() -> None:
    # a signal ignored by whoever started vizff (`nohup` ignores SIGHUP) is left ignored
    ours = [
        number
        for number in (getattr(signal, name, None) for name in QUIET)
        if number is not None and signal.getsignal(number) is not signal.SIG_IGN
    ]
    for number in ours:
        signal.signal(number, _before_the_cli)
    try:
        try:
            from vizff.cli import main as cli

            cli()
        finally:  # the CLI is done and its exit code decided: a Ctrl-C now changes nothing,
            for number in ours:  # and `kill` just ends the process, as by default
                default = signal.SIG_IGN if number == signal.SIGINT else signal.SIG_DFL
                signal.signal(number, default)
    except KeyboardInterrupt:  # one that came as the CLI was ending: its exit, not Python's
        from vizff import cli, interrupts

        if not cli.INTERRUPT_SAID:
            cli.fail(cli.interrupted_line(), interrupts.exit_status())
        raise SystemExit(interrupts.exit_status()) from None


def _before_the_cli(signum, frame) -> None:
    try:
        sys.stderr.write("error: interrupted; no output was changed\n")
        sys.stderr.flush()
    finally:
        os._exit(128 + signum)  # as a shell reports the signal: 130 for Ctrl-C, 143 for kill
