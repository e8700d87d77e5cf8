// What the browser tests check, one function per scenario. Each gets the
// page and helpers from browser.mjs, throws on a failed check, and returns
// what it measured. The data they expect is written by
// test/integration/test_ui_browser.py.

const cpuRate = 'rate(node_cpu_seconds_total[5m])';

/** Pixels of the canvas within a small distance of an RGB colour. */
async function countPixels(page, selector, [r, g, b]) {
  return page.evaluate(
    ({ selector, r, g, b }) => {
      const canvas = document.querySelector(selector);
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12) n++;
      }
      return n;
    },
    { selector, r, g, b },
  );
}

async function typeQuery(page, panel, text) {
  await page.locator(`.panel[data-panel="${panel}"] .cm-content`).click();
  await page.keyboard.type(text);
}

/** The number a panel's stats line reports, e.g. data-draw-ms. */
async function panelStat(page, panel, name) {
  const stats = page.locator(`.panel[data-panel="${panel}"] .stats[${name}]`);
  await stats.waitFor();
  return parseFloat(await stats.getAttribute(name));
}

export const scenarios = {
  /** The root opens the Query page with its editor, ready to type in. */
  async query_page(t) {
    const { page } = t;
    await page.goto(t.url('/'));
    await page.locator('.cm-content').waitFor();
    const readyMs = await page.evaluate(() => performance.now());
    t.check((await page.title()).startsWith('Query'), `title is ${await page.title()}`);
    t.check((await page.locator('header nav a[aria-current="page"]').innerText()) === 'Query', 'the Query tab is not marked');
    t.check(await page.locator('.cm-content').evaluate((e) => e.contains(document.activeElement)), 'the editor has no focus');
    await t.screenshot('query-empty.png');
    return { readyMs: Math.round(readyMs) };
  },

  /** A query typed and run with Enter shows a table; the URL keeps it. */
  async table_query(t) {
    const { page } = t;
    await page.goto(t.url('query'));
    await typeQuery(page, 0, 'ui_test_value');
    await page.keyboard.press('Enter');
    const rows = page.locator('.panel[data-panel="0"] .data-table tr');
    await rows.first().waitFor();
    t.check((await rows.count()) === 2, `expected 2 rows, got ${await rows.count()}`);
    const text = await page.locator('.panel[data-panel="0"] .data-table').innerText();
    t.check(text.includes('ui_test_value{instance="a", job="ui"}') && text.includes('42'), `table shows ${text}`);
    t.check(text.includes('ui_test_value{instance="b", job="ui"}') && text.includes('-0.5'), `table shows ${text}`);
    await page.waitForFunction(() => location.search.includes('g0.expr=ui_test_value'));
    t.check(new URL(page.url()).pathname.endsWith('/query'), `the page moved to ${page.url()}`);

    // The URL alone brings the same view back, run at once.
    await page.goto(page.url());
    await rows.first().waitFor();
    t.check((await rows.count()) === 2, 'the reloaded page did not run its query');

    // A second panel runs on its own; removing it leaves the first.
    await page.getByRole('button', { name: 'Add query' }).click();
    await typeQuery(page, 1, 'sum(ui_test_value)');
    await page.locator('.panel[data-panel="1"]').getByRole('button', { name: 'Execute' }).click();
    const sum = page.locator('.panel[data-panel="1"] .data-table td.value');
    await sum.waitFor();
    t.check((await sum.innerText()) === '41.5', `sum is ${await sum.innerText()}`);
    await page.waitForFunction(() => location.search.includes('g1.expr=sum'));
    await t.screenshot('query-table.png');
    await page.locator('.panel[data-panel="1"]').getByRole('button', { name: 'Remove this query' }).click();
    t.check((await page.locator('.panel').count()) === 1, 'the panel was not removed');
  },

  /** A range query draws its series, with a legend and a value under the cursor. */
  async graph(t) {
    const { page } = t;
    await page.goto(t.url(`query?g0.expr=${encodeURIComponent(cpuRate)}&g0.tab=graph&g0.range_input=1h`));
    await page.locator('.graph canvas').waitFor();
    const drawMs = await panelStat(page, 0, 'data-draw-ms');
    // The first two series' colours are on the canvas.
    for (const [i, rgb] of [[0, [31, 119, 180]], [1, [255, 127, 14]]]) {
      const n = await countPixels(page, '.graph canvas', rgb);
      t.check(n > 200, `series ${i}'s colour covers ${n} pixels`);
    }
    const legend = await page.locator('.graph .u-legend .u-series').allInnerTexts();
    t.check(legend.length === 10, `legend has ${legend.length} rows`);
    t.check(legend.some((l) => l.includes('instance="host1:9100", job="node", mode="user"')), `legend: ${legend.join(' | ')}`);

    // Hovering the plot fills the legend's values and shows the nearest series.
    const box = await page.locator('.graph .u-over').boundingBox();
    let tip = '';
    for (let y = box.y + 4; y < box.y + box.height && !tip; y += 6) {
      await page.mouse.move(box.x + box.width / 2, y);
      if (await page.locator('.graph-tooltip').isVisible()) tip = await page.locator('.graph-tooltip').innerText();
    }
    t.check(/mode="/.test(tip) && /\d/.test(tip), `tooltip: ${tip}`);
    const values = await page.locator('.graph .u-legend .u-series .u-value').allInnerTexts();
    t.check(values.slice(1).some((v) => /^-?\d/.test(v)), `legend values: ${values.join(' | ')}`);
    await t.screenshot('query-graph.png');

    // Stacked: the last series is drawn on top of the others.
    await page.getByLabel('Display').selectOption('stacked');
    await page.waitForFunction(() => location.search.includes('display_mode=stacked'));
    await page.locator('.graph canvas').waitFor();
    const top = await countPixels(page, '.graph canvas', [188, 189, 34]);
    t.check(top > 200, `the stacked chart's top series covers ${top} pixels`);
    await t.screenshot('query-graph-stacked.png');
    return { drawMs };
  },

  /** Completion offers a metric name read from the server. */
  async autocomplete(t) {
    const { page } = t;
    await page.goto(t.url('query'));
    await typeQuery(page, 0, 'node_cp');
    const list = page.locator('.cm-tooltip-autocomplete');
    await list.waitFor();
    const offered = await list.innerText();
    t.check(offered.includes('node_cpu_seconds_total'), `offered: ${offered}`);
    await t.screenshot('query-autocomplete.png');
    await page.keyboard.press('Tab');
    const text = await page.locator('.panel[data-panel="0"] .cm-content').innerText();
    t.check(text.trim() === 'node_cpu_seconds_total', `accepted: ${text}`);
  },

  /** A malformed query is marked in the editor and the server's error is shown. */
  async parse_error(t) {
    const { page } = t;
    await page.goto(t.url('query'));
    await typeQuery(page, 0, 'sum(rate(node_cpu_seconds_total[5m]) by');
    await page.locator('.cm-lintRange-error').first().waitFor();
    await page.keyboard.press('Enter');
    const error = page.locator('.panel[data-panel="0"] .error');
    await error.waitFor();
    const message = await error.innerText();
    t.check(/parse error/i.test(message), `error shown: ${message}`);
  },

  /** The dark theme applies to the page and the chart, and is remembered. */
  async dark_theme(t) {
    const { page } = t;
    await page.goto(t.url(`query?g0.expr=${encodeURIComponent(cpuRate)}&g0.tab=graph`));
    await page.locator('.graph canvas').waitFor();
    // System (light here) → light → dark.
    for (const title of ['Theme: light', 'Theme: dark']) {
      await page.locator('.theme-switch').click();
      await page.locator(`.theme-switch[title="${title}"]`).waitFor();
    }
    t.check((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'the page is not dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    t.check(background === 'rgb(13, 17, 23)', `dark background is ${background}`);
    await page.waitForTimeout(100);
    await t.screenshot('query-graph-dark.png');
    await page.reload();
    await page.locator('.graph canvas').waitFor();
    t.check((await page.evaluate(() => document.documentElement.dataset.theme)) === 'dark', 'the choice was not kept');
  },

  /** An unknown page says so, inside the UI. */
  async not_found(t) {
    const { page } = t;
    await page.goto(t.url('no-such-page'));
    await page.getByText('Page not found').waitFor();
    await page.getByRole('link', { name: 'Go to the query page' }).click();
    await page.locator('.cm-content').waitFor();
    t.check(new URL(page.url()).pathname.endsWith('/query'), `link went to ${page.url()}`);
  },

  /** Scrape pools with their targets' health, errors and labels; the filter. */
  async targets(t) {
    const { page } = t;
    await page.goto(t.url('targets'));
    // The first scrapes happen within a second of the start.
    const app = page.locator('.pool[data-pool="app"]');
    await app.waitFor();
    await page.waitForFunction(
      () => document.querySelector('.pool[data-pool="broken"] .badge.down') !== null,
    );
    for (let i = 0; i < 20 && !(await app.locator('tbody .badge.up').count()); i++) {
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    t.check((await app.locator('h2 .badge').innerText()) === '1 / 1 up', `app pool: ${await app.locator('h2').innerText()}`);
    t.check((await app.innerText()).includes('team="ui"'), 'the target labels are missing');
    const broken = page.locator('.pool[data-pool="broken"]');
    t.check((await broken.locator('tbody td.bad').innerText()).includes('404'), `error: ${await broken.innerText()}`);
    await t.screenshot('targets.png');
    await page.getByLabel('Unhealthy only').check();
    t.check((await page.locator('.pool').count()) === 1, 'the unhealthy filter kept a healthy pool');
    await page.getByLabel('Unhealthy only').uncheck();
    await page.getByLabel('Filter targets').fill('missing');
    t.check((await page.locator('.pool').count()) === 1 && (await broken.count()) === 1, 'the text filter failed');
  },

  /** Runtime and build, the head's cardinality, flags and configuration. */
  async status_pages(t) {
    const { page } = t;
    await page.goto(t.url('status'));
    await page.getByText('Storage retention').waitFor();
    t.check((await page.locator('.kv-table').first().innerText()).includes('15d'), 'the retention is missing');
    await page.getByRole('link', { name: 'TSDB', exact: true }).click();
    const metrics = page.locator('.stat-table', { hasText: 'Series by metric name' });
    await metrics.locator('tbody tr').first().waitFor();
    // Largest first (the head holds what was not flushed: ui_big's 100
    // series on the server that keeps everything in the head).
    const counts = (await metrics.locator('tbody td.num').allInnerTexts()).map((c) => parseInt(c.replace(/,/g, ''), 10));
    t.check(counts.length > 0 && counts.every((c, i) => i === 0 || c <= counts[i - 1]), `counts: ${counts}`);
    if (process.env.UI_HEAD_HAS_BIG) {
      const top = await metrics.locator('tbody tr').first().innerText();
      t.check(top.includes('ui_big') && top.includes('100'), `the largest metric: ${top}`);
    }
    t.check(new URL(page.url()).pathname.endsWith('/tsdb-status'), `TSDB page at ${page.url()}`);
    t.check(
      (await page.locator('header nav a[aria-current="page"]').innerText()) === 'Status',
      'the Status tab is not marked',
    );
    await t.screenshot('status-tsdb.png');
    await page.getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByLabel('Filter flags').fill('retention');
    const flags = await page.locator('.kv-table').innerText();
    t.check(flags.includes('--retention') && !flags.includes('--listen'), `filtered flags: ${flags}`);
    await page.getByRole('link', { name: 'Configuration', exact: true }).click();
    await page.locator('.config-yaml, .status-page p.muted').first().waitFor();
  },

  /** Firing and pending alerts with labels and annotations; rule groups with states and health. */
  async alerts_pages(t) {
    const { page } = t;
    await page.goto(t.url('alerts'));
    const high = page.locator('.alert-group[data-alert="UiTestHigh"]');
    for (let i = 0; i < 40 && !(await high.count()); i++) {
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    const text = await high.innerText();
    t.check(text.includes('1 firing') && text.includes('FIRING'), `UiTestHigh: ${text}`);
    t.check(text.includes('instance="a"') && text.includes('a is at 42'), `labels or annotation missing: ${text}`);
    const slow = await page.locator('.alert-group[data-alert="UiTestSlow"]').innerText();
    t.check(slow.includes('PENDING'), `UiTestSlow: ${slow}`);
    await t.screenshot('alerts.png');

    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const rule = page.locator('tr[data-rule="UiTestHigh"]');
    await rule.waitFor();
    const ruleText = await rule.innerText();
    t.check(ruleText.includes('ui_test_value > 10') && ruleText.includes('FIRING') && ruleText.includes('ok'), `rule: ${ruleText}`);
    const record = await page.locator('tr[data-rule="job:ui_test_value:sum"]').innerText();
    t.check(record.includes('record') && record.includes('sum by (job)'), `recording rule: ${record}`);
    t.check((await page.locator('header nav a[aria-current="page"]').innerText()) === 'Alerts', 'the Alerts tab is not marked');
    await t.screenshot('rules.png');
  },

  /** "Silence" on a firing alert opens the form with its labels; the silence is created. */
  async silence_from_alert(t) {
    const { page } = t;
    await page.goto(t.url('alerts'));
    const row = page.locator('.alert-group[data-alert="UiTestHigh"] tr[data-alertname="UiTestHigh"]').first();
    await row.waitFor();
    await row.getByRole('link', { name: 'Silence' }).click();
    const matchers = page.getByLabel('Matchers');
    await matchers.waitFor();
    const prefilled = await matchers.inputValue();
    t.check(prefilled.includes('alertname="UiTestHigh"') && prefilled.includes('instance="a"'), `matchers: ${prefilled}`);
    await page.getByLabel('Created by').fill('ui-test');
    await page.getByLabel('Comment').fill('maintenance from the UI');
    await page.getByRole('button', { name: 'Create silence' }).click();
    const notice = page.locator('.info', { hasText: 'created' });
    await notice.waitFor();
    const silenceId = (await notice.innerText()).match(/Silence (\S+) created/)[1];
    await page.locator(`tr[data-silence="${silenceId}"]`).waitFor();
    await t.screenshot('silences.png');
    // A malformed matcher is refused with a message, nothing is sent.
    await matchers.fill('alertname=UiTestHigh');
    await page.getByLabel('Comment').fill('bad');
    await page.getByRole('button', { name: 'Create silence' }).click();
    t.check((await page.locator('.silence-form .error').innerText()).includes('not a matcher'), 'no error for a bad matcher');
    return { silenceId };
  },

  /** Expire, in the list (SILENCE_ID: the silence). */
  async expire_silence(t) {
    const { page } = t;
    await page.goto(t.url('silences'));
    const row = page.locator(`tr[data-silence="${process.env.SILENCE_ID}"]`);
    await row.getByRole('button', { name: 'Expire' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: 'Expired' }).click();
    await row.waitFor();
  },

  /** The history's timeline shows the firing alert's span. */
  async alert_history(t) {
    const { page } = t;
    for (let i = 0; i < 30; i++) {
      await page.goto(t.url('alert-history'));
      await page.locator('.timeline, .history-page p.muted').first().waitFor();
      if (await page.locator('.timeline g[data-rule="UiTestHigh"] rect.span-firing').count()) break;
      await page.waitForTimeout(500);
    }
    t.check((await page.locator('.timeline g[data-rule="UiTestHigh"] rect.span-firing').count()) > 0, 'no firing span');
    t.check((await page.locator('.timeline g[data-rule="UiTestSlow"] rect.span-pending').count()) > 0, 'no pending span');
    await t.screenshot('alert-history.png');
  },

  /** A question in words finds the metric; its page lists labels and values; Graph opens its query. */
  async explore(t) {
    const { page } = t;
    await page.goto(t.url('explore'));
    await page.getByLabel('Search metrics').fill('time the processors spent in each mode');
    const hit = page.locator('.search-results li').first();
    // The index is built within a second or two of the start.
    for (let i = 0; i < 30; i++) {
      await page.getByRole('button', { name: 'Search' }).click();
      await page.locator('.search-results, .explore-page .empty, .explore-page .error').first().waitFor();
      if ((await hit.count()) && (await hit.getAttribute('data-metric')) === 'node_cpu_seconds_total') break;
      await page.waitForTimeout(500);
      await page.getByLabel('Search metrics').fill(`time the processors spent in each mode${' '.repeat(i % 2)}`);
    }
    t.check((await hit.getAttribute('data-metric')) === 'node_cpu_seconds_total', `first hit: ${await hit.innerText()}`);
    t.check((await hit.innerText()).includes('Seconds the CPUs spent in each mode.'), 'the HELP is missing');
    t.check(page.url().includes('q=time+the+processors'), `the question is not in the URL: ${page.url()}`);
    await t.screenshot('explore.png');

    await hit.getByRole('link', { name: 'node_cpu_seconds_total' }).click();
    const mode = page.locator('tr[data-label="mode"]');
    await mode.waitFor();
    const modeText = await mode.innerText();
    t.check(/\b3\b/.test(modeText) && modeText.includes('idle (3)'), `mode label: ${modeText}`);
    t.check((await page.locator('.kv-table').innerText()).includes('counter'), 'the type is missing');
    await t.screenshot('metric.png');

    await page.goBack();
    await hit.getByRole('link', { name: 'Graph' }).click();
    await page.locator('.graph canvas').waitFor();
    const expr = await page.locator('.panel[data-panel="0"] .cm-content').innerText();
    t.check(expr.includes('rate(node_cpu_seconds_total[5m])'), `suggested query: ${expr}`);
  },

  /** SQL: tables listed, a query shows rows, a time series result draws, downloads work. */
  async sql(t) {
    const { page } = t;
    await page.goto(t.url('sql'));
    await page.locator('details[data-table="samples"]').waitFor();
    await page.getByRole('button', { name: 'Run' }).click();
    const rows = page.locator('.sql-result tbody tr');
    await rows.first().waitFor();
    const first = await rows.first().innerText();
    t.check(first.includes('ui_big') && first.includes('100'), `first row: ${first}`);
    t.check(page.url().includes('q=SELECT'), 'the query is not in the URL');
    await t.screenshot('sql-table.png');

    // A time column and a numeric one: the chart.
    await page.locator('.sql-editor .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type(
      "SELECT ts, mode, avg(value) AS v FROM samples WHERE metric = 'node_cpu_seconds_total' GROUP BY ts, mode ORDER BY ts",
    );
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => document.querySelector('.stats')?.textContent?.includes('rows'));
    await page.getByRole('tab', { name: 'Chart' }).click();
    await page.locator('.sql-page .graph canvas').waitFor();
    const legend = await page.locator('.sql-page .u-legend .u-series').count();
    t.check(legend === 4, `the chart has ${legend - 1} series`);
    const drawn = await countPixels(page, '.sql-page .graph canvas', [31, 119, 180]);
    t.check(drawn > 100, `the chart's first series covers ${drawn} pixels`);
    await t.screenshot('sql-chart.png');

    const csv = await page.request.get(await page.getByRole('link', { name: 'CSV' }).getAttribute('href', {}).then((h) => new URL(h, page.url()).href));
    const csvText = await csv.text();
    t.check(csv.ok() && csvText.startsWith('ts,mode,v') && csvText.split('\n').length > 100, `CSV: ${csvText.slice(0, 80)}`);
    const parquet = await page.request.get(new URL(await page.getByRole('link', { name: 'Parquet' }).getAttribute('href'), page.url()).href);
    const bytes = await parquet.body();
    t.check(parquet.ok() && bytes.subarray(0, 4).toString() === 'PAR1', 'the Parquet download is not Parquet');

    // An error from DuckDB is shown.
    await page.locator('.sql-editor .cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('SELECT nope FROM samples');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Enter');
    const error = page.locator('.sql-page .error');
    await error.waitFor();
    t.check((await error.innerText()).toLowerCase().includes('nope'), `error: ${await error.innerText()}`);
  },

  /** The cold tier's table: days, commits, and a version to read back elsewhere. */
  async cold_tier(t) {
    const { page } = t;
    await page.goto(t.url('cold-tier'));
    const days = page.locator('.days tbody tr');
    await days.first().waitFor();
    const summary = await page.locator('.kv-table').innerText();
    t.check(/Delta version\s+\d+/.test(summary) && !summary.includes('none yet'), `summary: ${summary}`);
    const write = page.locator('.commits tbody tr', { hasText: 'WRITE' }).first();
    await write.waitFor();
    const version = await write.getAttribute('data-version');
    await write.click();
    const snippet = await page.locator('.time-travel').innerText();
    t.check(snippet.includes(`version=${version}`) && snippet.includes(`"versionAsOf", ${version}`), `snippet: ${snippet}`);
    t.check((await page.locator('header nav a[aria-current="page"]').innerText()) === 'Status', 'the Status tab is not marked');
    await t.screenshot('cold-tier.png');
  },

  /** Keyboard only: type, run with Enter, Tab out of the editor to the buttons, switch tabs. */
  async keyboard(t) {
    const { page } = t;
    await page.goto(t.url('query'));
    await page.locator('.cm-content').waitFor();
    // The editor has the focus on arrival.
    await page.keyboard.type('ui_test_value');
    await page.keyboard.press('Escape'); // close the completion list
    await page.keyboard.press('Enter');
    await page.locator('.panel[data-panel="0"] .data-table tr').first().waitFor();
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
    t.check((await focused()) === 'Execute', `after Tab: ${await focused()}`);
    await page.keyboard.press('Tab');
    t.check((await focused()) === 'Table', `after a second Tab: ${await focused()}`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.locator('.graph canvas').waitFor();
    t.check(
      (await page.locator('.tabs .tab.active').innerText()) === 'Graph',
      'Enter on the Graph tab did not switch to it',
    );
  },

  /** 100 series × 1,000 points: how long the chart takes to build and draw
   * (UI_BIG_END: the data's last timestamp, in Unix seconds). */
  async big_graph(t) {
    const { page } = t;
    await page.goto(t.url(`query?g0.expr=ui_big&g0.tab=graph&g0.range_input=4h9m45s&g0.step_input=15&g0.end_input=${encodeURIComponent(process.env.UI_BIG_END)}`));
    await page.locator('.graph canvas').waitFor();
    const drawMs = await panelStat(page, 0, 'data-draw-ms');
    const loadMs = await panelStat(page, 0, 'data-load-ms');
    const legend = await page.locator('.graph .u-legend .u-series').count();
    t.check(legend === 101, `legend has ${legend} rows`);
    return { drawMs, loadMs };
  },
};
