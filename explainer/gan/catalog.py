"""The GAN's catalog: its settings (one frozen dataclass, its limits, its checks) and the named presets.

**Settings.** The knobs of a 2-D GAN, as one frozen dataclass that validates itself.

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

**Presets.** Named GAN setups: one that collapses and remedies that do not, each with what to watch for.

Every preset uses the same generator and discriminator, Adam settings and learning-rate
schedule. "Mode collapse" lets D learn 10× slower than G, with one D update per G update,
so G keeps outrunning D (the 8-Gaussian ring is Metz et al. 2017's demo). "Stronger D" is the
first fix: D learns as fast as G and takes three updates per G update — on the ring that
alone covers every mode. The named remedies are "Stronger D" plus one switch each, so the
evaluation table shows what each adds: on the 25-mode grid, the R1 penalty and spectral
normalisation cover every mode in every seed; PacGAN and minibatch std miss a few. Each preset
fixes its number of training steps; ``per_dataset`` lengthens the grid's run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from explainer import validate
from explainer.validate import InputError

LOSSES = ("non-saturating", "minimax", "least-squares", "wgan-gp")
ACTIVATIONS = ("relu", "leaky_relu", "tanh")
DATASET_NAMES = ("ring", "grid", "moons", "spiral", "drawn")


@dataclass(frozen=True)
class Limit:
    """The allowed range of one setting: the GAN tab's widget shows it, validate_config checks it."""

    lo: float  # smallest value allowed (inclusive)
    hi: float  # largest value allowed (inclusive)


# One source of limits: the tab's sliders and number boxes take their minimum / maximum from
# here and validate_config refuses exactly what lies outside, so a widget never offers a value
# the server refuses. Sizes are capped so that one training step stays interactive on 2 cores.
LIMITS = MappingProxyType({
    "latent_dim": Limit(1, 256),  # size of z
    "width": Limit(2, 512),  # hidden units per layer (G and D)
    "depth": Limit(1, 6),  # hidden layers (G and D)
    "batch_size": Limit(8, 2048),  # samples per update
    "d_steps": Limit(1, 10),  # D updates per G update
    "lr": Limit(1e-6, 0.1),  # Adam learning rate (G and D); the presets use 1e-4 to 1e-3
    "steps": Limit(1, 100_000),  # training steps of a run
})
MAX_WIDTH = int(LIMITS["width"].hi)
MAX_DEPTH = int(LIMITS["depth"].hi)
MAX_LATENT = int(LIMITS["latent_dim"].hi)
MAX_BATCH = int(LIMITS["batch_size"].hi)
MAX_D_STEPS = int(LIMITS["d_steps"].hi)
MAX_STEPS = int(LIMITS["steps"].hi)


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


def _limited_int(value: object, name: str, limit: str) -> int:
    return validate.integer(value, name, lo=int(LIMITS[limit].lo), hi=int(LIMITS[limit].hi))


def _learning_rate(value: object, name: str) -> float:
    return validate.real(value, name, lo=LIMITS["lr"].lo, hi=LIMITS["lr"].hi)


