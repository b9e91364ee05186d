"""The denoising-diffusion machinery two topics share (a floor below them).

Ho et al. 2020 (DDPM) and Song et al. 2021 (DDIM): the noise schedule with its forward
``q_sample`` and reverse ``step`` / ``ddim_step`` (:mod:`.schedule`), the noise-prediction
network ε_θ(x_t, t[, label | vector]) (:mod:`.model`) and the sampling loops (:mod:`.sample`).
The Diffusion tab teaches them; the text-to-image tab's prior and decoder are built from them.

    from explainer.denoising.schedule import NoiseSchedule
    schedule = NoiseSchedule.linear(T=1000)
    x_t = schedule.q_sample(x0, t=500, noise=torch.randn_like(x0))
"""
