"""Protocols: face scores in the prediction store -> scored units (videos or frames).

A protocol is data: ``evaluation.protocols.<name>`` in the config holds its version and
parameters, and every result row records ``<name>/v<version>`` and the resolved parameters.
Each protocol returns one row per *unit* with ``video_id, label, subset, score, fallback``
(``fallback`` = the unit got ``no_face_score`` for lack of a face); the AUC is computed over
units, and the bootstrap always resamples *videos* (all units of a drawn video together).

- ``sbi_video`` (SBI, docs/sbi-recipe.md §5, paper §4.1): faces whose box area is below
  ``min_face_ratio`` x the frame's largest face are dropped, frame score = max over the
  remaining faces, video score = mean over frames with a face, a video without any face
  scores ``no_face_score`` (0.5). Unit: video.
- ``frame`` (SBI author, SBI issue #3): every sampled frame that was read is a unit, frame
  score = max over its faces (same size filter), a frame without a face scores
  ``no_face_score``; a video of which no frame could be read counts as one such frame.
- ``deepfakebench`` (DeepfakeBench style): one face per frame (the largest, as DFB's
  preprocessing crops it), video score = mean over frames with a face; frames without a face
  are dropped, and so are videos without any face (counted, not scored). Unit: video.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from adfd.registries import PROTOCOLS

UNIT_COLUMNS = ["video_id", "label", "subset", "score", "fallback"]


def _videos(store: pd.DataFrame) -> pd.DataFrame:
    return store.groupby("video_id", sort=True)[["label", "subset"]].first()


def _faces(store: pd.DataFrame, min_face_ratio: float) -> pd.DataFrame:
    faces = store[(store["frame_idx"] >= 0) & store["score"].notna()]
    area = (faces["x1"] - faces["x0"]) * (faces["y1"] - faces["y0"])
    largest = area.groupby([faces["video_id"], faces["frame_idx"]]).transform("max")
    return faces.assign(area=area)[area >= min_face_ratio * largest]


def _video_units(store: pd.DataFrame, frames: pd.Series, no_face_score: float) -> pd.DataFrame:
    """``sbi_video``: a video scores the mean of its frames with a face, else ``no_face_score``."""
    video = frames.groupby(level="video_id").mean()
    out = _videos(store).join(video.rename("score"))
    out["fallback"] = out["score"].isna()
    out["score"] = out["score"].fillna(no_face_score)
    return out.reset_index()[UNIT_COLUMNS]


def _frame_units(store: pd.DataFrame, frames: pd.Series, no_face_score: float) -> pd.DataFrame:
    """``frame``: every read frame is a unit; one without a face scores ``no_face_score``."""
    if "frames_read" not in store or (store["frames_read"] < 0).any():
        raise ValueError(
            "protocol 'frame' needs frames_read per video in the prediction store "
            "(stores written before it was recorded: re-run evaluate_run)"
        )
    videos = _videos(store)
    scored = frames.rename("score")
    scored = scored.reset_index().join(videos, on="video_id").assign(fallback=False)
    read = store.groupby("video_id", sort=True)["frames_read"].first()
    with_face = scored.groupby("video_id").size().reindex(read.index, fill_value=0)
    missing = np.maximum(read - with_face, 0)
    missing[(read == 0) & (with_face == 0)] = 1  # unreadable video: one 0.5 frame
    filler = videos.loc[np.repeat(read.index.values, missing.values)].reset_index()
    filler = filler.assign(score=float(no_face_score), fallback=True)
    out = pd.concat([scored[UNIT_COLUMNS], filler[UNIT_COLUMNS]], ignore_index=True)
    return out.sort_values(["video_id", "fallback"], kind="stable", ignore_index=True)


def _sbi_face_scores(units: Callable[[pd.DataFrame, pd.Series, float], pd.DataFrame]):
    """A protocol that scores each frame as SBI does, then makes ``units`` of the frames.

    Faces below ``min_face_ratio`` x the frame's largest are dropped and a frame scores
    ``face_agg`` over the rest; ``sbi_video`` and ``frame`` differ only in their units, so
    their parameters (read by :func:`protocol_params`) are this one signature.
    """

    def protocol(
        store: pd.DataFrame,
        *,
        min_face_ratio: float = 0.5,
        face_agg: str = "max",
        no_face_score: float = 0.5,
    ) -> pd.DataFrame:
        kept = _faces(store, min_face_ratio)
        frames = kept.groupby(["video_id", "frame_idx"])["score"].agg(face_agg)
        return units(store, frames, no_face_score)

    protocol.__doc__ = units.__doc__
    return protocol


sbi_video = PROTOCOLS.register("sbi_video")(_sbi_face_scores(_video_units))
frame = PROTOCOLS.register("frame")(_sbi_face_scores(_frame_units))


@PROTOCOLS.register("deepfakebench")
def deepfakebench(store: pd.DataFrame, *, face: str = "largest") -> pd.DataFrame:
    if face not in ("largest", "max"):
        raise ValueError(f"deepfakebench: face must be 'largest' or 'max', not {face!r}")
    videos = _videos(store)
    faces = _faces(store, 0.0)
    if face == "largest":
        faces = faces.sort_values(["video_id", "frame_idx", "area"], ascending=[True, True, False])
        per_frame = faces.groupby(["video_id", "frame_idx"])["score"].first()
    else:
        per_frame = faces.groupby(["video_id", "frame_idx"])["score"].max()
    video = per_frame.groupby(level="video_id").mean().rename("score")
    out = videos.join(video, how="inner").assign(fallback=False)
    return out.reset_index()[UNIT_COLUMNS]


def protocol_params(protocol: dict[str, Any]) -> dict[str, Any]:
    """The protocol's parameters with the implementation's defaults filled in."""
    fn = PROTOCOLS.get(protocol["name"])
    given = {k: v for k, v in protocol.items() if k not in ("name", "version")}
    sig = inspect.signature(fn)
    unknown = set(given) - set(sig.parameters)
    if unknown:
        raise ValueError(
            f"evaluation.protocols.{protocol['name']}: unknown parameter(s) {sorted(unknown)}; "
            f"known: {[p for p in sig.parameters if p != 'store']}"
        )
    defaults = {
        k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty
    }
    return {**defaults, **given}


def protocol_label(protocol: dict[str, Any]) -> str:
    return f"{protocol['name']}/v{protocol['version']}"


def video_scores(store: pd.DataFrame, protocol: dict[str, Any]) -> pd.DataFrame:
    """Apply a protocol (``{"name", "version", **params}``) to one store: scored units."""
    return PROTOCOLS.get(protocol["name"])(store, **protocol_params(protocol))


def resolve_protocol(evaluation: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """``{"name", "version", **params}`` of ``name`` (default: ``evaluation.protocol``)."""
    name = name or evaluation["protocol"]
    if name not in evaluation["protocols"]:
        raise KeyError(f"evaluation.protocols has no '{name}'")
    return {"name": name, **evaluation["protocols"][name]}
