"""Data shared by more than one topic (a floor below the topics; no topic imports another).

* :mod:`explainer.datasets.toy2d` — the 2-D sets (ring of 8, grid of 25, moons, spiral, a
  drawing, and ``decode_drawing`` for the drawing canvas's value) that the GAN and diffusion
  tabs learn, with their mode centres and std;
* :mod:`explainer.datasets.modes` — VEEGAN's mode-coverage measures on those sets;
* :mod:`explainer.datasets.digits` — scikit-learn's bundled 8×8 handwritten digits with a
  fixed train/test split (diffusion, VAE).

Typical use::

    from explainer.datasets import toy2d, modes
    data = toy2d.get_dataset("ring")
    x = data.sample(2500, seed=0)                       # (2500, 2)
    n_modes, hq = modes.modes_covered(x, data.centers, data.std)
"""