def validate_config(config: GANConfig) -> GANConfig:
    """Check every field; return a config with cleaned values or raise InputError."""
    if not isinstance(config, GANConfig):
        raise InputError(f"Expected a GANConfig, got {type(config).__name__}.")
    i, lr, r = _limited_int, _learning_rate, validate.real
    clean = dict(
        dataset=_choice(config.dataset, "dataset", DATASET_NAMES),
        latent_dim=i(config.latent_dim, "latent size (latent_dim)", "latent_dim"),
        g_width=i(config.g_width, "generator width (g_width)", "width"),
        g_depth=i(config.g_depth, "generator depth (g_depth)", "depth"),
        d_width=i(config.d_width, "discriminator width (d_width)", "width"),
        d_depth=i(config.d_depth, "discriminator depth (d_depth)", "depth"),
        activation=_choice(config.activation, "activation", ACTIVATIONS),
        loss=_choice(config.loss, "loss", LOSSES),
        g_lr=lr(config.g_lr, "generator learning rate (g_lr)"),
        d_lr=lr(config.d_lr, "discriminator learning rate (d_lr)"),
        beta1=r(config.beta1, "Adam beta1", lo=0.0, hi=0.999),
        beta2=r(config.beta2, "Adam beta2", lo=0.0, hi=0.9999),
        d_steps=i(config.d_steps, "D steps per G step (d_steps)", "d_steps"),
        batch_size=i(config.batch_size, "batch size (batch_size)", "batch_size"),
        steps=i(config.steps, "training steps (steps)", "steps"),
        lr_decay_start=r(config.lr_decay_start, "lr decay start (lr_decay_start)", lo=0.0, hi=1.0),
        lr_final=r(config.lr_final, "final lr fraction (lr_final)", lo=0.0, hi=1.0),
        d_input_scale=r(config.d_input_scale, "D input scale (d_input_scale)", lo=0.0, hi=10.0, lo_open=True),
        pack=validate.integer(config.pack, "PacGAN packing (pack)", lo=1, hi=8),
        minibatch_std=_flag(config.minibatch_std, "minibatch_std"),
        spectral_norm=_flag(config.spectral_norm, "spectral_norm"),
        r1_weight=r(config.r1_weight, "R1 penalty weight (r1_weight)", lo=0.0, hi=100.0),
        gp_weight=r(config.gp_weight, "gradient penalty weight (gp_weight)", lo=0.0, hi=100.0),
        eval_every=validate.integer(config.eval_every, "evaluation interval (eval_every)", lo=1, hi=MAX_STEPS),
    )
    if clean["batch_size"] % clean["pack"]:
        raise InputError(
            f"batch size ({clean['batch_size']}) must be a multiple of the packing degree "
            f"({clean['pack']}): change one of them."
        )
    if clean["minibatch_std"] and clean["batch_size"] // clean["pack"] < 2:
        raise InputError("minibatch std needs at least 2 packed samples per batch: raise the batch size.")
    checked = GANConfig(**clean)
    work = step_gflop(checked)
    if work > MAX_STEP_GFLOP:
        raise InputError(
            f"These settings make one training step about {work:,.0f} GFLOP of work (about {work / CORE_GFLOPS:,.1f} s "
            f"on one core); a step may cost at most {MAX_STEP_GFLOP:.0f}: lower the batch size, width, depth or "
            "D steps per G step."
        )
    return checked


# --- The work of one step, known before it runs --------------------------------------------------
CORE_GFLOPS = 85.0  # measured: one core of the 2-core server trains the large MLPs at 83–93 GFLOP/s
MAX_STEP_GFLOP = 40.0  # about 0.5 s a step: a frame (explainer.budget) can stop within a second


def step_gflop(config: GANConfig) -> float:
    """Estimated GFLOP of one step (d_steps D updates + one G update), from the layer sizes.

    A linear layer costs 2·in·out FLOP per sample forward and twice that backward (3× in all).
    A D update runs G forward on a batch and D forward + backward on real and fake; the G update
    runs both forward and backward. WGAN-GP's penalty adds D forward + double backward on the
    interpolates (about 6× D's forward). Measured against the trainer, within a factor of 2.5.
    """
    c = config
    g = c.latent_dim * c.g_width + (c.g_depth - 1) * c.g_width**2 + 2 * c.g_width  # G's multiply-adds per sample
    d = 2 * c.pack * c.d_width + (c.d_depth - 1) * c.d_width**2 + c.d_width  # D's, per packed sample
    b = c.batch_size
    d_update = 2 * b * d * 3 + b * g + (b * d * 6 if c.loss == "wgan-gp" else 0)
    g_update = b * (g + d) * 3
    return 2 * (c.d_steps * d_update + g_update) / 1e9


# --- Presets --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preset:
    name: str  # shown in the UI's preset menu
    hint: str  # one sentence: what to watch for
    config: GANConfig  # the settings (dataset "ring" unless changed)
    per_dataset: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # dataset -> overrides
    paper: str = ""  # where the idea comes from


