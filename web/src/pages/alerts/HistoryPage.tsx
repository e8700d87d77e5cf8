// The alert history (the SQL table `alerts`) as a timeline: one row per
// alert, its pending and firing spans over the chosen range.

import { useMemo, useState } from 'preact/hooks';
import { Loaded } from '../../components/Loading';
import { SubNav } from '../../components/SubNav';
import type { Labels } from '../../lib/api';
import { formatTime } from '../../lib/time';
import { useApi } from '../../lib/useApi';
import { alertPages } from './alertsNav';

interface SqlAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

interface Span {
  state: string;
  from: number;
  to: number;
}
interface AlertRow {
  key: string;
  rule: string;
  labels: Labels;
  spans: Span[];
}

const ranges: Record<string, number> = { '1h': 3600_000, '6h': 6 * 3600_000, '1d': 86400_000, '7d': 7 * 86400_000 };
const maxRows = 20_000;

/** One row per alert, with the spans between its state changes. */
function toTimeline(rows: unknown[][], from: number, to: number): AlertRow[] {
  const alerts = new Map<string, AlertRow & { last?: { state: string; at: number } }>();
  for (const [time, rule, state, fingerprint, labels] of rows as [string, string, string, number, Labels][]) {
    const at = Date.parse(time);
    const key = String(fingerprint);
    let a = alerts.get(key);
    if (!a) {
      a = { key, rule, labels: labels ?? {}, spans: [] };
      alerts.set(key, a);
    }
    if (a.last && (a.last.state === 'pending' || a.last.state === 'firing')) {
      a.spans.push({ state: a.last.state, from: a.last.at, to: at });
    }
    a.last = { state, at };
  }
  for (const a of alerts.values()) {
    if (a.last && (a.last.state === 'pending' || a.last.state === 'firing')) {
      a.spans.push({ state: a.last.state, from: a.last.at, to });
    }
    a.spans = a.spans.map((s) => ({ ...s, from: Math.max(s.from, from) })).filter((s) => s.to > s.from);
  }
  return [...alerts.values()]
    .filter((a) => a.spans.length > 0)
    .sort((x, y) => x.rule.localeCompare(y.rule) || x.key.localeCompare(y.key));
}

function Timeline({ alerts, from, to }: { alerts: AlertRow[]; from: number; to: number }) {
  const rowHeight = 22;
  const labelWidth = 340;
  const width = 1000;
  const rightMargin = 50;
  const x = (t: number) => labelWidth + ((t - from) / (to - from)) * (width - labelWidth - rightMargin);
  const ticks = Array.from({ length: 5 }, (_, i) => from + ((to - from) * i) / 4);
  return (
    <svg
      class="timeline"
      viewBox={`0 0 ${width} ${alerts.length * rowHeight + 30}`}
      role="img"
      aria-label="Alert timeline"
      preserveAspectRatio="xMinYMin meet"
    >
      {ticks.map((t) => (
        <g>
          <line x1={x(t)} x2={x(t)} y1={0} y2={alerts.length * rowHeight} class="timeline-grid" />
          <text x={x(t)} y={alerts.length * rowHeight + 18} class="timeline-tick" text-anchor="middle">
            {formatTime(t).slice(5, 16)}
          </text>
        </g>
      ))}
      {alerts.map((a, i) => (
        <g data-rule={a.rule}>
          <text x={4} y={i * rowHeight + 15} class="timeline-label">
            <title>{Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`).join(', ')}</title>
            {`${a.rule} ${Object.entries(a.labels)
              .filter(([k]) => k !== 'alertname')
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`.slice(0, 52)}
          </text>
          {a.spans.map((s) => (
            <rect
              x={x(s.from)}
              y={i * rowHeight + 4}
              width={Math.max(1.5, x(s.to) - x(s.from))}
              height={rowHeight - 8}
              class={`span-${s.state}`}
            >
              <title>{`${s.state} ${formatTime(s.from)} – ${formatTime(s.to)}`}</title>
            </rect>
          ))}
        </g>
      ))}
    </svg>
  );
}

export function HistoryPage() {
  const [range, setRange] = useState('1h');
  // The end is fixed per range choice, so that the query (and its answer) stays put.
  const to = useMemo(() => Date.now(), [range]);
  const from = to - ranges[range];
  // The changes in the range, and each alert's last change before it (an
  // alert firing since before the range has no change inside it).
  const since = `TIMESTAMPTZ '${new Date(from).toISOString()}'`;
  const query =
    `SELECT time, rule, state, fingerprint, labels FROM alerts WHERE kind = 'state' AND time >= ${since} ` +
    `UNION ALL SELECT max(time), arg_max(rule, time), arg_max(state, time), fingerprint, arg_max(labels, time) ` +
    `FROM alerts WHERE kind = 'state' AND time < ${since} GROUP BY fingerprint ORDER BY time`;
  const answer = useApi<SqlAnswer>('api/v1/sql', { query, limit: String(maxRows) });
  const alerts = useMemo(
    () => (answer.data ? toTimeline(answer.data.rows, from, to) : []),
    [answer.data, from, to],
  );
  return (
    <SubNav label="Alert pages" pages={alertPages} current="alert-history" className="history-page">
      <div class="page-bar">
        <h1>Alert history</h1>
        <select aria-label="Range" value={range} onChange={(e) => setRange(e.currentTarget.value)}>
          {Object.keys(ranges).map((r) => (
            <option value={r}>last {r}</option>
          ))}
        </select>
        <span class="legend-item">
          <span class="swatch span-pending" /> pending
        </span>
        <span class="legend-item">
          <span class="swatch span-firing" /> firing
        </span>
      </div>
      <Loaded state={answer}>
        {() =>
          alerts.length === 0 ? (
            <p class="muted">No alert was pending or firing in this range.</p>
          ) : (
            <>
              {answer.data?.truncated && (
                <p class="notice">
                  More than {maxRows.toLocaleString()} state changes: the latest are left out. Choose a shorter range.
                </p>
              )}
              <Timeline alerts={alerts} from={from} to={to} />
              <p class="muted small">
                From the SQL table <code>alerts</code> (docs/SQL.md); the same query runs in the SQL page or any engine
                reading <code>DATA/alerts</code>.
              </p>
            </>
          )
        }
      </Loaded>
    </SubNav>
  );
}
