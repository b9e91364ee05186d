"""The Diffusion tab's two drawing widgets, plain ``gr.HTML`` (no ``gr.Sketchpad``).

Gradio 6 asks every component that is an event's input for its value on each progress update of
any event, and a ``gr.Sketchpad`` answers by exporting its layers as PNGs and uploading them: while
a view streamed (live training, the reverse process) the page sent uploads several times a second
and stopped answering clicks, Pause included (the GAN tab found it first). These widgets keep
their value in the page as a few hundred bytes:

* :func:`drawing_canvas` — the <canvas> the GAN tab shares (:mod:`demos.canvas`; its value: the
  ink bit-packed, read by ``explainer.datasets.toy2d.decode_drawing``);
* :func:`mask_grid` — the in-painting mask, 8 × 8 cells painted over the enlarged test digit.

And :func:`equation`, the line of maths under a view.
"""

from __future__ import annotations

import gradio as gr

from demos.canvas import drawing_canvas

__all__ = ["drawing_canvas", "equation", "mask_grid"]  # drawing_canvas: re-exported for the Diffusion tab


def equation(text: str) -> gr.Markdown:
    """An equation line under a widget: '_' and '*' are maths here, not Markdown emphasis."""
    return gr.Markdown(text.replace("_", "\\_").replace("*", "\\*").replace("\\*\\*", "**"),
                       elem_classes=["equation"])


# The in-painting mask: 8 × 8 cells over the enlarged test digit (its grey levels are the prop
# ``pixels``). Press on a cell and drag to hide (red hatching) or, starting on a hidden cell, to
# reveal; on pen-up the value becomes the new mask, 8 rows of 8 numbers (1 = hidden), and its
# change event re-runs the in-painting: one event per stroke, a few hundred bytes each.
MASK_HTML = (
    '<div class="mask-grid" role="grid" aria-label="in-painting mask: 8 by 8 cells">'
    '${(value || []).flat().map((h, i) => `<div role="gridcell" class="cell${h ? " hidden" : ""}" data-cell="${i}" '
    'aria-selected="${h ? "true" : "false"}" style="background: rgb(${Array(3).fill(Math.round(255 * (1 - '
    '(pixels[i] || 0)))).join(",")})"></div>`).join("")}</div>'
    '<button type="button" class="clear">Clear the mask</button>'
)
MASK_CSS = (".mask-grid { display: grid; grid-template-columns: repeat(8, 32px); width: 256px; border: 1px solid #888; "
            "touch-action: none; cursor: crosshair; user-select: none; } "
            ".cell { width: 32px; height: 32px; position: relative; box-shadow: inset 0 0 0 1px rgba(128,128,128,.35); } "
            ".cell.hidden::after { content: ''; position: absolute; inset: 0; background: repeating-linear-gradient("
            "45deg, rgba(214,39,40,.8) 0 4px, rgba(214,39,40,.35) 4px 8px); } button.clear { margin-top: 6px; }")
MASK_JS = """
let mode = null, draft = null;
const cellAt = e => {
  const el = document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-cell]');
  return el && element.contains(el) ? +el.dataset.cell : -1;
};
const paint = i => {
  if (i < 0 || draft[i] === mode) return;
  draft[i] = mode;
  element.querySelector(`[data-cell="${i}"]`).classList.toggle('hidden', mode === 1);
};
const rows = flat => [0, 1, 2, 3, 4, 5, 6, 7].map(r => flat.slice(8 * r, 8 * r + 8));
element.addEventListener('pointerdown', e => {
  const i = cellAt(e);
  if (i < 0) return;
  e.preventDefault();
  draft = (props.value || []).flat().map(v => (v ? 1 : 0));
  if (draft.length !== 64) draft = new Array(64).fill(0);
  mode = draft[i] ? 0 : 1;
  paint(i);
  element.setPointerCapture(e.pointerId);
});
element.addEventListener('pointermove', e => { if (mode !== null) paint(cellAt(e)); });
const finish = () => { if (mode !== null) { mode = null; props.value = rows(draft); } };
element.addEventListener('pointerup', finish);
element.addEventListener('pointercancel', finish);
element.addEventListener('click', e => {
  if (e.target.closest('button.clear')) props.value = rows(new Array(64).fill(0));
});
"""


def mask_grid(mask: list[list[int]], pixels: list[float], *, elem_id: str) -> gr.HTML:
    """The painting grid: value ``mask`` (8 rows of 8, 1 = hidden) over the digit's 64 grey levels.

    Update the backdrop with ``gr.update(pixels=...)``; the value changes once per stroke.
    """
    return gr.HTML(mask, html_template=MASK_HTML, css_template=MASK_CSS, js_on_load=MASK_JS, pixels=pixels,
                   elem_id=elem_id, padding=False)

