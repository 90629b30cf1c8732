"""Mask generation (paper Tables 2-3; docs/sbi-recipe.md §3 step 4b, §6 "LAL", §8 table).

Registered in ``MASKS``:
- ``sbi_hull``: SBI's fallback "global" mask, the convex hull of all landmarks given
  (81, or 68 after truncation) filled with ``cv2.fillConvexPoly``.
- ``lal``: the Face X-ray "landmark augmentation library" as SBI uses it
  (``random_get_hull``): one of four hull types ``dfl_full``, ``extended``, ``components``,
  ``facehull`` chosen uniformly, built from the landmark index groups of docs/sbi-recipe.md §6.

Both draw with the configured canvas ``dtype`` (uint8 | float32), drawn ``value`` (1 | 255) and
``line_type`` (LINE_8 | LINE_AA): Table 3's axes. The line type is applied to every polygon;
the LAL itself draws LINE_8 except ``facehull`` (LINE_AA), and OpenCV ignores LINE_AA on
float32 canvases, so the float32 baseline is the LAL's exact output.

Registry contract: ``fn(landmarks, shape, rng, *, dtype, value, line_type, **own)`` where
``own`` is the mask's own config node ``synthesis.mask.<name>`` (e.g. ``mask.bbmg``), if any;
:func:`on_canvas` writes that signature once for every mask, which draws on a :class:`Canvas`.
It returns either a plain (H, W) mask of ``dtype``, which the pipeline warps (affine,
elastic) and then blurs with ``synthesis.blur`` (SBI's blend mask), or a ``SelfBlurred``
(BBMG): layers that the pipeline warps the same way and then hands to the mask's own
``finish``; ``synthesis.blur`` is never applied to its result a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import cv2
import numpy as np

from adfd.registries import MASKS

DTYPES = {"uint8": np.uint8, "float32": np.float32}  # Table 3 "DataType"
LINE_TYPES = {"LINE_8": cv2.LINE_8, "LINE_AA": cv2.LINE_AA}  # Table 3 "LineType"


class Canvas(NamedTuple):
    """What a mask is drawn on and with (Table 3's axes): canvas dtype, drawn value, line type."""

    dtype: str
    value: float
    line_type: str


def on_canvas(dtype: str = "float32", value: float = 255, line_type: str = "LINE_8"):
    """Give ``draw(landmarks, shape, rng, canvas, **own)`` the registry's keyword contract.

    The defaults are the canvas a direct call draws on (the pipeline always passes the
    configured one): the LAL's (float32 canvas drawn with 255, LINE_8) unless given.
    """

    def wrap(draw: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(draw)
        def mask(
            landmarks: np.ndarray,
            shape: tuple[int, int],
            rng: np.random.Generator,
            *,
            dtype: str = dtype,
            value: float = value,
            line_type: str = line_type,
            **own: Any,
        ) -> Any:
            return draw(landmarks, shape, rng, Canvas(dtype, value, line_type), **own)

        return mask

    return wrap


class SelfBlurred(NamedTuple):
    """A mask that makes its own blend mask (BBMG, Eq. 3) instead of SBI's blend-mask blur.

    layers: (H, W, C) canvas-dtype layers, warped together with the source by the affine and
    the elastic (as an SBI mask); finish(layers, blur_cfg, rng) -> (H, W) float in [0, 1],
    the final blend mask, which the pipeline blends with and never blurs again.
    """

    layers: np.ndarray
    finish: Callable[[np.ndarray, dict, np.random.Generator], np.ndarray]


def channel_max(layers: np.ndarray) -> np.ndarray:
    """Max over the last axis of (H, W, C), one plane at a time (numpy's axis=2 reduction over
    a few interleaved channels is several times slower)."""
    out = layers[..., 0].copy()
    for i in range(1, layers.shape[2]):
        np.maximum(out, layers[..., i], out=out)
    return out


def nonzero_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1), exclusive ends, of the pixels where the (H, W) mask, or any channel
    of an (H, W, C) one, is non-zero; None for an all-zero mask."""
    flat = mask if mask.ndim == 2 else channel_max(mask)
    rows = np.flatnonzero(flat.max(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(flat[rows[0] : rows[-1] + 1].max(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _canvas(shape: tuple[int, int], dtype: str) -> np.ndarray:
    if dtype not in DTYPES:
        raise KeyError(f"unknown synthesis.mask.dtype '{dtype}'; allowed: {', '.join(DTYPES)}")
    return np.zeros(shape, dtype=DTYPES[dtype])


def draw_hulls(
    shape: tuple[int, int], parts: list[np.ndarray], dtype: str, value: float, line_type: str
) -> np.ndarray:
    """Union of the convex hulls of ``parts`` (int32 point arrays) on an (H, W) canvas."""
    if line_type not in LINE_TYPES:
        raise KeyError(
            f"unknown synthesis.mask.line_type '{line_type}'; allowed: {', '.join(LINE_TYPES)}"
        )
    canvas = _canvas(shape, dtype)
    for part in parts:
        hull = cv2.convexHull(np.asarray(part, dtype=np.int32))
        cv2.fillConvexPoly(canvas, hull, float(value), lineType=LINE_TYPES[line_type])
    if canvas.dtype == np.float32:
        # LAL: float32 canvas drawn with 255, then /255, so float32 masks are exactly {0, 1}
        # whatever the drawn value (OpenCV draws no anti-aliased edge on float32 canvases).
        canvas /= np.float32(value)
    return canvas


def binary_canvas(region: np.ndarray, dtype: str, value: float) -> np.ndarray:
    """A boolean (H, W) region in the canvas convention of ``draw_hulls``.

    float32: {0, 1} (drawn value divided out, as the LAL); uint8: {0, value}.
    """
    canvas = _canvas(region.shape, dtype)
    canvas[region] = 1 if canvas.dtype == np.float32 else value
    return canvas


def _pts(landmarks: np.ndarray, *groups: range | int) -> np.ndarray:
    idx: list[int] = []
    for g in groups:
        idx.extend([g] if isinstance(g, int) else list(g))
    return landmarks[idx]


def dfl_full_parts(lm: np.ndarray) -> list[np.ndarray]:
    """LAL ``dfl_full``: jaw + mouth, nose ridge, eyes + brows (docs/sbi-recipe.md §6)."""
    return [
        _pts(lm, range(0, 17), range(48, 68), 0, 8, 16),
        _pts(lm, range(27, 31), 33),
        _pts(lm, range(17, 27), 0, 27, 16, 33),
    ]


def components_parts(lm: np.ndarray) -> list[np.ndarray]:
    """LAL ``components``: 8 hulls (jaws, cheeks, "nose ridge", eyes, nose; sbi-recipe.md §6)."""
    return [
        _pts(lm, range(0, 9), 17),  # right jaw
        _pts(lm, range(8, 17), 26),  # left jaw
        _pts(lm, range(17, 20), 8),  # right cheek
        _pts(lm, range(24, 27), 8),  # left cheek
        _pts(lm, range(19, 25), 8),  # "nose ridge"
        _pts(lm, range(17, 22), 27, range(31, 36), 8),  # right eye
        _pts(lm, range(22, 27), 27, range(31, 36), 8),  # left eye
        _pts(lm, range(27, 31), range(31, 36)),  # nose
    ]


def extended_parts(lm: np.ndarray) -> list[np.ndarray]:
    """LAL ``extended``: ``components`` after raising each brow by half its offset to the eye top.

    Eye-top references: (q_l, 36, 37, 38, 39) and (42, 43, 44, 45, q_r), where q is a quarter of
    the way from the outer eye corner towards the face edge (0 or 16); integer ``//`` throughout.
    """
    lm = lm.copy()
    q_l = (lm[36] + (lm[36] + lm[0]) // 2) // 2
    q_r = (lm[45] + (lm[45] + lm[16]) // 2) // 2
    eye_l = np.stack([q_l, lm[36], lm[37], lm[38], lm[39]])
    eye_r = np.stack([lm[42], lm[43], lm[44], lm[45], q_r])
    lm[17:22] = lm[17:22] + (lm[17:22] - eye_l) // 2
    lm[22:27] = lm[22:27] + (lm[22:27] - eye_r) // 2
    return components_parts(lm)


def facehull_parts(lm: np.ndarray) -> list[np.ndarray]:
    """LAL ``facehull``: the convex hull of every landmark given (81 or 68)."""
    return [lm]


# Face X-ray random_get_hull: random.choice([0, 1, 2, 3]) over these, in this order.
LAL_HULLS: dict[str, Callable[[np.ndarray], list[np.ndarray]]] = {
    "dfl_full": dfl_full_parts,
    "extended": extended_parts,
    "components": components_parts,
    "facehull": facehull_parts,
}


def lal_hull(
    landmarks: np.ndarray,
    shape: tuple[int, int],
    kind: str,
    dtype: str,
    value: float,
    line_type: str,
) -> np.ndarray:
    """One named LAL hull type on an (H, W) canvas (landmarks cast to int32 as the LAL does)."""
    lm = np.asarray(landmarks).astype(np.int32)
    return draw_hulls(shape, LAL_HULLS[kind](lm), dtype, value, line_type)


@MASKS.register("sbi_hull")
# SBI fallback: zeros_like(uint8 image), fillConvexPoly(..., 1.); OpenCV's default line type
@on_canvas(dtype="uint8", value=1)
def sbi_hull(landmarks: np.ndarray, shape: tuple[int, int], rng, canvas: Canvas) -> np.ndarray:
    """Global mask: convex hull of all landmarks. Returns (H, W) of ``dtype``; draws nothing."""
    lm = np.asarray(landmarks).astype(np.int32)  # SBI landmarks are int (shape_to_np)
    return draw_hulls(shape, [lm], *canvas)


@MASKS.register("lal")
@on_canvas()  # LAL: float32 canvas, drawn with 255
def lal(landmarks: np.ndarray, shape: tuple[int, int], rng, canvas: Canvas) -> np.ndarray:
    """LAL mask: one of the four hull types, uniform (Face X-ray ``random_get_hull``)."""
    kind = list(LAL_HULLS)[int(rng.integers(len(LAL_HULLS)))]
    return lal_hull(landmarks, shape, kind, *canvas)


def build_mask(
    landmarks: np.ndarray, shape: tuple[int, int], mask_cfg: dict, rng: np.random.Generator
) -> np.ndarray | SelfBlurred:
    """Build ``synthesis.mask`` by name from config (raises for unimplemented names).

    The mask's own options, if any, come from ``synthesis.mask.<name>`` (e.g. ``mask.bbmg``).
    """
    name = mask_cfg["name"]
    fn = MASKS.get(name)
    own = mask_cfg.get(name) or {}
    return fn(
        landmarks,
        shape,
        rng,
        dtype=mask_cfg["dtype"],
        value=mask_cfg["value"],
        line_type=mask_cfg["line_type"],
        **own,
    )
