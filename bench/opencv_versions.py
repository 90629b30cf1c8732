"""OpenCV version effects on what preprocessing and synthesis use: the project's
opencv-python-headless against another release (SBI's Docker image had 4.5.4.60), side by
side on the same videos.

OpenCV 4.5.4 has no wheel for Python 3.11, so each release runs under an interpreter of its
own; this script imports only cv2 and numpy. Run it once per release (``dump``), then
compare (``compare``)::

    python3.10 -m venv /tmp/cv454
    /tmp/cv454/bin/pip install opencv-python-headless==4.5.4.60 "numpy<2"
    /tmp/cv454/bin/python bench/opencv_versions.py dump /tmp/cv454.npz VIDEO...
    .venv/bin/python bench/opencv_versions.py dump /tmp/cv414.npz VIDEO...
    .venv/bin/python bench/opencv_versions.py compare /tmp/cv454.npz /tmp/cv414.npz

Per video: the frame count the container reports, the frames decoded sequentially, and
the pixels of every decoded frame; per first frame: a bilinear resize to 380 x 380 (the
crop resize), the detector's upscale to 2048 on the longest side, a Gaussian blur of a
float32 hull mask (SBI's blend-mask blur) and a JPEG round trip at quality 75 (a test-time
distortion).
"""

from __future__ import annotations

import sys

import cv2
import numpy as np


def dump(out: str, videos: list[str]) -> None:
    arrays = {"version": np.array(cv2.__version__)}
    for i, path in enumerate(videos):
        cap = cv2.VideoCapture(path)
        arrays[f"{i}/reported"] = np.array(int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
        cap.release()
        arrays[f"{i}/frames"] = np.stack(frames)
        first = frames[0]
        arrays[f"{i}/resize"] = cv2.resize(first, (380, 380), interpolation=cv2.INTER_LINEAR)
        h, w = first.shape[:2]
        up = 2048 / max(h, w)  # the detector's LongestMaxSize(2048)
        size = (round(w * up), round(h * up))
        arrays[f"{i}/upscale"] = cv2.resize(first, size, interpolation=cv2.INTER_LINEAR)
        mask = np.zeros((h, w), np.float32)
        hull = np.array([[w // 4, h // 5], [3 * w // 4, h // 5], [4 * w // 5, 4 * h // 5],
                         [w // 5, 4 * h // 5]], np.int32)  # fmt: skip
        cv2.fillConvexPoly(mask, hull, 1.0)
        arrays[f"{i}/blur"] = cv2.GaussianBlur(mask, (15, 15), 0)
        ok, jpg = cv2.imencode(".jpg", first, [cv2.IMWRITE_JPEG_QUALITY, 75])
        arrays[f"{i}/jpeg"] = cv2.imdecode(jpg, cv2.IMREAD_COLOR)
        arrays[f"{i}/path"] = np.array(path)
    np.savez_compressed(out, **arrays)


def compare(a_path: str, b_path: str) -> None:
    a, b = np.load(a_path), np.load(b_path)
    print(f"OpenCV {a['version']} vs {b['version']}")
    print(
        "| video | reported a / b | decoded a / b | frames max diff | frames differing px % "
        "| resize max | 2048 max | blur max | jpeg max |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    n = len([k for k in a.files if k.endswith("/path")])
    for i in range(n):
        fa, fb = a[f"{i}/frames"], b[f"{i}/frames"]
        m = min(len(fa), len(fb))
        d = np.abs(fa[:m].astype(int) - fb[:m].astype(int))
        row = [
            str(a[f"{i}/path"]).split("/")[-1],
            f"{a[f'{i}/reported']} / {b[f'{i}/reported']}",
            f"{len(fa)} / {len(fb)}",
            str(d.max()),
            f"{100 * (d.max(axis=-1) > 0).mean():.3f}",
        ]
        for key in ("resize", "upscale", "blur", "jpeg"):
            row.append(f"{np.abs(a[f'{i}/{key}'].astype(float) - b[f'{i}/{key}']).max():.3g}")
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    {"dump": lambda args: dump(args[0], args[1:]), "compare": lambda args: compare(*args)}[
        sys.argv[1]
    ](sys.argv[2:])
