"""The Table 7 demo through a real Slurm (sbatch, fake GPUs), and the two faults a cluster run
must survive: a training job cancelled by Slurm, and the Snakemake controller killed.

Needs the single-node Slurm of `.ci/slurm/up` (`.ci/run` starts it around `make test`);
skipped with a reason otherwise. One demo run (module fixture) serves all tests; the fault
tests then force small parts of it to run again in the same working directory.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import torch

from adfd.train.state import load_state
from tests.conftest import REPO
from tests.slurm.conftest import (
    SKIP_REASON,
    SLURM_DIR,
    SNAKEMAKE,
    SlurmWatcher,
    run_snakemake,
    scontrol_job,
    slurm_logs,
    slurm_state,
    squeue,
    start_snakemake,
    wait_for,
)

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.slow,
    pytest.mark.skipif(slurm_state() is None, reason=SKIP_REASON),
]

GPU_RULES = {"train_detector", "evaluate_run"}
TASK_LINE = re.compile(
    r"^slurm-task job=(?P<job>\S+) step=(?P<step>\S+) CUDA_VISIBLE_DEVICES=(?P<cvd>\S+)", re.M
)


def rule_of(comment: str) -> str:
    """The plugin's --comment: rule_<rule>[_wildcards_<wildcards>]."""
    return re.match(r"rule_(.+?)(?:_wildcards_.*)?$", comment)[1]