_BASE = GANConfig(
    dataset="ring",
    latent_dim=2,  # z ∈ R²: G maps a plane to the plane, and its manifold can be drawn
    g_width=128,
    g_depth=3,
    d_width=128,
    d_depth=2,
    activation="relu",
    loss="non-saturating",
    g_lr=1e-3,
    d_lr=1e-3,
    beta1=0.5,
    beta2=0.999,
    d_steps=1,
    batch_size=128,
    steps=6000,
    lr_decay_start=0.4,  # constant lr for 40% of the run, then linear decay ...
    lr_final=0.02,  # ... to 2%: the modes sharpen to the data's tiny std as the lr falls
    eval_every=250,
)
_STRONG_D = _BASE.replace(d_steps=3)  # the starting point of every remedy
_GRID_STEPS = MappingProxyType({"grid": MappingProxyType({"steps": 8000})})


def _remedy(name: str, hint: str, paper: str, **switch: Any) -> Preset:
    """A remedy: "Stronger D" with one switch turned on (and the grid's longer run)."""
    return Preset(name=name, hint=hint, config=_STRONG_D.replace(**switch), per_dataset=_GRID_STEPS, paper=paper)


_PRESETS = (
    Preset(
        name="Mode collapse",
        hint="Watch the red generated points bunch into one small clump that hops from mode to "
        "mode as D's heatmap chases it: the modes-covered curve stays at 0 or 1, far below the total.",
        config=_BASE.replace(d_lr=1e-4),
        paper="Goodfellow et al. 2014 (non-saturating GAN); Metz et al. 2017 (the 2-D mode-collapse demo)",
    ),
    Preset(
        name="Stronger D",
        hint="D now learns as fast as G and takes three steps per G step, so it punishes a clump "
        "before G can settle there: on the ring the red points reach every mode, on the grid not all.",
        config=_STRONG_D,
        per_dataset=_GRID_STEPS,
        paper="Goodfellow et al. 2014, Algorithm 1 (k discriminator steps per generator step)",
    ),
    _remedy(
        "R1 penalty",
        "Penalising D's slope on real data keeps D smooth, so its pull reaches every mode: "
        "watch the red points spread to all of them, then sharpen as the learning rate decays.",
        "Mescheder et al. 2018, Which training methods for GANs do actually converge? (R1)",
        r1_weight=0.1,
    ),
    _remedy(
        "Spectral norm",
        "Every D layer is divided by its largest singular value, so D's slope is bounded and its "
        "pull stays smooth over the whole plane: watch the red points reach every mode, grid included.",
        "Miyato et al. 2018, Spectral normalization for generative adversarial networks",
        spectral_norm=True,
    ),
    _remedy(
        "PacGAN",
        "D judges two samples at once, so a pair of look-alike fakes gives the game away: "
        "watch the red points spread over every ring mode; on the grid a few modes may stay empty.",
        "Lin et al. 2018, PacGAN: the power of two samples in generative adversarial networks",
        pack=2,
    ),
    _remedy(
        "Minibatch std",
        "D also sees how spread out the whole batch is, so a collapsed batch stands out: "
        "watch the red points fan out, though a mode or two may still be missed.",
        "Karras et al. 2018, Progressive growing of GANs (minibatch standard deviation)",
        minibatch_std=True,
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _PRESETS})
DEFAULT_PRESET = "Mode collapse"
STARTING_POINT = "Stronger D"  # the preset every remedy adds one switch to


def preset_names() -> list[str]:
    return list(PRESETS)


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise InputError(f"Unknown preset {name!r}: choose one of {', '.join(PRESETS)}.")
    return PRESETS[name]


def preset_config(name: str, dataset: str | None = None, *, drawn: bool = False) -> GANConfig:
    """The preset's config for a data set (its per-dataset overrides applied)."""
    preset = get_preset(name)
    if drawn:
        dataset = "drawn"
    config = preset.config
    if dataset is not None:
        config = config.replace(dataset=dataset)
    overrides = preset.per_dataset.get(config.dataset, {})
    return validate_config(config.replace(**overrides) if overrides else config)
