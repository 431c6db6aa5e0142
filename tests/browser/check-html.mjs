// usage: node check-html.mjs PAGE.html...
// Opens each exported notebook in headless Chromium with the network off and prints, as JSON, what every chart (img.ck-chart)
// and every other image shows, with the page's console errors and the requests it tried to make.
import path from 'node:path';
import { offlineBrowser, openPage, measureImages } from './measure.mjs';

const { browser, context, blocked } = await offlineBrowser();
const report = [];
for (const file of process.argv.slice(2)) {
  const { page, errors } = await openPage(context, 'file://' + path.resolve(file));
  const charts = await page.evaluate(`(${measureImages})('img.ck-chart')`);
  const images = await page.evaluate(`(${measureImages})('img:not(.ck-chart)')`);
  report.push({ file, charts, images, errors, blocked: [...blocked] });
  blocked.length = 0;
  await page.close();
}
await browser.close();
console.log(JSON.stringify(report)); // one line, the last: the test reads it
