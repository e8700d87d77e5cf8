// A query panel's settings, and their form in the page's URL. The names are
// Prometheus's (g0.expr, g0.tab, g0.range_input, ...), so that a link to a
// Prometheus graph opens the same view here.

import { formatDuration, formatTime, parseDuration, parseTime } from '../../lib/time';

export type PanelTab = 'table' | 'graph';
export type DisplayMode = 'lines' | 'stacked';

export interface PanelOptions {
  expr: string;
  tab: PanelTab;
  rangeMs: number;
  /** null: now. */
  endMs: number | null;
  /** null: chosen from the range. */
  stepMs: number | null;
  displayMode: DisplayMode;
}

export function defaultPanel(expr = ''): PanelOptions {
  return { expr, tab: 'table', rangeMs: 3600_000, endMs: null, stepMs: null, displayMode: 'lines' };
}

export function decodePanels(search: string): PanelOptions[] {
  const params = new URLSearchParams(search);
  const panels: PanelOptions[] = [];
  for (let i = 0; params.has(`g${i}.expr`); i++) {
    const get = (name: string) => params.get(`g${i}.${name}`);
    const panel = defaultPanel(get('expr') ?? '');
    const tab = get('tab');
    if (tab === '0' || tab === 'graph') panel.tab = 'graph';
    if (tab === '1' || tab === 'table') panel.tab = 'table';
    const mode = get('display_mode');
    if (mode === 'stacked' || get('stacked') === '1') panel.displayMode = 'stacked';
    const range = parseDuration(get('range_input') ?? '');
    if (range) panel.rangeMs = range;
    const end = parseTime(get('end_input') ?? '') ?? parseTime(get('moment_input') ?? '');
    if (end !== null) panel.endMs = end;
    const step = parseFloat(get('step_input') ?? '');
    if (step > 0) panel.stepMs = step * 1000;
    panels.push(panel);
  }
  return panels;
}

export function encodePanels(panels: PanelOptions[]): string {
  const params = new URLSearchParams();
  panels.forEach((p, i) => {
    params.set(`g${i}.expr`, p.expr);
    params.set(`g${i}.tab`, p.tab);
    params.set(`g${i}.display_mode`, p.displayMode);
    params.set(`g${i}.range_input`, formatDuration(p.rangeMs));
    if (p.endMs !== null) params.set(`g${i}.end_input`, formatTime(p.endMs));
    if (p.stepMs !== null) params.set(`g${i}.step_input`, String(p.stepMs / 1000));
  });
  return params.toString();
}
