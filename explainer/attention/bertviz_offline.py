"""bertviz's head view and model view (Vig 2019, "A Multiscale Visualization of Attention in
the Transformer Model"), made to run offline inside a web page.

``bertviz.head_view`` / ``model_view`` with ``html_action='return'`` give HTML whose script
loads require.js, d3 5.7.0 and jQuery from cdnjs: offline, or behind a strict proxy, nothing
is drawn. Here the same views are rewrapped as a small standalone document that

* drops the CDN ``<script>`` tag and the ``require.config`` block that names CDN paths;
* loads a two-line require.js stand-in, jQuery and d3 from the app's own static files
  (``script_base`` + file name: the caller knows the URL its web server gives them);
* escapes ``</`` inside the script, so no token can close the ``<script>`` element, and drops
  the scheme of the credit links in bertviz's comments, so the page names no other host;

and :func:`iframe` embeds that document in an ``<iframe srcdoc=…>`` (the only way a
``gr.HTML`` runs scripts), sized to the sequence. The frame is not sandboxed: a sandboxed
frame runs in a separate browser process whose requests and console the browser tests
cannot watch, and everything in it is generated here — the tokens travel only as escaped
JSON data that bertviz draws with d3's ``text()``, never as markup.

The attention numbers are rounded to three decimals before bertviz serialises them: the
views draw line opacity, and full float32 precision would triple the size of the page.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import numpy as np

from explainer.validate import InputError

VENDOR_FILES = ("require-shim.js", "jquery.min.js", "d3.v5.min.js")  # load order matters
_CDN_TAG = re.compile(r"<script src=\"https?://[^\"]*\"></script>")
_REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.DOTALL)
_SCHEME = re.compile(r"https?://")
_SCRIPT_OPEN = '<script type="text/javascript">'


@dataclass(frozen=True)
class BertvizPage:
    document: str  # a complete HTML document that draws the view
    height: int  # pixels the view needs (for the iframe around it)


def _bertviz():
    """The bertviz package (it needs IPython at import); a clear message when it is missing."""
    try:
        import bertviz
    except ImportError:
        raise InputError("The bertviz views need the `bertviz` package: pip install bertviz") from None
    return bertviz


def _round(attention: np.ndarray) -> list:
    """bertviz wants a list of (1, H, T, T) torch tensors, one per layer."""
    import torch

    a = np.round(np.asarray(attention, dtype=np.float64), 3)  # (L, H, T, T); float64 prints short
    return [torch.from_numpy(layer[None]) for layer in a]


def _document(bertviz_html: str, script_base: str, title: str) -> str:
    """bertviz's notebook HTML → a standalone page that loads its libraries from ``script_base``."""
    body = _CDN_TAG.sub("", bertviz_html)
    markup, _, script = body.partition(_SCRIPT_OPEN)
    script = script.rsplit("</script>", 1)[0]
    script = _REQUIRE_CONFIG.sub("", script, count=1).replace("</", "<\\/")  # "<\/" is "</" in JS strings
    script = _SCHEME.sub("", script)  # links in bertviz's comments (credits): no URL to another host is left
    tags = "".join(f'<script src="{html.escape(script_base + name)}"></script>' for name in VENDOR_FILES)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>{tags}'
        "<style>body{margin:4px;font-family:Helvetica,Arial,sans-serif;background:white;color:#222}</style>"
        f"</head><body>{markup}<script>{script}</script></body></html>"
    )


def _pretty(tokens) -> list[str]:
    return [str(t) for t in tokens]


def head_view(attention: np.ndarray, tokens, *, script_base: str, layers: list[int] | None = None,
              layer: int | None = None, heads: list[int] | None = None) -> BertvizPage:
    """Lines from each token to the tokens it attends to, one colour per head, a layer picker.

    ``attention`` is (L, H, T, T); ``layers`` limits the layers sent (default: all);
    ``layer`` is the one shown first and ``heads`` the heads ticked at first (bertviz's
    own ``layer=`` / ``heads=``; default: the first layer, every head).
    """
    L, _, T, _ = attention.shape
    layers = list(range(L)) if layers is None else sorted(layers)
    out = _bertviz().head_view(_round(attention), _pretty(tokens), include_layers=layers, layer=layer, heads=heads,
                               html_action="return")
    # layer <select> + head checkboxes ≈ 70 px, then one 22.5 px row per token (bertviz's BOXHEIGHT)
    return BertvizPage(_document(out.data, script_base, "bertviz head view"), int(70 + 22.5 * T + 20))


def model_view(attention: np.ndarray, tokens, *, script_base: str, layers: list[int] | None = None) -> BertvizPage:
    """A thumbnail of every head of every layer; click one to see it large."""
    L, H, T, _ = attention.shape
    layers = list(range(L)) if layers is None else layers
    out = _bertviz().model_view(_round(attention), _pretty(tokens), include_layers=layers,
                                display_mode="light", html_action="return")
    # bertviz's own layout (model_view.js): thumbnails of T rows at 7·12/H px, an axis of 38 px
    thumb = T * 7 * 12 / H + 10
    detail = T * 18 + 30 + 25
    return BertvizPage(_document(out.data, script_base, "bertviz model view"),
                       int(max(len(layers) * thumb + 38, detail) + 30))


def iframe(page: BertvizPage, *, title: str) -> str:
    """``<iframe srcdoc>`` holding ``page``: unlike markup put straight into the page, its scripts run."""
    return (
        f'<iframe title="{html.escape(title)}" srcdoc="{html.escape(page.document, quote=True)}" '
        f'style="width:100%;height:{page.height}px;border:0;overflow:auto" loading="eager"></iframe>'
    )


__all__ = ["VENDOR_FILES", "BertvizPage", "head_view", "iframe", "model_view"]
