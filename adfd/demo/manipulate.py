"""Classical face manipulations between different identities, one recipe per fake folder.

Each recipe maps a target frame (and its landmarks) plus a source frame (another identity)
to a fake frame; it is applied frame by frame so a fake moves exactly like its target video.
Recipes (none of them self-blending: the inserted face always belongs to another person):

- ``deepfakes``: Umeyama-aligned whole-face swap, low-resolution re-synthesis look, Reinhard
  colour transfer in LAB, feathered hull blend (FF++ Deepfakes).
- ``faceswap``: piecewise-affine (Delaunay) warp + Poisson blending (FF++ FaceSwap).
- ``face2face``: expression part swap: eyes and mouth regions of the source (FF++ Face2Face).
- ``neuraltextures``: mouth-region swap re-rendered with blur + unsharp masking (FF++ NT).
- ``celebdf``: affine swap, colour transfer, wide smooth mask (Celeb-DF's refined blending).
- ``dfdc``: similarity swap with JPEG-compressed face + Poisson blending (DFDC).
- ``dfdcp_a`` / ``dfdcp_b``: piecewise-affine without colour correction / low-resolution face
  with Poisson blending (DFDC-Preview methods A and B).
- ``ffiw``: Poisson-blended swap of one face in a multi-person frame (FFIW-10K).

Random choices are drawn once per video by ``draw_params`` (from the caller's generator),
then every frame uses the same plain numbers.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from adfd.demo import warp as W
from adfd.demo.motion import Clip


def deepfakes(tgt, tgt_lm, src, src_lm, *, res: float, feather: int) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.resample(W.warp(src, W.umeyama(src_lm, tgt_lm), size), res)
    mask = W.face_mask(tgt.shape[:2], tgt_lm)
    face = W.reinhard(face, tgt, mask)
    return W.alpha_blend(face, tgt, W.feather(mask, feather))


def faceswap(tgt, tgt_lm, src, src_lm, *, tris: np.ndarray, grow: float) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    warped = W.piecewise_affine(src, src_lm, tgt_lm, tris, size)
    valid = warped.any(axis=2)  # outside the triangles the warp is empty: keep the target
    mask = W.face_mask(tgt.shape[:2], tgt_lm, grow) * valid
    face = np.where(valid[..., None], W.reinhard(warped, tgt, mask), tgt)
    return W.poisson(face, tgt, mask)


def face2face(tgt, tgt_lm, src, src_lm, *, grow: float, feather: int) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.warp(src, W.umeyama(src_lm, tgt_lm), size)
    shape = tgt.shape[:2]
    parts = [W.hull_mask(shape, tgt_lm[idx], grow) for idx in (W.EYES[:6], W.EYES[6:], W.MOUTH)]
    mask = np.clip(sum(parts), 0, 1)
    face = W.reinhard(face, tgt, W.face_mask(shape, tgt_lm))
    return W.alpha_blend(face, tgt, W.feather(mask, feather))


def neuraltextures(tgt, tgt_lm, src, src_lm, *, sigma: float, amount: float, feather: int):
    size = (tgt.shape[1], tgt.shape[0])
    region = np.concatenate([W.MOUTH, W.JAW[4:13]])
    face = W.warp(src, W.umeyama(src_lm[region], tgt_lm[region]), size)
    mask = W.hull_mask(tgt.shape[:2], tgt_lm[W.MOUTH], 0.35)
    face = W.reinhard(face, tgt, W.face_mask(tgt.shape[:2], tgt_lm))
    blurred = cv2.GaussianBlur(face, (0, 0), sigma)
    sharp = cv2.addWeighted(face, 1 + amount, cv2.GaussianBlur(blurred, (0, 0), sigma), -amount, 0)
    return W.alpha_blend(sharp, tgt, W.feather(mask, feather))


def celebdf(tgt, tgt_lm, src, src_lm, *, grow: float, feather: int) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.warp(src, W.affine(src_lm, tgt_lm), size)
    mask = W.face_mask(tgt.shape[:2], tgt_lm, grow)
    face = W.reinhard(face, tgt, mask)
    return W.alpha_blend(face, tgt, W.feather(mask, feather))


def dfdc(tgt, tgt_lm, src, src_lm, *, quality: int) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.warp(src, W.umeyama(src_lm, tgt_lm), size)
    mask = W.face_mask(tgt.shape[:2], tgt_lm)
    face = W.jpeg(W.reinhard(face, tgt, mask), quality)
    return W.poisson(face, tgt, mask)


def dfdcp_a(tgt, tgt_lm, src, src_lm, *, tris: np.ndarray, feather: int) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.piecewise_affine(src, src_lm, tgt_lm, tris, size)
    mask = W.face_mask(tgt.shape[:2], tgt_lm, -0.03) * (face.any(axis=2) > 0)
    return W.alpha_blend(face, tgt, W.feather(mask.astype(np.float32), feather))


def dfdcp_b(tgt, tgt_lm, src, src_lm, *, res: float) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.resample(W.warp(src, W.umeyama(src_lm, tgt_lm), size), res)
    return W.poisson(face, tgt, W.face_mask(tgt.shape[:2], tgt_lm))


def ffiw(tgt, tgt_lm, src, src_lm, *, grow: float) -> np.ndarray:
    size = (tgt.shape[1], tgt.shape[0])
    face = W.warp(src, W.umeyama(src_lm, tgt_lm), size)
    mask = W.face_mask(tgt.shape[:2], tgt_lm, grow)
    return W.poisson(W.reinhard(face, tgt, mask), tgt, mask)


RECIPES = {
    "deepfakes": deepfakes,
    "faceswap": faceswap,
    "face2face": face2face,
    "neuraltextures": neuraltextures,
    "celebdf": celebdf,
    "dfdc": dfdc,
    "dfdcp_a": dfdcp_a,
    "dfdcp_b": dfdcp_b,
    "ffiw": ffiw,
}


def _odd(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1)) | 1


def draw_params(recipe: str, rng: np.random.Generator, tgt_lm: np.ndarray) -> dict:
    """The per-video random parameters of ``recipe`` (``tgt_lm``: first-frame landmarks)."""
    tris = W.triangles(tgt_lm)
    draws = {
        "deepfakes": lambda: {"res": rng.uniform(0.5, 0.75), "feather": _odd(rng, 9, 21)},
        "faceswap": lambda: {"tris": tris, "grow": rng.uniform(-0.04, 0.0)},
        "face2face": lambda: {"grow": rng.uniform(0.3, 0.6), "feather": _odd(rng, 5, 11)},
        "neuraltextures": lambda: {
            "sigma": rng.uniform(1.0, 2.0),
            "amount": rng.uniform(0.6, 1.2),
            "feather": _odd(rng, 7, 13),
        },
        "celebdf": lambda: {"grow": rng.uniform(0.0, 0.05), "feather": _odd(rng, 21, 35)},
        "dfdc": lambda: {"quality": int(rng.integers(15, 36))},
        "dfdcp_a": lambda: {"tris": tris, "feather": _odd(rng, 5, 9)},
        "dfdcp_b": lambda: {"res": rng.uniform(0.4, 0.55)},
        "ffiw": lambda: {"grow": rng.uniform(-0.05, 0.0)},
    }
    if recipe not in draws:
        raise KeyError(f"unknown demo manipulation {recipe!r}; known: {sorted(RECIPES)}")
    return draws[recipe]()


def fake_clip(target: Clip, source: Clip, recipe: str, params: dict, face: int = 0) -> Clip:
    """Put ``source``'s face (face 0) onto face ``face`` of every ``target`` frame.

    ``params`` from ``draw_params``; pure, so fakes can be rendered on worker threads.
    """
    if source.identities[0] == target.identities[face]:
        raise ValueError(f"demo fake needs two identities, got {source.identities[0]!r} twice")
    fn = RECIPES[recipe]
    frames = []
    for k, tgt in enumerate(target.frames):
        j = k % len(source.frames)
        frames.append(
            fn(tgt, target.landmarks[k, face], source.frames[j], source.landmarks[j, 0], **params)
        )
    ids = list(target.identities)
    ids[face] = source.identities[0]
    return replace(target, frames=np.stack(frames), identities=tuple(ids))
