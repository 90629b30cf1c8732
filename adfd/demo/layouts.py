"""The five benchmarks' official on-disk layouts, filled with demo videos.

Layouts and split/label files follow docs/sbi-recipe.md §1: FF++
(``original_sequences/youtube/raw/videos``, ``manipulated_sequences/<method>/raw/videos`` and
``{train,val,test}.json`` pair lists), Celeb-DF-v2 (``<folder>/videos/`` + the testing list
with flag 1 = real), DFDC (``videos/`` + ``labels.csv`` with 1 = fake), DFDC-Preview
(``original_videos/videos/<pid>/``, ``method_X/videos/<pid>/<pid>_X/`` + ``dataset.json``)
and FFIW-10K (``source|target/val/videos``), plus one benchmark in the generic ``folders``
layout a user adds by config alone (``Wild/real``, ``Wild/fake``). Each writer takes the
identity pools and a generator, so which person lands where is decided here and recorded by
the ``Writer``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from adfd.demo import faces, motion
from adfd.demo.writer import Writer, random_name

FFPP_METHODS = {  # manipulated_sequences folder -> recipe
    "Deepfakes": "deepfakes",
    "Face2Face": "face2face",
    "FaceSwap": "faceswap",
    "NeuralTextures": "neuraltextures",
}
FFIW_SIZE = (512, 384)  # (W, H): multi-person frames
GROUP_WINDOW_CENTER = (975.0, 280.0)  # t1.jpg px: x 655..1295, y 40..520 at rest
GROUP_WINDOW_WIDTH = 640.0  # t1.jpg px


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _dump(path: Path, obj) -> None:
    _write(path, json.dumps(obj, indent=1) + "\n")


def _clip(name: str, rng: np.random.Generator) -> motion.Clip:
    return motion.identity_clip(name, rng)


def ffpp(w: Writer, train: list[str], test: list[str], rng: np.random.Generator) -> None:
    """FF++: 4 train / 1 val / 2 test pairs; reals 000..013, fakes both ways x 4 methods."""
    t, s = list(rng.permutation(train)), list(rng.permutation(test))
    people = {
        "train": [t[0], t[1], t[2], t[3], t[1], t[2], t[3], t[0]],
        "val": [t[0], t[2]],  # held-out clips of training people (only 4 train faces exist)
        "test": s[:4],
    }
    base, vid = "FaceForensics++", 0
    for split, names in people.items():
        pairs = []
        for a, b in zip(names[::2], names[1::2], strict=True):
            ids = (f"{vid:03d}", f"{vid + 1:03d}")
            vid += 2
            pairs.append(list(ids))
            for i, name in zip(ids, (a, b), strict=True):
                rel = f"{base}/original_sequences/youtube/raw/videos/{i}.mp4"
                w.real("ffpp", rel, _clip(name, rng), split)
            for tgt, src in (ids, ids[::-1]):
                real = f"{base}/original_sequences/youtube/raw/videos/{tgt}.mp4"
                source = w.clips[f"{base}/original_sequences/youtube/raw/videos/{src}.mp4"]
                for method, recipe in FFPP_METHODS.items():
                    rel = f"{base}/manipulated_sequences/{method}/raw/videos/{tgt}_{src}.mp4"
                    w.fake("ffpp", rel, real, source, recipe, rng, split)
        _dump(w.root / base / f"{split}.json", pairs)


def celebdf(w: Writer, test: list[str], rng: np.random.Generator) -> None:
    """Celeb-DF-v2: 4 Celeb-real + 2 YouTube-real, 6 Celeb-synthesis swaps."""
    q = list(rng.permutation(test))
    cid = {name: test.index(name) for name in test}  # Celeb-DF person ids idN
    lines, celeb = [], []
    for k, name in enumerate(q):
        folder, file = (
            ("Celeb-real", f"id{cid[name]}_0000") if k < 4 else ("YouTube-real", f"{k - 4:05d}")
        )
        w.real("cdf", f"Celeb-DF-v2/{folder}/videos/{file}.mp4", _clip(name, rng))
        lines.append(f"1 {folder}/{file}.mp4")
        if k < 4:
            celeb.append((name, f"Celeb-DF-v2/{folder}/videos/{file}.mp4"))
    for k in range(6):
        name, real = celeb[k % 4]
        src = q[(q.index(name) + 1 + k // 4) % len(q)]
        file = f"id{cid[name]}_id{cid[src]}_0000.mp4"
        w.fake(
            "cdf",
            f"Celeb-DF-v2/Celeb-synthesis/videos/{file}",
            real,
            _clip(src, rng),
            "celebdf",
            rng,
        )
        lines.append(f"0 Celeb-synthesis/{file}")
    _write(w.root / "Celeb-DF-v2" / "List_of_testing_videos.txt", "\n".join(lines) + "\n")


def dfdc(w: Writer, test: list[str], rng: np.random.Generator) -> None:
    """DFDC test set: 5 real + 5 fake under ``videos/``, ``labels.csv`` (1 = fake)."""
    q, taken, rows = list(rng.permutation(test)), set(), []
    for k in range(5):
        real = f"DFDC/videos/{random_name(rng, taken)}.mp4"
        w.real("dfdc", real, _clip(q[k], rng))
        rows.append((Path(real).name, 0))
        fake = f"DFDC/videos/{random_name(rng, taken)}.mp4"
        w.fake("dfdc", fake, real, _clip(q[(k + 1) % len(q)], rng), "dfdc", rng)
        rows.append((Path(fake).name, 1))
    text = "filename,label\n" + "".join(f"{f},{lab}\n" for f, lab in sorted(rows))
    _write(w.root / "DFDC" / "labels.csv", text)


def dfdcp(w: Writer, train: list[str], test: list[str], rng: np.random.Generator) -> None:
    """DFDC-Preview: 5 real + 5 fake test videos (methods A, B) and 2 ``set: train`` ones."""
    q, taken, index, pids = list(rng.permutation(test)), set(), {}, set()
    plan = [(q[k], q[(k + 1) % len(q)], "AAABB"[k], "test") for k in range(5)]
    t = list(rng.permutation(train))
    plan.append((t[0], t[1], "A", "train"))
    for name, src, method, split in plan:
        pid = str(int(rng.integers(100000, 1000000)))
        while pid in pids:
            pid = str(int(rng.integers(100000, 1000000)))
        pids.add(pid)
        real_key = f"original_videos/{pid}/{random_name(rng, taken)}.mp4"
        real = f"DFDCP/original_videos/videos/{real_key.split('/', 1)[1]}"
        w.real("dfdcp", real, _clip(name, rng), split)
        fake_key = f"method_{method}/{pid}/{pid}_{method}/{random_name(rng, taken)}.mp4"
        fake = f"DFDCP/method_{method}/videos/{fake_key.split('/', 1)[1]}"
        recipe = f"dfdcp_{method.lower()}"
        w.fake("dfdcp", fake, real, _clip(src, rng), recipe, rng, split)
        index[real_key] = {"label": "real", "set": split}
        index[fake_key] = {"label": "fake", "set": split}
    _dump(w.root / "DFDCP" / "dataset.json", dict(sorted(index.items())))


def _ffiw_scenes(test: list[str]) -> list[motion.Scene]:
    """Multi-person scenes: the right half of the group photo, and portrait pairs."""
    image, lms = faces.group_photo()
    group = [n for n in test if n.startswith("t1_face")]
    idx = [int(n.removeprefix("t1_face")) for n in group]
    stills = faces.still_faces()
    portraits = [n for n in test if n in stills and n not in group]
    # fixed window on the right of t1.jpg: faces 3-5 only, clear of face 2 (a training face)
    scale = FFIW_SIZE[0] / GROUP_WINDOW_WIDTH
    scene = motion.Scene(image, tuple(group), lms[idx], GROUP_WINDOW_CENTER, scale, FFIW_SIZE)
    pair = [stills[n] for n in portraits[:2]]
    return [
        scene,
        scene,
        motion.side_by_side(pair, FFIW_SIZE),
        motion.side_by_side(pair[::-1], FFIW_SIZE),
    ]


def ffiw(w: Writer, test: list[str], rng: np.random.Generator) -> None:
    """FFIW-10K val: 4 multi-person reals (source/) and one face swapped in each (target/)."""
    base = "FFIW/FFIW10K-v1-release"
    for k, scene in enumerate(_ffiw_scenes(test)):
        name = f"val_{k + 1:05d}.mp4"
        real = f"{base}/source/val/videos/{name}"
        w.real("ffiw", real, motion.film(scene, rng))
        face = int(rng.integers(len(scene.identities)))
        others = [n for n in test if n not in scene.identities]
        src = others[int(rng.integers(len(others)))]
        w.fake(
            "ffiw",
            f"{base}/target/val/videos/{name}",
            real,
            _clip(src, rng),
            "ffiw",
            rng,
            face=face,
        )


def wild(w: Writer, test: list[str], rng: np.random.Generator) -> None:
    """A benchmark no code knows: 3 real + 3 face-swapped videos in ``Wild/real|fake/``
    (the ``kind: folders`` convention), named like a phone's camera roll."""
    q = list(rng.permutation(test))
    for k in range(3):
        real = f"Wild/real/VID_{k:04d}.mp4"
        w.real("wild", real, _clip(q[k], rng))
        src = _clip(q[(k + 3) % len(q)], rng)
        w.fake("wild", f"Wild/fake/VID_{k + 3:04d}.mp4", real, src, "faceswap", rng)
