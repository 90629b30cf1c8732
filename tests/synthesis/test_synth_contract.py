"""Contract tests over every registered synthesis axis value (shape, dtype, range, seeds)."""

from __future__ import annotations

import pathlib
import re
import tokenize

import numpy as np
import pytest

import adfd.synthesis as syn
from adfd.registries import BLENDS, BLURS, MASKS
from adfd.registry import Registry

SYNTH_DIR = pathlib.Path(syn.__file__).parent


def run(face, syn_cfg, data_cfg, seed, train=True, lm=None):
    landmarks = face.landmarks if lm is None else lm
    rng = np.random.default_rng(seed)
    return syn.make_training_pair(
        face.image, landmarks, face.box, syn_cfg, data_cfg, rng, train=train
    )


def test_every_declared_value_is_registered():
    for reg in (MASKS, BLURS, BLENDS):
        assert reg.declared and sorted(reg.declared) == reg.implemented(), reg.axis


def test_declared_but_unregistered_raises_naming_the_axis():
    reg = Registry("synthesis.mask.name", ("done", "todo"))
    reg.register("done")(lambda: None)
    with pytest.raises(NotImplementedError, match=re.escape("synthesis.mask.name=todo")):
        reg.get("todo")


@pytest.mark.parametrize(
    ("path", "value"),
    [(("mask", "name"), "hull"), (("blur", "name"), "gausian"), (("blend", "name"), "mix")],
)
def test_unknown_names_raise_keyerror(face, syn_cfg, data_cfg, path, value):
    syn_cfg[path[0]][path[1]] = value
    with pytest.raises(KeyError, match=value):
        run(face, syn_cfg, data_cfg, 0)


def test_unknown_transform_object_raises(face, syn_cfg, data_cfg):
    syn_cfg["transforms"]["object"] = "neither"
    with pytest.raises(KeyError, match=r"transforms\.object"):
        run(face, syn_cfg, data_cfg, 0)


# New registry entries are picked up here automatically (timm style).
AXES = (
    [("mask", "name", v) for v in MASKS.implemented()]
    + [("blur", "name", v) for v in BLURS.implemented()]
    + [("blend", "name", v) for v in BLENDS.implemented()]
    + [("mask", "dtype", v) for v in ("uint8", "float32")]
    + [("transforms", "object", v) for v in ("source", "target", "both", "either")]
)


@pytest.mark.parametrize(("node", "key", "value"), AXES)
@pytest.mark.parametrize("train", [True, False])
def test_contract(face, syn_cfg, data_cfg, node, key, value, train):
    syn_cfg[node][key] = value
    data_cfg["image_size"] = 96
    a = run(face, syn_cfg, data_cfg, 11, train)
    b = run(face, syn_cfg, data_cfg, 11, train)
    for x in a:
        assert x.shape[:2] == (96, 96)
    assert a.real.dtype == a.fake.dtype == np.uint8
    assert a.real.shape == a.fake.shape == (96, 96, 3)
    assert a.mask.dtype == np.float32
    assert a.mask.min() >= 0 and a.mask.max() <= 1 and a.mask.max() > 0
    for x, y in zip(a, b, strict=True):
        assert x.tobytes() == y.tobytes()  # same seed -> same bytes
    others = [run(face, syn_cfg, data_cfg, s, train) for s in (12, 13)]
    assert any(o.fake.tobytes() != a.fake.tobytes() for o in others)


@pytest.mark.parametrize("mask", MASKS.implemented())
def test_81_points_and_full_size(face, syn_cfg, data_cfg, mask):
    syn_cfg["mask"]["name"] = mask
    pair = run(face, syn_cfg, data_cfg, 3, lm=face.landmarks81)
    assert pair.real.shape == pair.fake.shape == (380, 380, 3)
    assert pair.mask.shape == (380, 380)
    assert not np.array_equal(pair.real, pair.fake)


def _code_only(path: pathlib.Path) -> str:
    """Source without comments and string literals (they cite SBI's own RNG calls)."""
    with path.open("rb") as fh:
        toks = tokenize.tokenize(fh.readline)
        keep = [t.string for t in toks if t.type in (tokenize.NAME, tokenize.OP)]
    return " ".join(keep)


def test_no_global_random_calls():
    """Nothing calls numpy's or Python's module-level RNG: every draw comes from ``rng``."""
    for path in SYNTH_DIR.glob("*.py"):
        code = _code_only(path)
        uses = set(re.findall(r"np \. random \. (\w+)", code))
        assert uses <= {"Generator", "default_rng"}, f"{path.name}: np.random.{uses}"
        assert not re.search(r"\bimport random\b|\bfrom random import\b", code), path.name


@pytest.mark.parametrize("name", MASKS.implemented())
@pytest.mark.parametrize(("dtype", "value"), [("float32", 255), ("uint8", 1), ("uint8", 255)])
def test_mask_registry_contract(face, syn_cfg, name, dtype, value):
    """A mask is a plain (H, W) array of ``dtype`` or a ``SelfBlurred`` whose layers are."""
    from adfd.synthesis.masks import build_mask
    from adfd.synthesis.pipeline import landmark_crop, with_blend_mask

    image, lm, _ = landmark_crop(face.image, face.landmarks81, face.box)
    syn_cfg["mask"].update(name=name, dtype=dtype, value=value)
    shape = image.shape[:2]
    generated = build_mask(lm, shape, syn_cfg["mask"], np.random.default_rng(0))
    layers, finish = with_blend_mask(generated)
    assert layers.shape[:2] == shape and layers.dtype == np.dtype(dtype)
    assert set(np.unique(layers)) <= ({0, 1} if dtype == "float32" else set(range(value + 1)))
    blurred = finish(layers, syn_cfg["blur"], np.random.default_rng(1))
    assert blurred.shape == shape
    assert blurred.min() >= 0 and blurred.max() <= 1 + 1e-6 and blurred.max() > 0.9
