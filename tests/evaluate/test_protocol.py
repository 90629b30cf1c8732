"""SBI video-level protocol on crafted stores: face filter, max, mean, 0.5 fallback."""

import math

import numpy as np
import pandas as pd
import pytest

from adfd.evaluate.metrics import auc_percent
from adfd.evaluate.protocol import video_scores
from adfd.evaluate.store import build_store

PROTOCOL = {"name": "sbi_video", "version": 1, "min_face_ratio": 0.5, "face_agg": "max",
            "no_face_score": 0.5}  # fmt: skip


def face(video, frame, idx, size, score):
    return dict(video_id=video, frame_idx=frame, face_idx=idx, x0=0.0, y0=0.0, x1=float(size),
                y1=float(size), score=score)  # fmt: skip


def make_store(faces, videos):
    return build_store(
        videos=pd.DataFrame(videos), faces=pd.DataFrame(faces), run_id="r", dataset="cdf",
        distortion="raw",
    )  # fmt: skip


def test_small_faces_dropped_max_per_frame_mean_over_frames():
    faces = [
        face("a", 0, 0, 100, 0.2), face("a", 0, 1, 80, 0.6),  # 80^2 >= 0.5 * 100^2: kept
        face("a", 0, 2, 60, 0.99),  # 60^2 < 0.5 * 100^2: dropped
        face("a", 8, 0, 100, 0.4),
    ]  # fmt: skip
    videos = [{"video_id": "a", "label": 1, "subset": "fake", "status": "ok"}]
    out = video_scores(make_store(faces, videos), PROTOCOL)
    assert out.loc[0, "score"] == pytest.approx((0.6 + 0.4) / 2)
    assert not out.loc[0, "fallback"]


def test_video_without_face_scores_half_and_is_counted():
    faces = [face("a", 0, 0, 50, 0.9)]
    videos = [
        {"video_id": "a", "label": 1, "subset": "fake", "status": "ok"},
        {"video_id": "b", "label": 0, "subset": "real", "status": "no_face"},
    ]
    store = make_store(faces, videos)
    assert (store["frame_idx"] == -1).sum() == 1
    out = video_scores(store, PROTOCOL).set_index("video_id")
    assert out.loc["b", "score"] == 0.5 and out.loc["b", "fallback"]
    assert out["fallback"].sum() == 1


def test_auc_percent():
    assert auc_percent(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 75.0
    assert math.isnan(auc_percent(np.array([1, 1]), np.array([0.2, 0.3])))


def test_unimplemented_protocol_is_named():
    with pytest.raises(
        NotImplementedError, match=r"not implemented: evaluation\.protocol\.name=frame"
    ):
        video_scores(make_store([face("a", 0, 0, 9, 0.1)],
                                [{"video_id": "a", "label": 0, "subset": "real", "status": "ok"}]),
                     {"name": "frame", "version": 1})  # fmt: skip
