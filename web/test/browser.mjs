// The browser side of the UI tests (test/integration/test_ui_browser.py):
// headless Chromium driven by playwright-core, one scenario per run.
//   node web/test/browser.mjs SCENARIO --url http://127.0.0.1:PORT[/prefix] --out DIR
// Prints one JSON line with what the scenario measured; exits non-zero with
// the reason when a check fails, when the page logs an error to its console,
// or when a request of the page fails.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scenarios } from './scenarios.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string' },
    out: { type: 'string', default: 'build/ui-screenshots' },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
const name = positionals[0];
if (!scenarios[name] || !values.url) {
  console.error(`usage: node web/test/browser.mjs {${Object.keys(scenarios).join('|')}} --url URL [--out DIR]`);
  process.exit(2);
}
mkdirSync(values.out, { recursive: true });

const browser = await chromium.launch({
  executablePath: values.chromium,
  // Root in a container has no user namespace for Chromium's sandbox.
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const problems = [];
let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  // Chrome logs every answer of 400 and up as a console error. The API's
  // 4xx answers are expected (a malformed query); the UI shows them and the
  // scenarios check that. Other 4xx (a missing asset) and 5xx fail below.
  const apiRejection = /^Failed to load resource: the server responded with a status of 4\d\d/;
  page.on('console', (m) => {
    if (m.type() === 'error' && !apiRejection.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // A request the page itself aborted (a superseded query) is not a failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    const isApi = new URL(r.url()).pathname.includes('/api/');
    if (r.status() >= 500 || (r.status() >= 400 && !isApi)) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });

  const base = values.url.replace(/\/$/, '');
  const t = {
    page,
    base,
    url: (path) => `${base}/${path.replace(/^\//, '')}`,
    screenshot: (file) => page.screenshot({ path: join(values.out, file), fullPage: false }),
    check(condition, message) {
      if (!condition) throw new Error(message);
    },
  };
  const measured = (await scenarios[name](t)) ?? {};
  if (problems.length) throw new Error(problems.join('\n'));
  console.log(JSON.stringify({ scenario: name, ...measured }));
} catch (e) {
  console.error(`${name}: ${e.message}`);
  if (problems.length && !e.message.includes(problems[0])) console.error(problems.join('\n'));
  exitCode = 1;
} finally {
  await browser.close();
}
process.exit(exitCode);
