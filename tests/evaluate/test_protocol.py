"""SBI video-level protocol on crafted stores: face filter, max, mean, 0.5 fallback."""

import pandas as pd
import pytest

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


FRAME = {"name": "frame", "version": 1}
DFB = {"name": "deepfakebench", "version": 1}


def two_videos():
    faces = [
        face("a", 0, 0, 100, 0.2), face("a", 0, 1, 80, 0.6), face("a", 0, 2, 60, 0.99),
        face("a", 8, 0, 100, 0.4),
    ]  # fmt: skip
    videos = [
        {"video_id": "a", "label": 1, "subset": "fake", "status": "ok", "frames_read": 4},
        {"video_id": "b", "label": 0, "subset": "real", "status": "no_face", "frames_read": 3},
    ]
    return make_store(faces, videos)


def test_frame_protocol_scores_every_read_frame():
    units = video_scores(two_videos(), FRAME)
    a = units[units["video_id"] == "a"].sort_values("score")
    # frame 0: max of kept faces 0.6; frame 8: 0.4; 2 read frames without a face: 0.5
    assert a["score"].tolist() == [0.4, 0.5, 0.5, 0.6]
    assert a["fallback"].sum() == 2
    b = units[units["video_id"] == "b"]
    assert len(b) == 3 and (b["score"] == 0.5).all() and b["fallback"].all()


def test_frame_protocol_needs_frames_read():
    video = {"video_id": "a", "label": 0, "subset": "real", "status": "ok"}
    store = make_store([face("a", 0, 0, 9, 0.1)], [video])
    with pytest.raises(ValueError, match="frames_read"):
        video_scores(store, FRAME)


def test_deepfakebench_largest_face_mean_and_videos_without_face_dropped():
    units = video_scores(two_videos(), DFB).set_index("video_id")
    assert list(units.index) == ["a"]  # b has no face: dropped, not scored 0.5
    assert units.loc["a", "score"] == pytest.approx((0.2 + 0.4) / 2)  # largest face per frame


def test_protocol_parameters_are_checked_and_defaults_resolved():
    from adfd.evaluate.protocol import protocol_params

    assert protocol_params(DFB) == {"face": "largest"}
    assert protocol_params({**PROTOCOL, "no_face_score": 0.3})["no_face_score"] == 0.3
    with pytest.raises(ValueError, match="unknown parameter"):
        protocol_params({**DFB, "min_face_ratio": 0.5})
