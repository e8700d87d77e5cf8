// A range query's result as a uPlot chart: one line per series (or stacked
// areas), a legend with each series' labels and its value under the cursor,
// a tooltip for the series nearest the cursor, and click-to-hide in the
// legend. Times are UTC, as the API's.

import { useContext, useEffect, useMemo, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MatrixSeries } from '../lib/api';
import { formatSeries } from '../lib/labels';
import { seriesColor, withAlpha } from '../lib/colors';
import { cssVar, ThemeContext } from '../lib/theme';
import { formatTime } from '../lib/time';

export interface GraphProps {
  series: MatrixSeries[];
  startMs: number;
  endMs: number;
  stepMs: number;
  stacked: boolean;
  height?: number;
  /** Told how long building and drawing the chart took, in milliseconds. */
  onDrawn?: (ms: number) => void;
}

/** The series' values on the step grid of the query (null where a series has no point). */
export function alignToGrid(series: MatrixSeries[], startMs: number, endMs: number, stepMs: number) {
  const points = Math.max(1, Math.floor((endMs - startMs) / stepMs) + 1);
  const times = new Array<number>(points);
  for (let i = 0; i < points; i++) times[i] = (startMs + i * stepMs) / 1000;
  const values = series.map((s) => {
    const row = new Array<number | null>(points).fill(null);
    for (const [t, v] of s.values) {
      const i = Math.round((t * 1000 - startMs) / stepMs);
      const x = parseFloat(v);
      if (i >= 0 && i < points && Number.isFinite(x)) row[i] = x;
    }
    return row;
  });
  return { times, values };
}

/** Cumulative sums for a stacked chart (a missing point counts as 0). */
function stack(values: (number | null)[][]): (number | null)[][] {
  const total = new Array<number>(values[0]?.length ?? 0).fill(0);
  return values.map((row) => row.map((v, i) => (total[i] += v ?? 0)));
}

function formatValue(v: number | null | undefined): string {
  if (v == null) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Time axis labels in UTC and 24-hour form, with the date when the range spans days. */
function timeTicks(u: uPlot, splits: number[]): string[] {
  const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
  return splits.map((s) => {
    const d = new Date(s * 1000);
    const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
    const day = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    if (span > 3 * 86400) return hm === '00:00' ? day : `${day} ${hm}`;
    if (span > 86400) return `${day.slice(5)} ${hm}`;
    return span < 600 ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
  });
}

/** Shows the series nearest the cursor, its value and the time. */
function tooltipPlugin(names: string[], raw: (number | null)[][]): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'graph-tooltip';
        tip.style.display = 'none';
        u.over.appendChild(tip);
        u.over.addEventListener('mouseleave', () => (tip.style.display = 'none'));
      },
      setCursor: (u) => {
        const { idx, left, top } = u.cursor;
        if (idx == null || left == null || top == null || left < 0) {
          tip.style.display = 'none';
          return;
        }
        let best = -1;
        let bestDistance = Infinity;
        for (let s = 1; s < u.series.length; s++) {
          const v = u.data[s][idx];
          if (v == null || !u.series[s].show) continue;
          const d = Math.abs(u.valToPos(v, 'y') - top);
          if (d < bestDistance) {
            bestDistance = d;
            best = s;
          }
        }
        if (best < 0 || bestDistance > 40) {
          tip.style.display = 'none';
          return;
        }
        tip.replaceChildren();
        const time = document.createElement('div');
        time.className = 'graph-tooltip-time';
        time.textContent = formatTime(u.data[0][idx] * 1000);
        const name = document.createElement('div');
        name.className = 'graph-tooltip-series';
        name.textContent = names[best - 1];
        const value = document.createElement('div');
        value.className = 'graph-tooltip-value';
        value.textContent = formatValue(raw[best - 1][idx]);
        tip.append(time, name, value);
        tip.style.display = 'block';
        const x = left + 12 + tip.offsetWidth > u.over.clientWidth ? left - tip.offsetWidth - 12 : left + 12;
        tip.style.left = `${x}px`;
        tip.style.top = `${Math.max(0, top - tip.offsetHeight - 8)}px`;
      },
    },
  };
}

export interface TimeSeriesChartProps {
  /** Unix seconds, ascending. */
  times: number[];
  names: string[];
  /** One row per name, aligned with `times`; null where a series has no point. */
  values: (number | null)[][];
  stacked: boolean;
  height?: number;
  /** Told how long building and drawing the chart took, in milliseconds. */
  onDrawn?: (ms: number) => void;
}

/** Any time series on a shared time axis (PromQL results, SQL results). */
export function TimeSeriesChart({ times, names, values, stacked, height = 320, onDrawn }: TimeSeriesChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useContext(ThemeContext);
  const drawnCallback = useRef(onDrawn);
  drawnCallback.current = onDrawn;

  useEffect(() => {
    const began = performance.now();
    const shown = stacked ? stack(values) : values;
    const axisColor = cssVar('--fg-muted');
    const gridColor = cssVar('--grid');
    const axis: uPlot.Axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 },
    };
    const options: uPlot.Options = {
      width: host.current!.clientWidth || 800,
      height,
      cursor: { focus: { prox: 30 }, drag: { x: true, y: false } },
      focus: { alpha: 0.4 },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [{ ...axis, values: timeTicks }, { ...axis, size: 60, values: (_u, ticks) => ticks.map((v) => formatValue(v)) }],
      series: [
        { value: (_u, v) => (v == null ? '' : formatTime(v * 1000)) },
        ...names.map((name, i) => {
          const color = seriesColor(i);
          return {
            label: name,
            stroke: color,
            width: 1.5,
            fill: stacked ? withAlpha(color, 0.35) : undefined,
            points: { show: false },
            spanGaps: false,
            value: (_u: uPlot, _v: number | null, _s: number, idx: number | null) =>
              idx == null ? '' : formatValue(values[i][idx]),
          } satisfies uPlot.Series;
        }),
      ],
      bands: stacked ? names.slice(1).map((_n, i) => ({ series: [i + 2, i + 1] as [number, number] })) : [],
      plugins: [tooltipPlugin(names, values)],
      hooks: {
        draw: [() => drawnCallback.current?.(performance.now() - began)],
      },
    };
    const chart = new uPlot(options, [times, ...shown] as uPlot.AlignedData, host.current!);
    const resize = new ResizeObserver(() => {
      const width = host.current?.clientWidth ?? 0;
      if (width > 0 && width !== chart.width) chart.setSize({ width, height });
    });
    resize.observe(host.current!);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [times, names, values, stacked, height, theme]);

  return <div class="graph" ref={host} data-series={names.length} />;
}

/** A range query's result on its step grid. */
export function Graph({ series, startMs, endMs, stepMs, stacked, height, onDrawn }: GraphProps) {
  const { alignMs, ...data } = useMemo(() => {
    const began = performance.now();
    const aligned = alignToGrid(series, startMs, endMs, stepMs);
    const names = series.map((s) => formatSeries(s.metric));
    return { ...aligned, names, alignMs: performance.now() - began };
  }, [series, startMs, endMs, stepMs]);
  // Aligning the answer to the grid counts as part of drawing it.
  return (
    <TimeSeriesChart {...data} stacked={stacked} height={height} onDrawn={onDrawn && ((ms) => onDrawn(ms + alignMs))} />
  );
}
