"""Seeded training reproduces exactly; training lowers the loss; live sessions are bounded and isolated."""

from __future__ import annotations

import pytest
import torch

from explainer.validate import InputError
from explainer.vae import session as live
from explainer.vae.model import VAEConfig
from explainer.vae.training import BETAS, SHIPPED, TrainConfig, Trainer, beta_name

SHORT = TrainConfig(steps=30, batch_size=64, warmup_kl=10)


pytestmark = pytest.mark.usefixtures("one_thread")  # as the server runs (tests/conftest.py)


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def test_same_seed_same_weights_other_seed_other_weights():
    runs = []
    for seed in (5, 5, 6):
        t = Trainer(VAEConfig(kind="vae", hidden=32), SHORT, seed=seed)
        t.train(30)
        runs.append((weights(t), t.history.kl))
    (a, kl_a), (b, kl_b), (c, _) = runs
    assert all(torch.equal(a[k], b[k]) for k in a) and kl_a == kl_b
    assert not torch.equal(a["decoder.0.weight"], c["decoder.0.weight"])


def test_training_lowers_the_reconstruction_term():
    t = Trainer(VAEConfig(kind="ae", hidden=64), TrainConfig(steps=300, batch_size=64), seed=0, record_every=1)
    t.train(300)
    first, last = sum(t.history.recon[:20]) / 20, sum(t.history.recon[-20:]) / 20
    assert last < 0.8 * first


def test_training_does_not_touch_the_global_random_state():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    Trainer(VAEConfig(hidden=16), SHORT, seed=0).train(5)
    assert torch.equal(torch.rand(1), before)


def test_shipped_names_cover_the_beta_sweep():
    assert [beta_name(b) for b in BETAS] == ["vae_beta_0p1", "vae_beta_0p25", "vae_beta_0p5", "vae_beta_1",
                                             "vae_beta_2", "vae_beta_4", "vae_beta_8"]
    assert all(SHIPPED[beta_name(b)][0].beta == b for b in BETAS)


def test_live_sessions_are_independent_and_bounded():
    alice = live.new_session(1.0, 2, 0)
    bob = live.new_session(4.0, 8, 1)
    alice.advance(20)
    assert alice.trainer.step_count == 20 and bob.trainer.step_count == 0
    assert alice.trainer.model is not bob.trainer.model
    view = live.session_view(bob)
    assert "Step 0" in view.status and "latent size 8" in view.status
    view = live.session_view(alice)
    assert "Step 20" in view.status and len(view.curves.data) == 2
    with pytest.raises(InputError, match="Steps per frame"):
        alice.advance(10_000)


@pytest.mark.parametrize("beta, latent, message", [(-1, 2, "β must be between"), (float("nan"), 2, "finite"),
                                                   (1.0, 9, "Latent size"), (1.0, 1, "Latent size"),
                                                   ("x", 2, "must be a number")])
def test_live_session_refuses_bad_settings(beta, latent, message):
    with pytest.raises(InputError, match=message):
        live.new_session(beta, latent, 0)


def test_fused_adam_of_live_training_follows_the_plain_loop():
    """The fast path (one fused Adam kernel) computes what the per-tensor loop computes, up to rounding."""
    assert live.LIVE_TRAINING.fused_adam and not any(train.fused_adam for _, train in SHIPPED.values())
    runs = {}
    for fused in (False, True, True):
        t = Trainer(VAEConfig(kind="vae", hidden=64), TrainConfig(steps=200, warmup_kl=50, fused_adam=fused), seed=3)
        t.train(200)
        runs.setdefault(fused, []).append((weights(t), t.history))
    (plain, plain_history), = runs[False]
    (fused_a, fused_history), (fused_b, _) = runs[True]
    assert all(torch.equal(fused_a[k], fused_b[k]) for k in fused_a)  # still seeded: reproducible
    for k in plain:
        assert torch.allclose(fused_a[k], plain[k], rtol=0, atol=1e-4), k
    assert fused_history.recon == pytest.approx(plain_history.recon, abs=1e-3)
    assert plain["decoder.0.weight"].sub(Trainer(VAEConfig(kind="vae", hidden=64), seed=3).model.decoder[0].weight
                                         ).abs().max() > 1e-2  # the 200 steps moved the weights far beyond 1e-4


def test_live_view_can_skip_the_curves_and_keeps_fixed_axes():
    session = live.new_session(1.0, 2, 0)
    session.advance(5)
    full, light = live.session_view(session), live.session_view(session, curves=False)
    assert light.curves is None and full.curves is not None and light.status == full.status
    layout = light.map.layout
    assert tuple(layout.xaxis.range) == (-4, 4) and tuple(layout.yaxis.range) == (-4, 4)
    points = sum(len(t.x) for t in light.map.data if t.mode == "markers")
    assert points == len(live.catalog.test_set().labels)  # every test digit is drawn, none thinned
