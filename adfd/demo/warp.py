"""Geometry, colour and mask helpers for the classical face manipulations of the demo.

Landmark-driven warps (Umeyama similarity, least-squares affine, piecewise-affine over a
Delaunay triangulation of the 68 dlib points), Reinhard colour transfer in LAB, and convex-hull
masks. All pure functions of their inputs: randomness is drawn by the caller.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import Delaunay

# dlib 68-point index groups
JAW = np.arange(0, 17)
BROWS = np.arange(17, 27)
EYES = np.arange(36, 48)
NOSE = np.arange(27, 36)
MOUTH = np.arange(48, 68)


def umeyama(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares similarity mapping ``src`` (K, 2) onto ``dst`` (K, 2) (Umeyama 1991)."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s, d = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(d.T @ s / len(src))
    e = np.diag([1.0, np.sign(np.linalg.det(u @ vt))])
    r = u @ e @ vt
    scale = np.trace(np.diag(sig) @ e) / s.var(axis=0).sum()
    a = scale * r
    return np.hstack([a, (mu_d - a @ mu_s)[:, None]])


def affine(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 least-squares affine map of ``src`` (K, 2) onto ``dst`` (K, 2)."""
    x = np.hstack([src, np.ones((len(src), 1))])
    sol, *_ = np.linalg.lstsq(x, dst, rcond=None)
    return sol.T


def warp(image: np.ndarray, m: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Warp ``image`` by the 2x3 matrix ``m`` into a (W, H) = ``size`` canvas."""
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def triangles(pts: np.ndarray) -> np.ndarray:
    """Delaunay triangles (T, 3) of landmark indices (Qhull is deterministic for fixed input)."""
    return Delaunay(pts.astype(np.float64)).simplices


def piecewise_affine(
    src: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, tris: np.ndarray, size
) -> np.ndarray:
    """Warp ``src`` so each landmark triangle lands on its ``dst_pts`` counterpart."""
    out = np.zeros((size[1], size[0], 3), np.float32)
    for tri in tris:
        s, d = src_pts[tri].astype(np.float32), dst_pts[tri].astype(np.float32)
        x, y, w, h = cv2.boundingRect(d)
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + w, size[0]), min(y + h, size[1])
        if x1 <= x0 or y1 <= y0:
            continue
        m = cv2.getAffineTransform(s, d - np.float32([x0, y0]))
        patch = cv2.warpAffine(
            src, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.rint(d - [x0, y0]).astype(np.int32), 1)
        region = out[y0:y1, x0:x1]
        region[mask > 0] = patch[mask > 0]
    return np.clip(out, 0, 255).astype(np.uint8)


def hull_mask(shape: tuple[int, int], pts: np.ndarray, grow: float = 0.0) -> np.ndarray:
    """(H, W) float32 {0, 1} convex hull of ``pts``, scaled by (1 + grow) about its centroid."""
    c = pts.mean(axis=0)
    p = (pts - c) * (1.0 + grow) + c
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, cv2.convexHull(np.rint(p).astype(np.int32)), 1)
    return mask.astype(np.float32)


def face_mask(shape: tuple[int, int], lm: np.ndarray, grow: float = 0.0) -> np.ndarray:
    """Hull of jaw + brows (the whole inner face)."""
    return hull_mask(shape, lm[np.concatenate([JAW, BROWS])], grow)


def feather(mask: np.ndarray, kernel: int) -> np.ndarray:
    """Soften a mask: erode by kernel/2 then Gaussian blur with an odd ``kernel``."""
    k = int(kernel) | 1
    eroded = cv2.erode(mask, np.ones((k // 2 + 1, k // 2 + 1), np.uint8))
    return cv2.GaussianBlur(eroded, (k, k), 0)


def reinhard(src: np.ndarray, dst: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Match ``src``'s LAB mean/std to ``dst``'s inside ``mask`` (Reinhard et al. 2001).

    Only the mask's bounding box (plus a margin) is recoloured: callers use the result there.
    """
    sel = mask > 0.5
    if sel.sum() < 16:
        return src
    x, y, w, h = cv2.boundingRect(sel.astype(np.uint8))
    pad = max(w, h) // 4
    x0, y0 = max(x - pad, 0), max(y - pad, 0)
    x1, y1 = min(x + w + pad, src.shape[1]), min(y + h + pad, src.shape[0])
    box = (slice(y0, y1), slice(x0, x1))
    s = cv2.cvtColor(src[box], cv2.COLOR_RGB2LAB).astype(np.float32)
    d = cv2.cvtColor(np.ascontiguousarray(dst[box]), cv2.COLOR_RGB2LAB).astype(np.float32)
    m = sel[box].astype(np.uint8)
    ms, ss = (v.ravel() for v in cv2.meanStdDev(s, mask=m))
    md, sd = (v.ravel() for v in cv2.meanStdDev(d, mask=m))
    lab = np.clip((s - ms) * (sd / (ss + 1e-3)) + md, 0, 255).astype(np.uint8)
    out = src.copy()
    out[box] = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    return out


def alpha_blend(fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """fg·α + bg·(1 − α) with α (H, W) in [0, 1]."""
    a = alpha[..., None]
    out = fg.astype(np.float32) * a + bg.astype(np.float32) * (1.0 - a)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def poisson(fg: np.ndarray, bg: np.ndarray, mask: np.ndarray, mixed: bool = False) -> np.ndarray:
    """cv2.seamlessClone of ``fg`` (already in ``bg``'s frame) into ``bg`` inside ``mask``."""
    m = (mask > 0.5).astype(np.uint8) * 255
    m[:2], m[-2:], m[:, :2], m[:, -2:] = 0, 0, 0, 0  # seamlessClone needs a border-free mask
    x, y, w, h = cv2.boundingRect(m)
    if w < 4 or h < 4:
        return bg.copy()
    flag = cv2.MIXED_CLONE if mixed else cv2.NORMAL_CLONE
    return cv2.seamlessClone(fg, bg, m, (x + w // 2, y + h // 2), flag)


def jpeg(image: np.ndarray, quality: int) -> np.ndarray:
    """JPEG round trip at ``quality`` (OpenCV, RGB in and out)."""
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    _, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def resample(image: np.ndarray, factor: float) -> np.ndarray:
    """Down- then up-sample by ``factor`` < 1: the low-resolution look of a generated face."""
    h, w = image.shape[:2]
    small = cv2.resize(
        image, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA
    )
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
