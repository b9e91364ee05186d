"""The knobs of a 2-D GAN, as one frozen dataclass that validates itself.

A UI slider becomes ``dataclasses.replace(config, g_lr=3e-4)`` followed by
:func:`validate_config`, which raises :class:`explainer.validate.InputError` saying what to
change. Every size is capped so that one training step stays interactive on a 2-core CPU.

The losses, with D's raw output d = D(x) and σ the logistic function:

* ``non-saturating`` (Goodfellow et al. 2014, §3): L_D = −log σ(d_real) − log(1 − σ(d_fake)),
  L_G = −log σ(d_fake);
* ``minimax`` (the game as first written): same L_D, L_G = log(1 − σ(d_fake));
* ``least-squares`` (Mao et al. 2017, LSGAN): L_D = ½(d_real − 1)² + ½ d_fake², L_G = ½(d_fake − 1)²;
* ``wgan-gp`` (Gulrajani et al. 2017): L_D = d_fake − d_real + λ(‖∇D(x̂)‖ − 1)², L_G = −d_fake.

The remedies against mode collapse are switches: ``pack`` (PacGAN, Lin et al. 2018: D judges
m samples at once), ``minibatch_std`` (Karras et al. 2018: D sees the batch's spread),
``spectral_norm`` (Miyato et al. 2018: every D layer is 1-Lipschitz), ``r1_weight``
(Mescheder et al. 2018: penalise D's gradient on real data) and the WGAN-GP loss.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from explainer import validate
from explainer.validate import InputError

LOSSES = ("non-saturating", "minimax", "least-squares", "wgan-gp")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
DATASET_NAMES = ("ring", "grid", "moons", "spiral", "drawn")

MAX_WIDTH = 512
MAX_DEPTH = 6
MAX_LATENT = 256
MAX_BATCH = 2048
MAX_D_STEPS = 10
MAX_STEPS = 100_000


@dataclass(frozen=True)
class GANConfig:
    dataset: str = "ring"  # which 2-D data set ("drawn" needs the drawing passed to the trainer)
    latent_dim: int = 2  # size of the noise vector z ~ N(0, I) fed to G
    g_width: int = 128  # hidden units per layer of the generator
    g_depth: int = 3  # hidden layers of the generator
    d_width: int = 128  # hidden units per layer of the discriminator
    d_depth: int = 2  # hidden layers of the discriminator
    activation: str = "relu"  # hidden nonlinearity of both networks
    loss: str = "non-saturating"  # one of LOSSES
    g_lr: float = 1e-3  # Adam learning rate of G
    d_lr: float = 1e-3  # Adam learning rate of D
    beta1: float = 0.5  # Adam β₁ (momentum); 0.5 is the usual GAN choice (Radford et al. 2016)
    beta2: float = 0.999  # Adam β₂
    d_steps: int = 1  # D updates per G update (one "step" = d_steps D updates + 1 G update)
    batch_size: int = 128  # samples per update (real and fake each)
    steps: int = 6000  # training steps of a full run (the preset's length; also sets lr decay)
    lr_decay_start: float = 0.4  # fraction of `steps` after which both lrs decay linearly (1 = never)
    lr_final: float = 0.02  # lr at the end of `steps`, as a fraction of the starting lr
    d_input_scale: float = 1.0  # D multiplies its input by this first (Metz et al. use 1/4)
    pack: int = 1  # PacGAN packing degree m: D sees m samples concatenated (1 = off)
    minibatch_std: bool = False  # append the batch's mean feature std to D's last hidden layer
    spectral_norm: bool = False  # divide each D weight by its largest singular value
    r1_weight: float = 0.0  # γ of the R1 penalty γ/2 E‖∇D(x_real)‖² (0 = off)
    gp_weight: float = 0.1  # λ of the WGAN-GP gradient penalty (used by the wgan-gp loss only)
    eval_every: int = 250  # measure modes covered / high quality on 2,500 samples this often

    def replace(self, **changes: object) -> "GANConfig":
        """A validated copy with some fields changed (unknown names raise InputError)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise InputError(f"Unknown GAN setting(s) {', '.join(unknown)}: use {', '.join(field_names())}.")
        return validate_config(dataclasses.replace(self, **changes))


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(GANConfig)]


def _choice(value: object, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {value!r}.")
    return value


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raise InputError(f"{name} must be true or false, got {value!r}.")


def validate_config(config: GANConfig) -> GANConfig:
    """Check every field; return a config with cleaned values or raise InputError."""
    if not isinstance(config, GANConfig):
        raise InputError(f"Expected a GANConfig, got {type(config).__name__}.")
    i, r = validate.integer, validate.real
    clean = dict(
        dataset=_choice(config.dataset, "dataset", DATASET_NAMES),
        latent_dim=i(config.latent_dim, "latent size (latent_dim)", lo=1, hi=MAX_LATENT),
        g_width=i(config.g_width, "generator width (g_width)", lo=2, hi=MAX_WIDTH),
        g_depth=i(config.g_depth, "generator depth (g_depth)", lo=1, hi=MAX_DEPTH),
        d_width=i(config.d_width, "discriminator width (d_width)", lo=2, hi=MAX_WIDTH),
        d_depth=i(config.d_depth, "discriminator depth (d_depth)", lo=1, hi=MAX_DEPTH),
        activation=_choice(config.activation, "activation", ACTIVATIONS),
        loss=_choice(config.loss, "loss", LOSSES),
        g_lr=r(config.g_lr, "generator learning rate (g_lr)", lo=0.0, hi=0.1, lo_open=True),
        d_lr=r(config.d_lr, "discriminator learning rate (d_lr)", lo=0.0, hi=0.1, lo_open=True),
        beta1=r(config.beta1, "Adam beta1", lo=0.0, hi=0.999),
        beta2=r(config.beta2, "Adam beta2", lo=0.0, hi=0.9999),
        d_steps=i(config.d_steps, "D steps per G step (d_steps)", lo=1, hi=MAX_D_STEPS),
        batch_size=i(config.batch_size, "batch size (batch_size)", lo=8, hi=MAX_BATCH),
        steps=i(config.steps, "training steps (steps)", lo=1, hi=MAX_STEPS),
        lr_decay_start=r(config.lr_decay_start, "lr decay start (lr_decay_start)", lo=0.0, hi=1.0),
        lr_final=r(config.lr_final, "final lr fraction (lr_final)", lo=0.0, hi=1.0),
        d_input_scale=r(config.d_input_scale, "D input scale (d_input_scale)", lo=0.0, hi=10.0, lo_open=True),
        pack=i(config.pack, "PacGAN packing (pack)", lo=1, hi=8),
        minibatch_std=_flag(config.minibatch_std, "minibatch_std"),
        spectral_norm=_flag(config.spectral_norm, "spectral_norm"),
        r1_weight=r(config.r1_weight, "R1 penalty weight (r1_weight)", lo=0.0, hi=100.0),
        gp_weight=r(config.gp_weight, "gradient penalty weight (gp_weight)", lo=0.0, hi=100.0),
        eval_every=i(config.eval_every, "evaluation interval (eval_every)", lo=1, hi=MAX_STEPS),
    )
    if clean["batch_size"] % clean["pack"]:
        raise InputError(
            f"batch size ({clean['batch_size']}) must be a multiple of the packing degree "
            f"({clean['pack']}): change one of them."
        )
    if clean["minibatch_std"] and clean["batch_size"] // clean["pack"] < 2:
        raise InputError("minibatch std needs at least 2 packed samples per batch: raise the batch size.")
    return GANConfig(**clean)
