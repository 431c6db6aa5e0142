// Shared by the checks: a headless Chromium (Debian's) with every request that would leave this machine refused, and an
// in-page measurement of what an image element shows.
import { chromium } from 'playwright-core';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

// The browser: $CHROMIUM if set, else the first chromium (or chromium-browser, Ubuntu's name) on PATH.
export function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser'])
    for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      try { accessSync(join(dir, name), constants.X_OK); return join(dir, name); } catch { }
    }
  throw new Error('no chromium on PATH: install it (apt-get install chromium), or set CHROMIUM to the browser to use');
}

export async function offlineBrowser() {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const blocked = [];
  // The network is off: only the page itself (file:) and inline data may load, as in a workshop without internet.
  await context.route('**/*', route => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { browser, context, blocked };
}

export async function openPage(context, url) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors };
}

// Runs in the page: draws an image element into a canvas at its displayed size and counts its pixels. "ink" are pixels
// that are not near-white (axes, text, marks); "colour" are saturated ones (the charts' data is drawn in colour, axes and
// text in grey or black).
export const measureImages = `(selector) => Promise.all([...document.querySelectorAll(selector)].map(async img => {
  await img.decode().catch(() => {});
  const w = img.naturalWidth, h = img.naturalHeight;
  const result = { alt: img.alt || '', width: w, height: h, ink: 0, colour: 0, pixels: w * h };
  if (!w || !h) return result;
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, w, h);
  g.drawImage(img, 0, 0, w, h);
  const d = g.getImageData(0, 0, w, h).data;
  for (let i = 0; i < d.length; i += 4) {
    const r = d[i], gr = d[i + 1], b = d[i + 2];
    if (r < 235 || gr < 235 || b < 235) result.ink++;
    if (Math.max(r, gr, b) - Math.min(r, gr, b) > 60) result.colour++;
  }
  return result;
}))`;
