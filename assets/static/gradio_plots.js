// Page-wide fixes for Gradio 6.31's gr.Plot (Plotly), inlined in the page's head (demos/figure_tools.head).
//
// How gr.Plot draws: its Plotly component is wrapped in a {#key} block, so each new value mounts a
// fresh "shell" <div data-testid="plotly"> in the component's .block and calls Plotly.react on it,
// then Plotly.Plots.resize; the component being replaced also sees the new value first and draws it
// into its old shell. Measured in headless Chromium on 2 cores (Sinusoidal tab, 5 figures): two
// whole Plotly draws per figure per update, each into a new div (~2x a redraw of a div already
// drawn), 260-370 ms of the page's time per key press. And the old shells are never purged.
//
// 1. One draw per value, into one kept div. A Plotly.react on a shell is deferred to the next
//    animation frame (the moment before the browser paints anyway), and only the newest value of a
//    shell still on the page is drawn - into a "canvas" div that the .block keeps for good, moved into
//    the current shell as soon as Gradio draws there (showing the last figure until the frame's draw).
//    Plotly.react on a div it already drew redraws only what changed.
// 2. Gradio follows every react with Plots.resize; on a shell it is dropped (the deferred react sizes
//    the autosized figure to its container), elsewhere skipped when the size has not changed.
// 3. A plot div that has left the page for good (its .block gone too) is purged: otherwise Plotly's
//    window "resize" listener (Gradio sets `responsive`) keeps it and its whole SVG tree alive.
// LivePlot's divs (demos/liveplot.py) are not shells: their calls pass through unchanged.
if (!window.__explainerPlotFixes) {
  window.__explainerPlotFixes = true;
  const SHELL = '[data-testid="plotly"]';
  const isShell = el => el instanceof Element && el.matches(SHELL);
  const canvases = new WeakMap();  // .block -> its canvas (the div Plotly draws in)
  const pending = new Map();       // shell -> the arguments of its newest Plotly.react
  window.__explainerPlotDraws = 0;  // draws of shells' values (one per value shown; tests read it)

  const canvasFor = shell => {
    const block = shell.parentElement;
    let canvas = canvases.get(block);
    if (!canvas) {
      canvas = document.createElement('div');
      canvas.className = 'explainer-plot';
      canvas.__explainerBlock = block;
      canvases.set(block, canvas);
    }
    if (canvas.parentElement !== shell) shell.appendChild(canvas);
    return canvas;
  };
  const target = el => {  // where a call on a shell lands: its canvas, once it has one
    const canvas = isShell(el) && el.parentElement && canvases.get(el.parentElement);
    return canvas && canvas.parentElement === el ? canvas : el;
  };

  const patch = P => {
    if (!P || !P.react || P.__explainerPatched) return;
    P.__explainerPatched = true;
    const react = P.react, resize = P.Plots.resize, purge = P.purge;
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const jobs = [...pending];
      pending.clear();
      for (const [shell, args] of jobs) {
        if (!shell.isConnected || !shell.parentElement) continue;  // replaced already: its successor draws
        window.__explainerPlotDraws++;
        Promise.resolve(react.call(P, canvasFor(shell), ...args))
          .catch(err => console.warn('explainer: figure not drawn', err));
      }
    };
    P.react = function (gd, ...args) {
      const el = typeof gd === 'string' ? document.getElementById(gd) : gd;
      if (!isShell(el)) return react.call(this, gd, ...args);
      if (el.isConnected && el.parentElement) canvasFor(el);  // at once: the figure never leaves the page meanwhile
      pending.set(el, args);
      if (!scheduled) { scheduled = true; requestAnimationFrame(flush); }
      return Promise.resolve(el);
    };
    P.Plots.resize = function (gd) {
      const el = typeof gd === 'string' ? document.getElementById(gd) : gd;
      if (isShell(el) && pending.has(el)) return Promise.resolve(el);  // the deferred draw sizes it
      const real = el ? target(el) : el, full = real && real._fullLayout;
      if (!full) return isShell(el) ? Promise.resolve(el) : resize.call(this, gd);
      if (full.autosize && real.clientWidth && Math.abs(full.width - real.clientWidth) < 1
          && Math.abs(full.height - real.clientHeight) < 1) {
        window.__explainerResizesSkipped = (window.__explainerResizesSkipped || 0) + 1;
        return Promise.resolve(real);
      }
      return resize.call(this, real);
    };
    P.purge = function (gd) {
      const el = typeof gd === 'string' ? document.getElementById(gd) : gd;
      return purge.call(this, el ? target(el) : gd);
    };
  };

  const gone = new Set();
  const sweep = () => {
    for (const gd of gone) {
      const block = gd.__explainerBlock;  // a canvas between two shells is kept while its .block is on the page
      if (!gd.isConnected && !(block && block.isConnected) && window.Plotly) window.Plotly.purge(gd);
    }
    gone.clear();
  };
  const watchRemovals = () => new MutationObserver(records => {
    for (const record of records) for (const node of record.removedNodes) {
      if (node.nodeType !== 1) continue;
      if (node.classList.contains('js-plotly-plot')) gone.add(node);
      node.querySelectorAll('.js-plotly-plot').forEach(gd => gone.add(gd));
    }
    if (gone.size) setTimeout(sweep, 0);  // a div only moved elsewhere is connected again by then
  }).observe(document.body, {childList: true, subtree: true});
  if (document.body) watchRemovals();
  else document.addEventListener('DOMContentLoaded', watchRemovals);

  if (window.Plotly) patch(window.Plotly);
  else {  // Gradio loads Plotly with the first plot: patch it as it arrives
    let plotly;
    Object.defineProperty(window, 'Plotly', {configurable: true, enumerable: true,
      get: () => plotly, set: value => { plotly = value; patch(value); }});
  }
}
