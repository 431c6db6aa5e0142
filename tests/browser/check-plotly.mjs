// usage: node check-plotly.mjs NOTEBOOK.ipynb...
// Takes every plotly figure (application/vnd.plotly.v1+json) out of executed notebooks, as VS Code's notebook renderers
// receive them, draws each with a local plotly.js in headless Chromium with the network off, and prints, as JSON, what each
// drawing shows.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { offlineBrowser, openPage, measureImages } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const plotly = path.join(here, 'node_modules', 'plotly.js-dist-min', 'plotly.min.js');
const figures = [];
for (const file of process.argv.slice(2)) {
  const nb = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const cell of nb.cells)
    for (const out of cell.outputs ?? []) {
      const value = out.data?.['application/vnd.plotly.v1+json'];
      if (value === undefined) continue;
      const text = Array.isArray(value) ? value.join('') : value;
      figures.push({ file, figure: typeof text === 'string' ? JSON.parse(text) : text });
    }
}

const page = path.join(fs.mkdtempSync('/tmp/ck-plotly-'), 'page.html');
fs.writeFileSync(page, `<!DOCTYPE html><html><head><meta charset="utf-8"><script src="file://${plotly}"></script></head><body></body></html>`);
const { browser, context, blocked } = await offlineBrowser();
const { page: p, errors } = await openPage(context, 'file://' + page);
const drawn = await p.evaluate(async figs => {
  const out = [];
  for (const fig of figs) {
    const div = document.createElement('div');
    document.body.appendChild(div);
    await Plotly.newPlot(div, fig.data, fig.layout);
    const img = document.createElement('img');
    img.className = 'drawn';
    img.alt = fig.layout?.title?.text ?? '';
    img.src = await Plotly.toImage(div, { format: 'png', width: fig.layout?.width ?? 700, height: fig.layout?.height ?? 450 });
    document.body.appendChild(img);
    out.push(fig.data.length);
  }
  return out;
}, figures.map(f => f.figure)).catch(e => { errors.push(String(e)); return []; });
const measured = await p.evaluate(`(${measureImages})('img.drawn')`);
await browser.close();
console.log(JSON.stringify({
  figures: figures.map((f, i) => ({ file: path.basename(f.file), traces: drawn[i] ?? 0, ...(measured[i] ?? {}) })),
  errors, blocked,
})); // one line, the last: the test reads it
