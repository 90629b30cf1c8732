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
# Test videos per benchmark and class (FF++: test pairs, each giving 2 reals and 8 fakes).
# Sized so that the demo baseline's 95 % bootstrap CI is at most +-15 AUC points on every
# benchmark (at 20 + 20, DFDC-P's and FFIW's were +-15.5 and +-15.3: 24 + 24 there); the
# training side (FF++ train/val, DFDCP's ``set: train``) stays as it was.
TEST_VIDEOS = {"ffpp_pairs": 10, "cdf": 20, "dfdc": 20, "dfdcp": 24, "ffiw": 24, "wild": 8}
CELEB_REAL = 14  # of the Celeb-DF reals; the others are YouTube-real
GROUP_WINDOW_CENTER = (975.0, 280.0)  # t1.jpg px: x 655..1295, y 40..520 at rest
GROUP_WINDOW_WIDTH = 640.0  # t1.jpg px


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _dump(path: Path, obj) -> None:
    _write(path, json.dumps(obj, indent=1) + "\n")


def _clip(name: str, rng: np.random.Generator) -> motion.Clip:
    return motion.identity_clip(name, rng)


def _cycle(people: list[str], n: int, rng: np.random.Generator) -> list[str]:
    """``n`` people: seeded permutations of ``people`` one after the other (each appears
    n / len(people) times, rounded)."""
    out: list[str] = []
    while len(out) < n:
        out += list(rng.permutation(people))
    return out[:n]


def _other(people: list[str], name: str, rng: np.random.Generator) -> str:
    """A seeded choice of someone else than ``name`` (the source of a swap)."""
    rest = [p for p in people if p != name]
    return rest[int(rng.integers(len(rest)))]


def ffpp(w: Writer, train: list[str], test: list[str], rng: np.random.Generator) -> None:
    """FF++: 4 train / 1 val / ``TEST_VIDEOS["ffpp_pairs"]`` test pairs of two different
    people; reals numbered from 000, fakes both ways x 4 methods."""
    t = list(rng.permutation(train))
    test_people = []
    for a in _cycle(test, TEST_VIDEOS["ffpp_pairs"], rng):
        test_people += [a, _other(test, a, rng)]
    people = {
        "train": [t[0], t[1], t[2], t[3], t[1], t[2], t[3], t[0]],
        "val": [t[0], t[2]],  # held-out clips of training people (only 4 train faces exist)
        "test": test_people,
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
    """Celeb-DF-v2: ``CELEB_REAL`` Celeb-real + the rest YouTube-real, as many
    Celeb-synthesis swaps of the Celeb-real videos (``idT_idS_NNNN``)."""
    n = TEST_VIDEOS["cdf"]
    cid = {name: test.index(name) for name in test}  # Celeb-DF person ids idN
    lines, celeb, per_id, per_pair = [], [], {}, {}
    for k, name in enumerate(_cycle(test, n, rng)):
        if k < CELEB_REAL:
            j = per_id[name] = per_id.get(name, -1) + 1
            folder, file = "Celeb-real", f"id{cid[name]}_{j:04d}"
        else:
            folder, file = "YouTube-real", f"{k - CELEB_REAL:05d}"
        w.real("cdf", f"Celeb-DF-v2/{folder}/videos/{file}.mp4", _clip(name, rng))
        lines.append(f"1 {folder}/{file}.mp4")
        if k < CELEB_REAL:
            celeb.append((name, f"Celeb-DF-v2/{folder}/videos/{file}.mp4"))
    for k in range(n):
        name, real = celeb[k % len(celeb)]
        src = _other(test, name, rng)
        j = per_pair[name, src] = per_pair.get((name, src), -1) + 1
        file = f"id{cid[name]}_id{cid[src]}_{j:04d}.mp4"
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
    """DFDC test set: ``TEST_VIDEOS["dfdc"]`` real + as many fake under ``videos/``,
    ``labels.csv`` (1 = fake)."""
    taken, rows = set(), []
    for name in _cycle(test, TEST_VIDEOS["dfdc"], rng):
        real = f"DFDC/videos/{random_name(rng, taken)}.mp4"
        w.real("dfdc", real, _clip(name, rng))
        rows.append((Path(real).name, 0))
        fake = f"DFDC/videos/{random_name(rng, taken)}.mp4"
        w.fake("dfdc", fake, real, _clip(_other(test, name, rng), rng), "dfdc", rng)
        rows.append((Path(fake).name, 1))
    text = "filename,label\n" + "".join(f"{f},{lab}\n" for f, lab in sorted(rows))
    _write(w.root / "DFDC" / "labels.csv", text)


def dfdcp(w: Writer, train: list[str], test: list[str], rng: np.random.Generator) -> None:
    """DFDC-Preview: ``TEST_VIDEOS["dfdcp"]`` real + as many fake test videos (methods A
    and B, 3 : 2) and 2 ``set: train`` ones."""
    taken, index, pids = set(), {}, set()
    plan = [
        (name, _other(test, name, rng), "AAABB"[k % 5], "test")
        for k, name in enumerate(_cycle(test, TEST_VIDEOS["dfdcp"], rng))
    ]
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
    """FFIW-10K val: ``TEST_VIDEOS["ffiw"]`` multi-person reals (source/), the scenes in
    turn with their own camera motion, and one face swapped in each (target/)."""
    base = "FFIW/FFIW10K-v1-release"
    scenes = _ffiw_scenes(test)
    for k in range(TEST_VIDEOS["ffiw"]):
        scene = scenes[k % len(scenes)]
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
    """A benchmark no code knows: ``TEST_VIDEOS["wild"]`` real + as many face-swapped videos
    in ``Wild/real|fake/`` (the ``kind: folders`` convention), named like a camera roll."""
    n = TEST_VIDEOS["wild"]
    for k, name in enumerate(_cycle(test, n, rng)):
        real = f"Wild/real/VID_{k:04d}.mp4"
        w.real("wild", real, _clip(name, rng))
        src = _clip(_other(test, name, rng), rng)
        w.fake("wild", f"Wild/fake/VID_{k + n:04d}.mp4", real, src, "faceswap", rng)
