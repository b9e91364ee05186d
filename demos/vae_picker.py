"""Pick a point on a 2-D Plotly map by clicking it (the VAE tab's latent map), besides two sliders.

Gradio 6.31's ``gr.Plot`` has no click event for Plotly, so a ``gr.HTML`` (the "picker") runs a
little JS (``js_on_load``). It listens document-wide in the capture phase — the map's Plotly div
is redrawn on each update, and Plotly's own drag handling sits under the pointer — for a press
and release within 4 px inside the map's plotting area. It turns that pixel into data
coordinates through the axes as drawn (zoom included; linear axes), snaps them to the sliders'
step and range, and sets its value to ``"z1 z2"``.

The picker's value is the one point the view redraws for (:func:`wire`): a click copies it into
the two sliders, a slider copies both sliders into it — both in the browser, no server call —
and only the picker's change should trigger the redraw: one event per click, where the two
sliders' changes would send two. A click's echo (sliders -> picker) writes the same text, so it
changes nothing.
"""

from __future__ import annotations

import gradio as gr

HINT = '<p class="point-picker-hint">Click anywhere on the map to pick z there, or use the sliders.</p>'
_JS = """
window.pointPickers = window.pointPickers || {};
window.pointPickers['$MAP'] = value => { props.value = value; };  // the latest mounted picker of this map
if (!window.pointPickers['$MAP hooked']) {
  window.pointPickers['$MAP hooked'] = true;
  let down = null;
  document.addEventListener('pointerdown', e => {
    const gd = e.button === 0 && e.target.closest ? e.target.closest('#$MAP .js-plotly-plot') : null;
    down = gd && !e.target.closest('.modebar, .legend') ? {gd, x: e.clientX, y: e.clientY} : null;
  }, true);
  document.addEventListener('pointerup', e => {
    const press = down;
    down = null;
    if (!press || Math.hypot(e.clientX - press.x, e.clientY - press.y) > 4) return;  // a drag (zoom), not a click
    const xa = press.gd._fullLayout?.xaxis, ya = press.gd._fullLayout?.yaxis;
    if (!xa || !ya) return;
    const box = press.gd.getBoundingClientRect();
    const px = e.clientX - box.left - xa._offset, py = e.clientY - box.top - ya._offset;
    if (px < 0 || px > xa._length || py < 0 || py > ya._length) return;  // outside the plotting area
    const x = xa.range[0] + (px / xa._length) * (xa.range[1] - xa.range[0]);  // linear axes
    const y = ya.range[1] - (py / ya._length) * (ya.range[1] - ya.range[0]);  // pixel rows grow downwards
    const snap = (v, id) => {
      const r = document.querySelector('#' + id + ' input[type=range]');
      const lo = r ? Number(r.min) : -Infinity, hi = r ? Number(r.max) : Infinity;
      return Number(Math.min(hi, Math.max(lo, Math.round(v / $STEP) * $STEP)).toFixed(6));
    };
    window.pointPickers['$MAP'](`${snap(x, '$Z1')} ${snap(y, '$Z2')}`);
  }, true);
}
"""
# The picker's "z1 z2" -> the two sliders (kept as they are if it does not parse) ...
PICK_TO_SLIDERS = """(picked, z1, z2) => {
  const [a, b] = String(picked).split(' ').map(Number);
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : [z1, z2];
}"""
# ... and the sliders -> the picker, written as a click writes it.
SLIDERS_TO_PICK = "(z1, z2) => `${Number(z1)} ${Number(z2)}`"


def point_picker(map_id: str, slider_ids: tuple[str, str], step: float, *, elem_id: str) -> gr.HTML:
    """The picker for the plot with ``elem_id=map_id`` and the sliders with these elem_ids (render it by the map)."""
    js = _JS.replace("$MAP", map_id).replace("$STEP", repr(float(step)))
    js = js.replace("$Z1", slider_ids[0]).replace("$Z2", slider_ids[1])
    return gr.HTML("", html_template=HINT, js_on_load=js, elem_id=elem_id, padding=False)


def wire(picker: gr.HTML, z1: gr.Slider, z2: gr.Slider) -> None:
    """Click -> sliders, sliders -> picker, in the browser. Call it *before* wiring the redraw on
    ``picker.change``: Gradio runs an event's listeners in order, awaiting each, so the redraw then
    reads sliders already moved to the clicked point."""
    # Both links run in the browser only (no server event, so nothing to re-trigger). .change, not .input: the
    # sliders are set by JS here (a click's echo writes the same text, no change) and by their ↺ button, which
    # fires .change but no .input; the picker is set by JS only.
    picker.change(None, [picker, z1, z2], [z1, z2], js=PICK_TO_SLIDERS, api_name=False, queue=False)
    gr.on([z1.change, z2.change], None, [z1, z2], [picker], js=SLIDERS_TO_PICK, api_name=False, queue=False)
