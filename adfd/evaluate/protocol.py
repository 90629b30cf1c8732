"""Video-level protocols: face scores in the prediction store -> one score per video.

``sbi_video`` is the SBI protocol (reference §5, paper §4.1): faces whose box area is below
``min_face_ratio`` x the frame's largest face are dropped, the frame score is the max over
the remaining faces, the video score the mean over frames with a face, and a video without
any face scores ``no_face_score`` (0.5) and is counted as a fallback.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from adfd.registries import PROTOCOLS


@PROTOCOLS.register("sbi_video")
def sbi_video(
    store: pd.DataFrame,
    *,
    min_face_ratio: float = 0.5,
    face_agg: str = "max",
    no_face_score: float = 0.5,
) -> pd.DataFrame:
    videos = store.groupby("video_id", sort=True)[["label", "subset"]].first()
    faces = store[(store["frame_idx"] >= 0) & store["score"].notna()]
    area = (faces["x1"] - faces["x0"]) * (faces["y1"] - faces["y0"])
    largest = area.groupby([faces["video_id"], faces["frame_idx"]]).transform("max")
    kept = faces[area >= min_face_ratio * largest]
    frame = kept.groupby(["video_id", "frame_idx"])["score"].agg(face_agg)
    video = frame.groupby(level="video_id").mean()
    out = videos.join(video.rename("score"))
    out["fallback"] = out["score"].isna()
    out["score"] = out["score"].fillna(no_face_score)
    return out.reset_index()


def video_scores(store: pd.DataFrame, protocol: dict[str, Any]) -> pd.DataFrame:
    """Apply the configured protocol (``evaluation.protocol``) to one store."""
    params = {k: v for k, v in protocol.items() if k not in ("name", "version")}
    return PROTOCOLS.get(protocol["name"])(store, **params)
