"""The "Start here" tab: what each tab teaches, how to drive it, and what runs where."""

from __future__ import annotations

import gradio as gr

from demos.common import AppOptions
from explainer.device import describe

TEXT = """
## What this is

Small generative models, trained by this project and running **live** on this machine, with
every intermediate step drawn. Nothing here is a recording: move a control and the model or
formula is computed again. Everything works offline: no fonts, scripts or models are fetched.

## The tabs

| tab | what it teaches | how to drive it |
|---|---|---|
| **Attention** | which words attend to which in every layer and head of small trained transformers, how one head computes its weights, softmax vs softmax1, what the prediction does when heads are switched off, and how loss scales with model size and data | pick a model and a preset (or type a sentence and press Enter); choose layer, head and query token; open the sub-tabs |
| **Positional encodings** | why attention needs to be told word order, and how sinusoidal, RoPE, ALiBi and learned encodings tell it | pick a sub-tab; drag the sliders: every figure redraws from the formula |
| **GAN** | how a generator and a discriminator train against each other, why a plain GAN collapses onto a few modes, and how remedies make it cover them all | pick a preset and a data set (or draw one); press Train, Pause, or step D and G by hand; tick "side by side" to race the collapsing GAN against a remedy |
| **Diffusion** | how noise destroys data step by step and a trained network walks it back: schedules, DDPM and DDIM samplers, guidance, in-painting | drag the step t; press Sample and scrub the frames; train your own small model live |
| **VAE** | how an encoder maps digits to a latent space a decoder can walk through, why a VAE's space is fuller than an autoencoder's, and what β trades | click the latent map or move z₁, z₂; open the sub-tabs; train your own VAE live |
| **Text → image** | how CLIP learns one space for captions and digits by contrast, how it classifies without labels (zero-shot) and searches both ways, and how unCLIP turns a caption into a digit: CLIP → a prior → a diffusion decoder | open the sub-tabs; press Train to watch a fresh CLIP's similarity matrix learn its diagonal; type a caption |

Every tab follows the same pattern: controls on top, figures below, a caption under each figure
saying what you are looking at.

## Lessons and links

The bar at the bottom of the page holds a short **lesson** for the open tab: **Next** (or →) sets up
each step for you and says what to look at. **Copy link to this view** gives a link that opens the
view exactly as it is now; **Presenter mode** makes everything large and high-contrast for a projector.
Keys: → next, ← back, space play / pause, R reset.

## Driving it

* **Sliders redraw as you move them.** Each section has a **Reset** button that restores its defaults.
* **Hover** over any figure for the exact numbers behind a point or cell; drag to zoom, double-click to reset the zoom.
* **Seeds** make every random draw repeatable: the same seed gives the same picture in a workshop as at home.
* Values outside a control's range are refused with a message saying what to change.

## What runs where

{device_line}

The computation runs in this server's Python process (PyTorch and NumPy); your browser only
draws the Plotly figures it is sent. Each visitor's settings are their own: two people using
the same server never see each other's state. Start the app with `--device cpu|cuda|mps` (or
set `EXPLAINER_DEVICE`) to choose the device.
"""


def render(app: gr.Blocks, options: AppOptions) -> None:
    del app  # the Start tab has no events
    with gr.Tab("Start here", id="start"):
        gr.Markdown(TEXT.format(device_line=f"This server computes on **{describe(options.device)}**."),
                    elem_classes=["start-text"])
