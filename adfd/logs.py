"""Route a job's logging, warnings and stderr to its Snakemake ``log:`` file."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def log_to(path: str | Path) -> Iterator[logging.Logger]:
    """Log (INFO, timestamped) to ``path`` and to stderr; uncaught errors end up in both."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    handlers = [logging.FileHandler(path, mode="w"), logging.StreamHandler(sys.stderr)]
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    for h in handlers:
        h.setFormatter(fmt)
        root.addHandler(h)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        yield logging.getLogger("adfd")
    except BaseException:
        logging.getLogger("adfd").exception("job failed")
        raise
    finally:
        for h in handlers:
            root.removeHandler(h)
            h.close()
