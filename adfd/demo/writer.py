"""Writes demo videos and remembers, per file, its label, split and the identities in it.

Random draws happen on the calling thread in a fixed order; rendering the fakes and encoding
(OpenCV and x264 release the GIL) run on a small thread pool, so the output does not depend
on scheduling.
"""

from __future__ import annotations

import os
import string
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from adfd.demo import manipulate, motion, video


@dataclass(frozen=True)
class Record:
    """One written video. ``path`` is relative to the demo root; ``label`` 0 real, 1 fake."""

    dataset: str
    path: str
    label: int
    split: str
    identities: tuple[str, ...]  # every person whose face is in the file (fakes: both)
    target: str = ""  # fakes: the real video whose frames were manipulated
    recipe: str = ""  # fakes: the manipulation recipe (adfd.demo.manipulate)


def _render_fake(path: Path, target, source, recipe: str, params: dict, face: int) -> None:
    clip = manipulate.fake_clip(target, source, recipe, params, face)
    video.write_mp4(path, clip.frames, motion.FPS)


class Writer:
    """Writes clips under ``root`` and collects their ``Record``s; use as a context manager."""

    def __init__(self, root: Path, workers: int | None = None):
        self.root = root
        self.records: list[Record] = []
        self.clips: dict[str, motion.Clip] = {}
        self._pool = ThreadPoolExecutor(workers or min(4, os.cpu_count() or 1))
        self._jobs: list[Future] = []

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True)
        for job in self._jobs:
            job.result()  # re-raise the first failure

    def real(self, dataset: str, rel: str, clip: motion.Clip, split: str = "test") -> None:
        self._jobs.append(
            self._pool.submit(video.write_mp4, self.root / rel, clip.frames, motion.FPS)
        )
        self.clips[rel] = clip
        self.records.append(Record(dataset, rel, 0, split, clip.identities))

    def fake(
        self,
        dataset: str,
        rel: str,
        target_rel: str,
        source: motion.Clip,
        recipe: str,
        rng: np.random.Generator,
        split: str = "test",
        face: int = 0,
    ) -> None:
        target = self.clips[target_rel]
        params = manipulate.draw_params(recipe, rng, target.landmarks[0, face])
        job = self._pool.submit(_render_fake, self.root / rel, target, source, recipe, params, face)
        self._jobs.append(job)
        people = tuple(dict.fromkeys(target.identities + source.identities[:1]))
        self.records.append(Record(dataset, rel, 1, split, people, target_rel, recipe))

    def as_dicts(self) -> list[dict]:
        return [asdict(r) | {"identities": list(r.identities)} for r in self.records]


def random_name(rng: np.random.Generator, taken: set[str], length: int = 10) -> str:
    """A fresh lowercase name like DFDC's ``aassnaulhq`` (unique within ``taken``)."""
    letters = np.array(list(string.ascii_lowercase))
    while True:
        name = "".join(rng.choice(letters, size=length))
        if name not in taken:
            taken.add(name)
            return name
