"""``adfd synth preview``: a table row's pairs as a PNG grid (real faces, real config)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from adfd.cli import main
from adfd.preprocess.shards import RealFace
from adfd.synthesis.preview import preview_grid


def test_preview_grid_png(face, syn_cfg, data_cfg, tmp_path):
    syn_cfg["mask"]["name"] = "bbmg"
    data_cfg["image_size"] = 64
    real = RealFace("astronaut", face.image, face.landmarks, face.box)
    out = preview_grid([real], syn_cfg, data_cfg, tmp_path / "g.png", n=3, seed=1)
    image = np.asarray(Image.open(out))
    assert image.ndim == 3 and min(image.shape[:2]) > 200  # 3 rows x 3 columns + labels


def test_cli_synth_preview(tmp_path, capsys):
    out = tmp_path / "t12.png"
    assert main(["synth", "preview", "table12", "2", "--n", "2", "--out", str(out)]) == 0
    assert out.is_file() and capsys.readouterr().out.strip() == str(out)