def table(path: Path) -> pd.DataFrame:
    cells = pd.read_csv(path)
    return cells.sort_values(["row_id", "metric"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def scratch(request):
    """Working directories of this module, outside pytest's basetemp: concurrent pytest
    sessions of the same user prune old basetemps, which would pull a directory from under
    running Slurm jobs. Kept (path printed) when a test failed, for its logs."""
    root = Path(tempfile.mkdtemp(prefix="adfd-slurm-test-"))
    failed = request.session.testsfailed
    yield root
    if request.session.testsfailed == failed:
        shutil.rmtree(root, ignore_errors=True)
    else:
        print(f"\nSlurm test directories kept for inspection: {root}")


@pytest.fixture
def tmp_path(scratch, request):  # overrides pytest's, for the same reason
    path = scratch / request.node.name
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def local_table7(request, scratch):
    """Table 7 from a local run (tests/test_workflow.py's demo run when it is shared at
    session scope in tests/conftest.py, else run here)."""
    try:
        workdir = request.getfixturevalue("demo_run")
    except pytest.FixtureLookupError:
        workdir = scratch / "local-demo"
        res = subprocess.run(
            [str(Path(run_snakemake.__globals__["SNAKEMAKE"])), "--snakefile",
             str(REPO / "Snakefile"), "table7", "--profile", str(REPO / "profiles/local"),
             "--configfile", str(REPO / "demo/config.yaml"), "--directory", str(workdir)],
            capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        assert res.returncode == 0, res.stdout + res.stderr
    return table(workdir / "results/tables/table7.csv")


@pytest.fixture(scope="module")
def slurm_demo(scratch):
    """`snakemake table7 --profile slurm --profile slurm-ci`, evaluation as job arrays,
    with squeue/scontrol watched throughout."""
    workdir = scratch / "slurm-demo"
    workdir.mkdir()
    watcher = SlurmWatcher()
    watcher.start()
    t0 = time.perf_counter()
    try:
        res = run_snakemake(workdir, "table7", "--slurm-array-jobs=evaluate_run")
    finally:
        watcher.stop()
    wall = time.perf_counter() - t0
    print(f"slurm demo table7 wall time: {wall:.0f} s")
    jobs = {}
    for jid, log in slurm_logs(workdir).items():
        info = scontrol_job(jid)
        jobs[jid] = {"log": log, "info": info, "rule": rule_of(info.get("Comment", "rule_?"))}
    cells = table(workdir / "results/tables/table7.csv")
    out = res.stdout + res.stderr
    return {"workdir": workdir, "out": out, "watched": watcher.jobs, "jobs": jobs,
            "wall": wall, "table": cells, "runs": _train_runs(workdir)}  # fmt: skip


def test_jobs_went_through_sbatch(slurm_demo):
    jobs, out = slurm_demo["jobs"], slurm_demo["out"]
    submitted = re.findall(r"has been submitted with SLURM jobid (\S+)", out)
    print("sbatch job ids:", " ".join(submitted))
    assert len(submitted) >= 10, out
    # Every job the plugin submitted is known to slurmctld, ran on the ci partition and
    # completed; the plugin's log of it exists.
    ctld_log = (SLURM_DIR / "slurmctld.log").read_text(errors="replace")
    for jid in submitted:
        base = jid.split("_")[0]
        assert re.search(rf"JobId={base}\b", ctld_log), f"slurmctld never saw job {jid}"
    by_rule: dict[str, list[str]] = {}
    for jid, job in jobs.items():
        info = job["info"]
        assert info.get("Partition") == "ci" and info.get("JobState") == "COMPLETED", info
        by_rule.setdefault(job["rule"], []).append(jid)
    print("jobs by rule:", {r: sorted(ids) for r, ids in sorted(by_rule.items())})
    assert {"build_demo_data", "check_dataset", "preprocess_shard", "train_detector",
            "evaluate_run", "make_table"} <= set(by_rule)  # fmt: skip
    assert len(by_rule["train_detector"]) == 2
    # The watcher saw jobs queued/running in Slurm during the run.
    assert any("RUNNING" in j["states"] for j in slurm_demo["watched"].values())


def test_evaluation_runs_as_job_arrays(slurm_demo):
    """--slurm-array-jobs=evaluate_run: evaluation jobs that are ready together go out as one
    sbatch --array. (In the demo run they may become ready one by one; forcing all of them
    again makes them ready at once.)"""
    workdir = slurm_demo["workdir"]
    preds = sorted(
        str(p.relative_to(workdir)) for p in workdir.rglob("results/predictions/*/*/*.parquet")
    )
    res = run_snakemake(workdir, "table7", "-R", *preds, "--slurm-array-jobs=evaluate_run")
    out = res.stdout + res.stderr
    arrays = re.findall(r"Submitted array job with Snakemake IDs (\S+) and SLURM job ID (\d+)", out)
    print("evaluation arrays (snakemake ids, slurm array id):", arrays)
    planned = int(re.search(r"^evaluate_run\s+(\d+)$", out, re.M)[1])
    assert planned >= 2 and len(arrays) == 1 and len(arrays[0][0].split(",")) == planned, out
    tasks = {p.stem for p in (workdir / ".snakemake/slurm_logs/rule_evaluate_run").rglob("*.log")
             if p.stem.startswith(arrays[0][1] + "_")}  # fmt: skip
    assert len(tasks) == planned
    for task in tasks:
        info = scontrol_job(task)
        assert info.get("JobState") == "COMPLETED" and info.get("TresPerJob") == "gres:gpu:1"
    pd.testing.assert_frame_equal(table(workdir / "results/tables/table7.csv"),
                                  slurm_demo["table"], check_exact=True)  # fmt: skip


def test_gpu_jobs_held_a_gpu_and_cpu_jobs_none(slurm_demo):
    seen = {}
    for jid, job in slurm_demo["jobs"].items():
        info, text = job["info"], job["log"].read_text(errors="replace")
        tasks = [m.groupdict() for m in TASK_LINE.finditer(text)]
        assert tasks, f"no task prolog line in {job['log']}"
        if job["rule"] in GPU_RULES:
            assert info.get("TresPerJob") == "gres:gpu:1", info  # sbatch --gpus=1
            assert "gpu:fake:1" in info.get("JOB_GRES", ""), info
            # the step that runs the job's code (srun inside the allocation; array tasks
            # after the first run it in the batch step) sees its GPU
            steps = [t for t in tasks if t["step"] != "batch"] or tasks
            assert all(t["cvd"] in {"0", "1"} for t in steps), tasks
            if job["rule"] == "train_detector":
                assert steps[0]["step"] != "batch", tasks  # srun --gpus=1 inside the job
            seen[jid] = steps[0]["cvd"]
        else:
            assert info.get("TresPerJob", "(null)") in {"(null)", ""}, info
            assert all(t["cvd"] == "unset" for t in tasks), tasks
    train = {jid: seen[jid] for jid, j in slurm_demo["jobs"].items()
             if j["rule"] == "train_detector"}  # fmt: skip
    print("CUDA_VISIBLE_DEVICES of the training jobs:", train)
    assert len(train) == 2
    # Slurm's record while the jobs ran: a GPU index on the node
    watched = [j for j in slurm_demo["watched"].values() if "NodeGRES" in j]
    print("GRES seen by scontrol while running:",
          {j["id"]: (rule_of(j["comment"]), j["NodeGRES"]) for j in watched})  # fmt: skip
    assert any(re.search(r"gpu:fake:1\(IDX:[01]\)", j["NodeGRES"]) for j in watched
               if rule_of(j["comment"]) == "train_detector")  # fmt: skip
    # If the training code logs it (adfd.train.loop), it matches Slurm's assignment.
    for log in (slurm_demo["workdir"] / "logs/train").glob("*.log"):
        m = re.search(r"CUDA_VISIBLE_DEVICES[=: ]+'?([0-9,]+|None|unset)", log.read_text())
        if m:
            assert m[1] in set(train.values()), (log, m[1], train)


def test_table7_equals_the_local_run(slurm_demo, local_table7):
    cols = ["row_id", "metric", "ours", "paper"]
    pd.testing.assert_frame_equal(slurm_demo["table"][cols], local_table7[cols],
                                  check_exact=True)  # fmt: skip


def _train_runs(workdir: Path) -> list[str]:
    return sorted(p.name for p in (workdir / "results/train").iterdir())


LONG_EPOCHS = 40  # the demo trains 2 epochs of ~0.5 s: too short a window to cancel in


def _long_run(workdir: Path, tmp_path: Path) -> tuple[Path, str]:
    """An overlay training Table 7's first row for LONG_EPOCHS, and its model target."""
    overlay = tmp_path / "long.yaml"
    overlay.write_text(f"baseline:\n  train:\n    epochs: {LONG_EPOCHS}\n")
    res = subprocess.run(
        [str(Path(SNAKEMAKE).parent / "adfd"), "--configfile", str(REPO / "demo/config.yaml"),
         "--configfile", str(overlay), "target", "table7", "1"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return overlay, res.stdout.split()[0]


def test_cancelled_training_job_is_resubmitted_and_resumes(slurm_demo, tmp_path):
    """scancel a running training job after its first epoch: the global `retries:` submits
    it again (attempt 2), it resumes from results/train_state/<run>/ and ends with the same
    model, byte for byte, as the same run trained without interruption (also via Slurm)."""
    workdir = slurm_demo["workdir"]
    overlay, model = _long_run(workdir, tmp_path)
    run = Path(model).parent.name
    run_snakemake(workdir, model, overlays=[overlay])  # uninterrupted reference
    before = {n: (workdir / f"results/train/{run}/{n}").read_bytes()
              for n in ("model.pt", "train_summary.json")}  # fmt: skip
    state = workdir / f"results/train_state/{run}/state.pt"
    state.unlink()  # the reference's final state (no evaluation released it): retrain
    train_log = workdir / f"logs/train/{run}.log"
    proc = start_snakemake(workdir, model, "-R", model, log=tmp_path / "snakemake.log",
                           overlays=[overlay])  # fmt: skip
    try:
        job = wait_for(
            lambda: state.exists() and train_log.exists()
            and f"epoch 1/{LONG_EPOCHS}" in train_log.read_text()
            and next((j for j in squeue() if j["state"] == "RUNNING" and run in j["comment"]),
                     None),
            timeout=300, what="the training job to finish epoch 1", proc=proc,
        )  # fmt: skip
        subprocess.run(["scancel", job["id"]], check=True)
        assert proc.wait(timeout=600) == 0, (tmp_path / "snakemake.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    out = (tmp_path / "snakemake.log").read_text()
    cancelled = scontrol_job(job["id"])
    print(f"cancelled job {job['id']}: {cancelled.get('JobState')}")
    assert cancelled.get("JobState") == "CANCELLED"
    resubmitted = re.findall(r"has been submitted with SLURM jobid (\S+)", out)
    print("training submissions:", resubmitted)
    assert len(resubmitted) == 2 and resubmitted[0] == job["id"], out
    assert scontrol_job(resubmitted[1]).get("JobState") == "COMPLETED"
    log_text = train_log.read_text()
    resumed = re.search(r"resumed from \S*state\.pt at epoch (\d+) step (\d+)", log_text)
    assert resumed, log_text
    print(f"attempt 2 resumed at epoch {resumed[1]} step {resumed[2]} of {LONG_EPOCHS}")
    assert 2 <= int(resumed[1]) < LONG_EPOCHS
    # the finished state is kept until the model's first evaluation releases it
    assert load_state(state)["epoch"] == LONG_EPOCHS
    summary = json.loads((workdir / f"results/train/{run}/train_summary.json").read_text())
    assert len(summary["history"]) == LONG_EPOCHS
    # resuming gives the same model as the uninterrupted run
    old = torch.load(io.BytesIO(before["model.pt"]), map_location="cpu", weights_only=True)
    new = torch.load(workdir / model, map_location="cpu", weights_only=True)
    old_sd, new_sd = old.get("model", old), new.get("model", new)
    assert old_sd.keys() == new_sd.keys()
    assert all(torch.equal(old_sd[k], new_sd[k]) for k in old_sd), "resume is not bit-identical"
    timing = {"images_per_s", "loader_wait_share", "step_seconds"}  # wall-clock figures differ
    old_history = json.loads(before["train_summary.json"])["history"]
    assert [{k: v for k, v in h.items() if k not in timing} for h in old_history] == [
        {k: v for k, v in h.items() if k not in timing} for h in summary["history"]
    ]


def marked_incomplete(workdir: Path, output: str) -> bool:
    """Snakemake's marker for an output whose job started but did not finish."""
    key = base64.urlsafe_b64encode(output.encode()).decode()
    return (workdir / ".snakemake/incomplete" / key).exists()


def submitted_outputs(log: str) -> dict[str, list[str]]:
    """Slurm job id -> outputs, from the controller's log (job block, then submission)."""
    outputs, found = {}, {}
    for block in re.split(r"\n(?=\[\w{3} \w{3} )", log):
        m = re.search(r"output: ([^\n]+)\n.*?jobid: (\d+)", block, re.S)
        if m:
            outputs[m[2]] = m[1].split(", ")
    for job, jid in re.findall(r"Job (\d+) has been submitted with SLURM jobid (\S+)", log):
        found[jid] = outputs.get(job)
    return found


def test_killed_controller_unlock_and_rerun(slurm_demo, tmp_path):
    """SIGKILL the controller after it submitted evaluation jobs, then lose those jobs as on
    a crashed node (they leave a half-written output; nothing cleans up after them): the
    directory stays locked, `--unlock` frees it, and the rerun (rerun-incomplete) redoes
    every output the dead controller had started, accepts none of them as done, and writes
    the same table with no duplicate outputs."""
    workdir = slurm_demo["workdir"]
    run = slurm_demo["runs"][-1]  # one of table7's runs
    pred_dir = workdir / f"results/predictions/{run}"
    forced = sorted(str(p.relative_to(workdir)) for p in pred_dir.rglob("*.parquet"))
    # Both fake GPUs busy: the controller's GPU jobs stay queued, so they never start and
    # never clean up (deterministic stand-in for jobs lost with their node).
    blocker = subprocess.run(
        ["sbatch", "--parsable", "-p", "ci", "--gpus=2", "--mem=100", "-t", "10",
         "-o", "/dev/null", "--wrap", "sleep 600"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    try:
        wait_for(lambda: scontrol_job(blocker).get("JobState") == "RUNNING", timeout=60,
                 what="the GPU blocker to run")  # fmt: skip
        proc = start_snakemake(workdir, "table7", "-R", *forced, log=tmp_path / "killed.log")
        try:
            wait_for(lambda: any("evaluate_run" in j["comment"] for j in squeue()), timeout=300,
                     what="an evaluation job to be submitted", proc=proc)  # fmt: skip
            time.sleep(2)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        killed_out = (tmp_path / "killed.log").read_text()
        orphans = submitted_outputs(killed_out)
        print("jobs left behind by the killed controller:", orphans)
        assert orphans and all(set(o) <= set(forced) for o in orphans.values()), killed_out
        # users cancel what a dead controller left (docs/cluster.md): all carry its run uuid
        uuid = re.search(r"SLURM run ID: (\S+)", killed_out)[1]
        subprocess.run(["scancel", "--name", uuid], check=True)
    finally:
        subprocess.run(["scancel", blocker], check=False)
    wait_for(lambda: not any(j["name"] == uuid or j["id"] in orphans for j in squeue()),
             timeout=120, what="the orphaned jobs to end")  # fmt: skip
    states = {jid: scontrol_job(jid).get("JobState") for jid in orphans}
    print("their Slurm states:", states)
    started = [out for outs in orphans.values() for out in outs]
    for out in started:
        # the controller marked them incomplete when it submitted them; nobody unmarked them
        assert marked_incomplete(workdir, out), out
    # on disk: the previous run's files (the job deletes them when it starts), and one that
    # a job dying mid-write would leave
    (workdir / started[0]).write_bytes(b"PAR1 half-written")

    locked = run_snakemake(workdir, "table7", check=False)
    assert locked.returncode != 0 and "cannot be locked" in locked.stdout + locked.stderr
    run_snakemake(workdir, "--unlock")
    dry = run_snakemake(workdir, "table7", "-n")
    # No -R here: with rerun-incomplete, Snakemake forces the jobs of marked outputs
    # (without it, the run would stop with IncompleteFilesException); none is accepted as
    # done, the half-written file included.
    forced_now = {
        o
        for out, reason in re.findall(r"output: ([^\n]+)\n.*?reason: ([^\n]+)", dry.stdout, re.S)
        if "Forced execution" in reason or "Incomplete output files" in reason
        for o in out.split(", ")
    }
    print("forced by the incomplete markers:", sorted(forced_now))
    assert set(started) <= forced_now, dry.stdout
    rerun = run_snakemake(workdir, "table7")
    rerun_out = rerun.stdout + rerun.stderr
    redone = {o for line in re.findall(r"output: ([^\n]+)", rerun_out) for o in line.split(", ")}
    for out in started:
        assert out in redone, f"{out} was not redone:\n{rerun_out}"
        assert not marked_incomplete(workdir, out)
    assert "Nothing to be done" in run_snakemake(workdir, "table7", "-n").stdout
    # no duplicates: one prediction per (test set, distortion), one row per table cell
    assert sorted(str(p.relative_to(workdir)) for p in pred_dir.rglob("*") if p.is_file()) == [
        *forced
    ]
    assert all(pd.read_parquet(workdir / out).shape[0] > 0 for out in forced)
    cells = table(workdir / "results/tables/table7.csv")
    assert not cells.duplicated().any()
    pd.testing.assert_frame_equal(cells, slurm_demo["table"], check_exact=True)


def _status(workdir: Path, overlay: Path) -> str:
    """`adfd status table7` on the working directory (files, squeue), as a user runs it."""
    res = subprocess.run(
        [str(Path(SNAKEMAKE).parent / "python"), "-m", "adfd.cli", "--configfile",
         str(REPO / "demo/config.yaml"), "--configfile", str(overlay), "status", "table7",
         "-d", str(workdir)],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def test_status_follows_a_cancelled_training_job(slurm_demo, tmp_path):
    """`adfd status` while a training job runs (its epoch and Slurm job), after `scancel`
    with no retry left (failed, with the rule, its log path and the error line), and after
    the rerun (done)."""
    workdir = slurm_demo["workdir"]
    overlay, model = _long_run(workdir, tmp_path)
    run = Path(model).parent.name
    (workdir / f"results/train_state/{run}/state.pt").unlink(missing_ok=True)
    train_log = workdir / f"logs/train/{run}.log"
    train_log.unlink(missing_ok=True)
    proc = start_snakemake(workdir, model, "-R", model, "--retries", "0",
                           log=tmp_path / "snakemake.log", overlays=[overlay])  # fmt: skip
    try:
        job = wait_for(
            lambda: train_log.exists() and f"epoch 1/{LONG_EPOCHS}" in train_log.read_text()
            and next((j for j in squeue() if j["state"] == "RUNNING" and run in j["comment"]),
                     None),
            timeout=300, what="the training job to finish epoch 1", proc=proc,
        )  # fmt: skip
        running = _status(workdir, overlay)
        print(running)
        line = next(ln for ln in running.splitlines() if ln.startswith(f"  {run} ("))
        assert re.search(rf"epoch \d+/{LONG_EPOCHS}", line), line
        assert f"Slurm job {job['id']} RUNNING" in line, line
        subprocess.run(["scancel", job["id"]], check=True)
        assert proc.wait(timeout=300) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
    failed = _status(workdir, overlay)
    print(failed)
    assert f"train_detector {run}: log logs/train/{run}.log: " in failed
    assert "Slurm log .snakemake/slurm_logs/rule_train_detector/" in failed
    assert f"failed (train_detector {run}: logs/train/{run}.log)" in failed  # its cells
    run_snakemake(workdir, model, overlays=[overlay])  # the retry
    done = _status(workdir, overlay)
    print(done)
    assert "failed:" not in done and "training now:" not in done
    row1 = next(ln for ln in done.splitlines() if ln.startswith("    1 dynamic"))
    assert "pending (run done, evaluation not started" in row1, row1
