/* Figures to take away: every Plotly figure gets a small "PNG · SVG" toolbar, and
   window.explainerSaveView() saves the figures of the open tab as one HTML file that opens offline.

   Everything runs in the browser; the server does no work for a download.
   - A gr.Plot's figure is drawn into a <div class="js-plotly-plot"> (the "graph div", gd) that
     gradio_plots.js keeps per component and puts inside Gradio's current <div data-testid="plotly">
     in the component's .block (a LivePlot's gd sits in its gr.HTML's own box). Gradio sets
     window.Plotly once it has drawn one. The toolbar is put on the block once and finds the
     block's current gd when clicked.
   - Plotly.downloadImage(gd, {format}) renders the figure to PNG or SVG at its size on screen.
   - The saved page inlines plotly.min.js (fetched once from PLOTLY_URL, served by the app from the
     plotly package: see demos/figure_tools.py) and each figure's {data, layout} as JSON, so it
     needs no network and no server when opened later.
   Installed by demos/figure_tools.head() through launch(head=...), inlined in a script element:
   so this file never spells that element's closing tag; it writes "<\/" (the same to JavaScript). */
(() => {
  if (window.explainerSaveView) return;  // installed once per page
  const PLOTLY_URL = 'explainer/plotly.min.js';  // relative to the page: works under a path prefix too
  const TOOLBAR = 'explainer-figtools';
  let plotlySource = null;  // the text of plotly.min.js, fetched on the first "save view"

  const visible = el => el.offsetParent !== null;
  const clean = text => String(text || '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();

  // The names of the open tabs around an element, outermost first: ["Attention", "One head"].
  // Gradio's tab panels do not point at their buttons, but a visible element lies in the
  // selected panel of every .tabs around it, and each .tabs marks its selected button.
  function tabPath(el) {
    const names = [];
    for (let tabs = el.closest('.tabs'); tabs; tabs = tabs.parentElement.closest('.tabs')) {
      const button = tabs.querySelector(':scope > .tab-wrapper [role=tablist] [aria-selected=true]');
      if (button) names.unshift(clean(button.textContent));
    }
    return names;
  }

  // The box a figure's toolbar goes in: a gr.Plot's .block (gd sits in Gradio's plot div), else gd's parent.
  const SHELL = '[data-testid="plotly"]';
  const blockOf = gd => gd.parentElement && gd.parentElement.matches(SHELL) ? gd.parentElement.parentElement : gd.parentElement;

  // A figure's title: Plotly's layout title, else the gr.Plot label, else "figure".
  function figureTitle(gd) {
    const title = gd.layout && gd.layout.title;
    const text = clean(typeof title === 'string' ? title : title && title.text);
    if (text) return text;
    const block = blockOf(gd), label = block && block.querySelector('[data-testid=block-label]');
    return clean(label && label.textContent) || 'figure';
  }

  // "<tab>-<figure title>", with only characters every file system accepts.
  function fileName(gd) {
    const tab = tabPath(gd).pop() || 'explainer';
    return `${tab}-${figureTitle(gd)}`.replace(/[\\/:*?"<>|#%&{}$!'@`=+~^]+/g, '_')
      .replace(/\s+/g, ' ').trim().slice(0, 120);
  }

  function download(block, format) {
    const gd = block.querySelector(`:scope > .js-plotly-plot, :scope > ${SHELL} > .js-plotly-plot`);
    if (!gd || !window.Plotly) return Promise.resolve();
    return window.Plotly.downloadImage(gd, {format, filename: fileName(gd)});  // at the figure's size
  }

  function addToolbar(gd) {
    const block = blockOf(gd);
    if (!block || block.querySelector(`:scope > .${TOOLBAR}`)) return;
    const bar = document.createElement('div');
    bar.className = TOOLBAR;
    bar.setAttribute('role', 'group');
    bar.setAttribute('aria-label', 'Download this figure');
    for (const format of ['png', 'svg']) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = format.toUpperCase();
      button.dataset.format = format;
      button.title = `Download this figure as ${format.toUpperCase()}`;
      button.addEventListener('click', () => download(block, format));
      bar.appendChild(button);
    }
    if (getComputedStyle(block).position === 'static') block.style.position = 'relative';  // LivePlot's wrapper
    block.appendChild(bar);
  }

  // Presenter mode (present.css) hides accordions labelled "Advanced …"; CSS cannot read a
  // label's text, so such accordions get the class "advanced" here.
  function markAdvanced(root) {
    const around = root.closest && root.closest('.gr-accordion');  // a label added after its accordion
    const accordions = around ? [around, ...root.querySelectorAll('.gr-accordion')] : root.querySelectorAll('.gr-accordion');
    for (const acc of accordions) {
      const label = acc.querySelector(':scope > .label-wrap');
      if (label && /^\s*advanced\b/i.test(label.textContent)) acc.classList.add('advanced');
    }
  }

  const STYLE = `
    .${TOOLBAR} { position: absolute; right: 6px; bottom: 4px; z-index: 5; display: flex; gap: 2px;
      opacity: 0; transition: opacity 0.15s; }
    :hover > .${TOOLBAR}, .${TOOLBAR}:focus-within { opacity: 1; }
    .${TOOLBAR} button { font: 600 12px/1.2 var(--font, sans-serif); padding: 2px 6px; cursor: pointer;
      color: #1a1a1a; background: #fff; border: 1px solid #888; border-radius: 3px; }
    .${TOOLBAR} button:hover { background: #eef3fb; }
    .${TOOLBAR} button:focus-visible { outline: 3px solid #0b57d0; outline-offset: 1px; }`;

  function install() {
    const style = document.createElement('style');
    style.textContent = STYLE;
    document.head.appendChild(style);
    document.querySelectorAll('.js-plotly-plot').forEach(addToolbar);
    markAdvanced(document);
    new MutationObserver(records => {
      for (const record of records) for (const node of record.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.classList.contains('js-plotly-plot')) addToolbar(node);
        else if (node.classList.contains('svg-container')) {  // Plotly drawing into a div that was there (LivePlot)
          const gd = node.closest('.js-plotly-plot');
          if (gd) addToolbar(gd);
        } else node.querySelectorAll('.js-plotly-plot').forEach(addToolbar);
        markAdvanced(node);
      }
    }).observe(document.body, {childList: true, subtree: true});
  }

  // ---- Save the open view as one self-contained HTML file ----

  const escapeHtml = s => String(s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
  // Text inside a script element must not hold its closing tag or an HTML comment opener: escaped, JavaScript reads the same.
  const scriptSafe = s => s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!-{2}/g, '<\\!--');

  // A caption's HTML without anything that could load a resource or run code.
  function captionHtml(el) {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('img, picture, video, audio, source, iframe, object, embed, link, style, script, svg, button')
      .forEach(n => n.remove());
    for (const n of [copy, ...copy.querySelectorAll('*')]) {
      for (const a of [...n.attributes]) if (/^(on|src|srcset|style|class|id|data-)/i.test(a.name)) n.removeAttribute(a.name);
    }
    return copy.innerHTML;
  }

  // What plotly.js was given, without its private keys ("_…") and functions: like Plotly.Plots.graphJson,
  // whose arguments changed between plotly.js 3 (Gradio's) and 4 (the plotly package's).
  function plain(value) {
    if (typeof value === 'function') return undefined;
    if (ArrayBuffer.isView(value)) return Array.from(value);  // a typed array: JSON would make it an object
    if (Array.isArray(value)) return value.map(plain);
    if (value && typeof value === 'object') {
      if (value instanceof Date) return value.toISOString();
      const out = {};
      for (const key of Object.keys(value)) {
        if (key[0] === '_' || key[0] === '[') continue;
        const v = plain(value[key]);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    return value;
  }

  function figureJson(gd) {  // {data, layout, frames?}
    const frames = (gd._transitionData || {})._frames;
    const json = {data: plain(gd.data || []), layout: plain(gd.layout || {})};
    if (frames && frames.length) json.frames = plain(frames);
    return json;
  }

  // The visible figures and captions of the open tab, in page order.
  function viewItems() {
    const items = [];
    for (const el of document.querySelectorAll('.js-plotly-plot, .caption')) {
      if (!visible(el) || (el.classList.contains('caption') && el.parentElement.closest('.caption'))) continue;
      if (el.classList.contains('js-plotly-plot')) {
        items.push({kind: 'figure', title: figureTitle(el), figure: figureJson(el)});
      } else {
        items.push({kind: 'caption', html: captionHtml(el)});
      }
    }
    return items;
  }

  async function plotlyText() {
    if (plotlySource === null) {
      const reply = await fetch(new URL(PLOTLY_URL, document.baseURI), {credentials: 'same-origin'});
      if (!reply.ok) throw new Error(`plotly.min.js: HTTP ${reply.status}`);
      plotlySource = await reply.text();
    }
    return plotlySource;
  }

  function pageHtml(title, items, plotly) {
    const figures = items.filter(i => i.kind === 'figure').map(i => i.figure);
    let k = 0;
    const body = items.map(i => i.kind === 'figure'
      ? `<div class="figure" id="figure-${k++}" aria-label="${escapeHtml(i.title)}"></div>`
      : `<div class="caption">${i.html}</div>`).join('\n');
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 16px/1.45 system-ui, sans-serif; color: #1a1a1a; background: #fff; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; }
  h1 { font-size: 1.5em; } .figure { margin-top: 1em; } .caption { color: #2b2b2b; margin: 0.3em 0 1.2em; }
  .saved { color: #555; font-size: 0.85em; }
</style>
<script>${scriptSafe(plotly)}<\/script>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p class="saved">Saved from GenAI Explainer on ${escapeHtml(new Date().toISOString().slice(0, 16).replace('T', ' '))} UTC.
Hover for values, drag to zoom, double-click to reset.</p>
${body}
<script>
const FIGURES = ${scriptSafe(JSON.stringify(figures))};
FIGURES.forEach((f, k) => Plotly.newPlot('figure-' + k, f.data, f.layout, {responsive: true, displaylogo: false})
  .then(gd => f.frames ? Plotly.addFrames(gd, f.frames) : gd));
<\/script>
</body></html>`;
  }

  function saveBlob(text, name) {
    const url = URL.createObjectURL(new Blob([text], {type: 'text/html'}));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  // Resolves to the number of figures saved (0: nothing to save, nothing downloaded).
  window.explainerSaveView = async () => {
    if (!window.Plotly) return 0;
    const items = viewItems();
    const count = items.filter(i => i.kind === 'figure').length;
    if (!count) return 0;
    const first = [...document.querySelectorAll('.js-plotly-plot')].find(visible);
    const tabs = tabPath(first);
    let plotly;
    try {
      plotly = await plotlyText();
    } catch (err) {
      window.alert(`Could not save the view: the page could not load Plotly from the server (${err.message}).`);
      return 0;
    }
    const title = tabs.join(' – ') || 'GenAI Explainer';
    saveBlob(pageHtml(title, items, plotly), `${(tabs.join('-') || 'explainer').replace(/[^\w .-]+/g, '_')}.html`);
    return count;
  };

  if (document.body) install();
  else document.addEventListener('DOMContentLoaded', install);
})();
