"""Seeded training reproduces exactly; training lowers the loss; live sessions are bounded and isolated."""

from __future__ import annotations

import pytest
import torch

from explainer.validate import InputError
from explainer.vae import session as live
from explainer.vae.model import VAEConfig
from explainer.vae.training import BETAS, SHIPPED, TrainConfig, Trainer, beta_name

SHORT = TrainConfig(steps=30, batch_size=64, warmup_kl=10)


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
