"""Embedded demo data: small versions of the five benchmarks, built from real faces.

``build(root, seed)`` writes FF++, Celeb-DF-v2, DFDC, DFDC-Preview and FFIW-10K in their
official layouts (docs/sbi-recipe.md §1), and a sixth benchmark "Wild" in the generic
``real/``/``fake/`` folder layout (added to the demo by config alone) under ``root``, from
the real faces that ship inside installed packages (``adfd.demo.faces``), filmed with seeded
camera motion (``adfd.demo.motion``) and manipulated between different people with classical
face-swap and reenactment recipes (``adfd.demo.manipulate``). The people are split into a
training pool (FF++ train/val) and a disjoint test pool (FF++ test and the other test sets).
Every random draw comes from ``numpy.random.default_rng(seed)``; the same seed gives the same bytes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from adfd.demo import layouts
from adfd.demo.writer import Writer

# Identity pools. Four training faces: three from the left of the group photo plus the small
# aligned Tom Hanks crop; the test pool keeps the right of the group photo (FFIW's multi-person
# scenes), the two high-resolution portraits and the only real video (carphone).
TRAIN_IDENTITIES = ("t1_face0", "t1_face1", "t1_face2", "tom_hanks")
TEST_IDENTITIES = ("t1_face3", "t1_face4", "t1_face5", "grace_hopper", "astronaut", "carphone")
SUMMARY_FILE = "demo_summary.json"


def _summary(seed: int, w: Writer) -> dict:
    videos = w.as_dicts()
    counts: dict[str, dict] = {}
    for v in videos:
        d = counts.setdefault(v["dataset"], {"real": 0, "fake": 0, "splits": Counter()})
        d["fake" if v["label"] else "real"] += 1
        d["splits"][f"{v['split']}/{'fake' if v['label'] else 'real'}"] += 1
    for d in counts.values():
        d["splits"] = dict(sorted(d["splits"].items()))
    used: dict[str, set] = {"train": set(), "val": set(), "test": set()}
    for v in videos:
        used[v["split"]].update(v["identities"])
    return {
        "seed": seed,
        "identity_pools": {"train": list(TRAIN_IDENTITIES), "test": list(TEST_IDENTITIES)},
        "identities": {split: sorted(names) for split, names in used.items()},
        "datasets": counts,
        "videos": videos,
    }


def build(root: Path, seed: int = 0) -> dict:
    """Build the six demo benchmarks under ``root``; return (and write) their summary.

    Summary: ``datasets`` (real/fake counts, per split), ``identities`` (people used per
    split: ``train`` and ``val`` only FF++ and DFDCP's ``set: train`` entries, ``test`` every
    test set), ``videos`` (one record per file: path, label, split, identities, target,
    recipe). Also written to ``root/demo_summary.json``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    rngs = np.random.default_rng(seed).spawn(6)  # child i does not depend on the count
    train, test = list(TRAIN_IDENTITIES), list(TEST_IDENTITIES)
    with Writer(root) as w:
        layouts.ffpp(w, train, test, rngs[0])
        layouts.celebdf(w, test, rngs[1])
        layouts.dfdc(w, test, rngs[2])
        layouts.dfdcp(w, train, test, rngs[3])
        layouts.ffiw(w, test, rngs[4])
        layouts.wild(w, test, rngs[5])
    summary = _summary(seed, w)
    (root / SUMMARY_FILE).write_text(json.dumps(summary, indent=1) + "\n")
    return summary
