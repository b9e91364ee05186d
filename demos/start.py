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
| **Attention** | which words attend to which in every layer and head of small trained transformers, how one head computes its weights, softmax vs softmax1, and what the prediction does when heads are switched off | pick a model and a preset (or type a sentence and press Enter); choose layer, head and query token; open the sub-tabs |
| **Positional encodings** | why attention needs to be told word order, and how sinusoidal, RoPE, ALiBi and learned encodings tell it | pick a sub-tab; drag the sliders: every figure redraws from the formula |
| **GAN** | how a generator and a discriminator train against each other, why a plain GAN collapses onto a few modes, and how remedies make it cover them all | pick a preset and a data set (or draw one); press Train, Pause, or step D and G by hand; tick "side by side" to race the collapsing GAN against a remedy |

More tabs (diffusion, VAE latent spaces) arrive one at a time;
each follows the same pattern: controls on top, figures below, a caption under each figure
saying what you are looking at.

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
        gr.Markdown(TEXT.format(device_line=f"This server computes on **{describe(options.device)}**."))
