"""Errors that are the user's mistake, not the program's.

A :class:`UserError` (a config value the schema rejects, an unknown table or row, a missing
input file) is answered by the ``adfd`` command line with one line ``adfd: error: <message>``
and exit status 2, like an argparse usage error; ``adfd --debug`` shows its traceback. Any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake in what the user gave: its message says what and where, on one line."""


class NotFoundError(UserError, LookupError):
    """A name or number the user gave (table, row, dataset) that does not exist."""
