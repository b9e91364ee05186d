"""Named GAN setups: one that collapses and remedies that do not, each with what to watch for.

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

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from explainer.gan.config import GANConfig, validate_config
from explainer.validate import InputError


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
