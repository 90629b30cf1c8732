"""The fast execution options (adfd.train.fast) against the faithful path, on CPU.

Tolerances are stated per test with the measured maximum differences (printed). Compile
tests use inductor with the system C compiler; their wall time is printed and bounded.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pytest
import skimage.data
import timm
import torch
import torch.nn.functional as F

from adfd.preprocess.shards import training_samples
from adfd.train import fast
from adfd.train import state as st
from adfd.train.dataset import PairDataset
from adfd.train.loop import Trainer
from adfd.train.model import load_model, save_model
from adfd.train.validate import KeepLast

OPTIM = {"rho": 0.05, "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-4, "name": "sam"}
COMPILE_LIMIT_S = 300  # 2 shared cores; measured ~70-110 s for forward + backward + SAM


def _faces(n: int, size: int = 64) -> torch.Tensor:
    face = skimage.data.astronaut()[20:260, 140:340]
    crops = [np.roll(face, (3 * i, -2 * i), axis=(0, 1)) for i in range(n)]
    x = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float() / 255
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def _model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return timm.create_model("test_efficientnet", pretrained=False, num_classes=2).train()


def _sam_step(forward, opt, images, labels) -> torch.Tensor:
    _, logits = forward(images)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    opt.first_step()
    F.cross_entropy(forward(images)[1], labels).backward()
    opt.second_step()
    return loss.detach()


def _max_param_diff(a: torch.nn.Module, b: torch.nn.Module) -> float:
    sa, sb = a.state_dict(), b.state_dict()
    return max((sa[k].double() - sb[k].double()).abs().max().item() for k in sa)


@pytest.mark.slow
def test_compiled_forward_and_sam_step_match_eager():
    """compile: step (compiled forward + compiled SAM update) vs eager, same init and batch.

    Tolerance: logits and features 1e-4 absolute, weights after one SAM step 1e-5
    (inductor fuses and reorders float32 reductions; measured max diffs are printed)."""
    images, labels = _faces(8), torch.tensor([0] * 4 + [1] * 4)
    eager, compiled = _model(), _model()
    f_eager = fast.forward_fn(eager, {"compile": False})
    f_comp = fast.forward_fn(compiled, {"compile": "step"})
    t0 = time.perf_counter()
    feat_c, logits_c = f_comp(images)
    first_call = time.perf_counter() - t0
    feat_e, logits_e = f_eager(images)
    d_logits = (logits_c - logits_e).abs().max().item()
    d_feat = (feat_c - feat_e).abs().max().item()
    eager.zero_grad(), compiled.zero_grad()
    opt_e = fast.make_optimizer(eager.parameters(), OPTIM, {"compile": False})
    opt_c = fast.make_optimizer(compiled.parameters(), OPTIM, {"compile": "step"})
    loss_e = _sam_step(f_eager, opt_e, images, labels)
    t0 = time.perf_counter()
    loss_c = _sam_step(f_comp, opt_c, images, labels)
    step_call = time.perf_counter() - t0
    d_weights = _max_param_diff(eager, compiled)
    print(f"compile: forward {first_call:.0f} s, backward + SAM update {step_call:.0f} s; "
          f"max |diff| logits {d_logits:.2e} features {d_feat:.2e} loss "
          f"{abs(loss_c - loss_e).item():.2e}, weights after a step {d_weights:.2e}")  # fmt: skip
    assert first_call + step_call < COMPILE_LIMIT_S
    assert d_logits < 1e-4 and d_feat < 1e-4
    assert d_weights < 1e-5
    assert not any("_orig_mod" in k for k in compiled.state_dict())


def test_fused_optimizer_matches_plain_sgd():
    """fused_optimizer (fused SGD + multi-tensor SAM) vs the per-parameter loops, 3 SAM
    steps with momentum and weight decay. Tolerance: 1e-6 absolute on every weight."""
    images, labels = _faces(8), torch.tensor([0] * 4 + [1] * 4)
    plain, fused = _model(), _model()
    opt_p = fast.make_optimizer(plain.parameters(), OPTIM, {"fused_optimizer": False})
    opt_f = fast.make_optimizer(fused.parameters(), OPTIM, {"fused_optimizer": True})
    assert opt_f.foreach and opt_f.base_optimizer.defaults["fused"]
    assert not opt_p.foreach and not opt_p.base_optimizer.defaults.get("fused")
    diffs = []
    for _ in range(3):
        _sam_step(fast.forward_fn(plain, {}), opt_p, images, labels)
        _sam_step(fast.forward_fn(fused, {}), opt_f, images, labels)
        diffs.append(_max_param_diff(plain, fused))
    momentum = max(
        (opt_p.base_optimizer.state[a]["momentum_buffer"]
         - opt_f.base_optimizer.state[b]["momentum_buffer"]).abs().max().item()
        for a, b in zip(plain.parameters(), fused.parameters(), strict=True)
    )  # fmt: skip
    print(f"fused vs plain: max |diff| of weights per step {diffs}, momentum {momentum:.2e}")
    assert max(diffs) < 1e-6 and momentum < 1e-6
    assert _max_param_diff(plain, _model()) > 1e-3  # the steps did move the weights


def test_prefetcher_on_cpu_is_the_plain_iteration():
    batches = [(_faces(4), torch.tensor([0, 0, 1, 1])) for _ in range(3)]
    plain = [(x.to("cpu"), y) for x, y in batches]
    got = list(fast.Prefetcher(batches, torch.device("cpu"), torch.channels_last))
    assert len(got) == len(plain) == len(fast.Prefetcher(batches, torch.device("cpu")))
    for (x, y), (gx, gy) in zip(plain, got, strict=True):
        assert torch.equal(x, gx) and torch.equal(y, gy)
        assert gx.is_contiguous(memory_format=torch.channels_last)


def _trainer(tiny_experiment, shards, **train):
    exp = copy.deepcopy(tiny_experiment)
    exp["train"].update(epochs=2, **train)
    exp["nrs"].update(enabled=True, t_k=2, k=2, k_s=8, filter="predicts", **{"lambda": 2.0})
    exp["model"].update(drop_rate=0.2, drop_path_rate=0.1)  # exercises the random stream
    torch.manual_seed(5)
    dataset = PairDataset(training_samples(shards["train"], 0.2), exp, 5)
    return Trainer(exp, 5, dataset, KeepLast(), torch.device("cpu"), False)


def _epoch(trainer, tmp_path):
    with st.StopFlag() as flag:
        trainer.run_epoch(flag, tmp_path / "unused.pt", 0)


def test_prefetch_trains_bit_identically_channels_last_within_rounding(
    tmp_path, shards, tiny_experiment
):
    """Two epochs (the second with NRS weights). prefetch changes nothing on CPU, bit for
    bit. channels_last changes the convolution kernels' float32 rounding, which training
    amplifies (as a different GPU or cuDNN version would): epoch losses within 1 %
    relative (the one-step bound is test_channels_last_sam_step_within_rounding)."""
    runs = {}
    for name, opts in {"plain": {}, "prefetch": {"prefetch": True},
                       "channels_last": {"channels_last": True}}.items():  # fmt: skip
        trainer = _trainer(tiny_experiment, shards, **opts)
        _epoch(trainer, tmp_path)
        _epoch(trainer, tmp_path)
        runs[name] = trainer
    a, b, c = runs["plain"], runs["prefetch"], runs["channels_last"]
    assert all(torch.equal(v, b.model.state_dict()[k]) for k, v in a.model.state_dict().items())
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]
    assert a.history[1]["nrs_noise"] is not None
    assert [h["nrs_noise"] for h in a.history] == [h["nrs_noise"] for h in b.history]
    d_cl = _max_param_diff(a.model, c.model)
    rel = max(
        abs(x["loss"] - y["loss"]) / x["loss"] for x, y in zip(a.history, c.history, strict=True)
    )
    print(f"channels_last vs NCHW after 2 epochs: max |diff| weights {d_cl:.2e}, "
          f"epoch loss relative {rel:.2e}")  # fmt: skip
    assert rel < 1e-2


def test_channels_last_sam_step_within_rounding():
    """One SAM step in NHWC vs NCHW from the same weights. Tolerance 1e-5 absolute on every
    weight (float32 convolution rounding only)."""
    images, labels = _faces(8), torch.tensor([0] * 4 + [1] * 4)
    nchw, nhwc = _model(), _model().to(memory_format=torch.channels_last)
    opt_a = fast.make_optimizer(nchw.parameters(), OPTIM, {})
    opt_b = fast.make_optimizer(nhwc.parameters(), OPTIM, {})
    _sam_step(fast.forward_fn(nchw, {}), opt_a, images, labels)
    _sam_step(
        fast.forward_fn(nhwc, {}),
        opt_b,
        images.contiguous(memory_format=torch.channels_last),
        labels,
    )
    d = _max_param_diff(nchw, nhwc)
    print(f"channels_last one SAM step: max |diff| weights {d:.2e}")
    assert d < 1e-5


def test_training_step_never_reads_device_values(tmp_path, shards, tiny_experiment, monkeypatch):
    """Inside a step (NRS collecting and weighing) no tensor value reaches the host: no
    item/tolist/float/int/bool/numpy, and .cpu() only on the host position index."""
    trainer = _trainer(tiny_experiment, shards)
    _epoch(trainer, tmp_path)  # epoch 1 fills the NRS memory; epoch 2 weighs
    trainer.nrs.start_epoch(2)
    assert trainer.nrs.weighs(2) and trainer.nrs.collects(2)
    images, labels, _ = next(iter(trainer.loader(1, 0, 0)))
    positions = torch.arange(trainer.batch)
    calls = []

    def spy(name):
        original = getattr(torch.Tensor, name)

        def wrapped(self, *a, **k):
            if not (name == "cpu" and self is positions):
                calls.append(name)
            return original(self, *a, **k)

        return wrapped

    for name in ("item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__"):
        monkeypatch.setattr(torch.Tensor, name, spy(name))
    trainer.train_step(images, labels, positions, torch.arange(trainer.batch))
    monkeypatch.undo()
    assert calls == [], calls
    trainer._flush_acc()
    assert trainer.stats["fakes"] == trainer.batch and trainer.stats["loss_sum"] > 0


@pytest.mark.slow
def test_compiled_training_resumes_bit_identically(tmp_path, shards, tiny_experiment):
    """compile: model. Epoch 1, state saved to disk, a fresh compiled trainer loads it and
    runs epoch 2: its weights equal the uninterrupted compiled run's bit for bit."""
    t0 = time.perf_counter()
    ref = _trainer(tiny_experiment, shards, compile="model")
    _epoch(ref, tmp_path)
    st.save_state(tmp_path / "state.pt", ref.state_dict())
    _epoch(ref, tmp_path)
    state = st.load_state(tmp_path / "state.pt")
    assert not any("_orig_mod" in k for k in state["model"])
    resumed = _trainer(tiny_experiment, shards, compile="model")
    resumed.load_state_dict(state)
    _epoch(resumed, tmp_path)
    print(f"compiled resume test: {time.perf_counter() - t0:.0f} s")
    got = resumed.model.state_dict()
    assert all(torch.equal(v, got[k]) for k, v in ref.model.state_dict().items())
    keys = ("epoch", "loss", "lr", "nrs_noise", "nrs_mean_weight")
    assert [[h[k] for k in keys] for h in ref.history] == [
        [h[k] for k in keys] for h in resumed.history
    ]


def test_compiled_module_weights_save_and_load_plain(tmp_path):
    """A torch.compile wrapper's state dict (``_orig_mod.`` keys) saves as plain keys and
    loads into an eager model (evaluation, released-weights conversion)."""
    model = _model()
    wrapped = torch.compile(model)  # not called: no compilation needed for the keys
    assert all(k.startswith("_orig_mod.") for k in wrapped.state_dict())
    meta = {"model_name": "test_efficientnet", "image_size": 64, "test_margin": 0.125}
    save_model(tmp_path / "model.pt", wrapped, meta)
    loaded, _ = load_model(tmp_path / "model.pt")
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in model.state_dict().items())


def test_bad_compile_value_is_rejected():
    with pytest.raises(ValueError, match=r"train\.compile"):
        fast.check_options({"compile": "everything", "precision": "fp32"})
