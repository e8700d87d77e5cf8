// The SQL page: an editor that knows the tables and their columns, the
// result as a table, a chart when the result has a time column and numeric
// ones, and the same query downloaded as CSV or Parquet. The query is kept
// in the URL (?q=).

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Loaded } from '../../components/Loading';
import { SqlEditor } from '../../components/SqlEditor';
import { TimeSeriesChart } from '../../components/Graph';
import { apiPostForm, apiUrl } from '../../lib/api';
import { useApi } from '../../lib/useApi';
import { sqlChart, type SqlColumn } from './sqlChart';

interface SqlAnswer {
  columns: SqlColumn[];
  rows: unknown[][];
  truncated: boolean;
}

/** Rows fetched for the page; the downloads have them all. */
const pageRows = 10_000;
const schemaQuery =
  'SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position';
// Not a view (its files change with every write), so not in information_schema.
const alertsColumns = ['time', 'kind', 'rule', 'group_name', 'rule_file', 'state', 'previous_state', 'fingerprint', 'labels',
  'annotations', 'value', 'active_at', 'fired_at', 'receiver', 'integration', 'error', 'day'];

const example = `SELECT metric, count(*) AS series
FROM series
GROUP BY metric
ORDER BY series DESC
LIMIT 20`;

function cell(v: unknown): string {
  if (v === null) return 'NULL';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function SqlPage() {
  const schemaAnswer = useApi<SqlAnswer>('api/v1/sql', { query: schemaQuery });
  const schema = useMemo(() => {
    const tables: Record<string, string[]> = { alerts: alertsColumns };
    for (const [table, column] of (schemaAnswer.data?.rows ?? []) as [string, string][]) {
      (tables[table] ??= []).push(column);
    }
    return tables;
  }, [schemaAnswer.data]);

  const [text, setText] = useState(() => new URLSearchParams(location.search).get('q') ?? example);
  const [run, setRun] = useState<{ query: string; answer?: SqlAnswer; error?: string; ms?: number } | null>(null);
  const [view, setView] = useState<'table' | 'chart'>('table');

  // The run in flight: a new run aborts it, and only the latest answer shows.
  const inFlight = useRef<AbortController | null>(null);
  useEffect(() => () => inFlight.current?.abort(), []);
  const execute = async () => {
    const query = text.trim();
    if (!query) return;
    history.replaceState(history.state, '', `${location.pathname}?${new URLSearchParams({ q: query })}`);
    inFlight.current?.abort();
    const abort = (inFlight.current = new AbortController());
    setRun({ query });
    const began = performance.now();
    try {
      const { data } = await apiPostForm<SqlAnswer>('api/v1/sql', { query, limit: String(pageRows) }, abort.signal);
      if (abort.signal.aborted) return;
      setRun({ query, answer: data, ms: performance.now() - began });
      if (!sqlChart(data.columns, data.rows)) setView('table');
    } catch (e) {
      if (abort.signal.aborted) return;
      setRun({ query, error: e instanceof Error ? e.message : String(e) });
    }
  };
  const running = run !== null && !run.answer && !run.error;
  const chart = useMemo(() => (run?.answer ? sqlChart(run.answer.columns, run.answer.rows) : null), [run?.answer]);
  const download = (format: string) => apiUrl('api/v1/sql', { query: run?.query ?? text, format });

  return (
    <main class="page sql-page">
      <div class="sql-layout">
        <aside class="sql-tables" aria-label="Tables">
          <h2>Tables</h2>
          <Loaded state={schemaAnswer}>
            {() => (
              <>
                {Object.entries(schema).map(([table, columns]) => (
                  <details data-table={table}>
                    <summary class="mono">{table}</summary>
                    <ul>
                      {columns.map((c) => (
                        <li class="mono small">{c}</li>
                      ))}
                    </ul>
                  </details>
                ))}
              </>
            )}
          </Loaded>
          <p class="muted small">Also: promql('query', …) and the other functions of docs/SQL.md.</p>
        </aside>
        <section>
          <SqlEditor value={text} schema={schema} onChange={setText} onExecute={execute} />
          <div class="panel-bar">
            <button type="button" class="primary" onClick={execute} aria-disabled={running}>
              {running ? 'Running…' : 'Run'}
            </button>
            {run?.answer && (
              <>
                <div class="tabs" role="tablist">
                  <button type="button" role="tab" aria-selected={view === 'table'} class={view === 'table' ? 'tab active' : 'tab'} onClick={() => setView('table')}>
                    Table
                  </button>
                  <button
                    type="button"
                    role="tab"
                    aria-selected={view === 'chart'}
                    class={view === 'chart' ? 'tab active' : 'tab'}
                    disabled={!chart}
                    title={chart ? '' : 'A chart needs a time column and a numeric one'}
                    onClick={() => setView('chart')}
                  >
                    Chart
                  </button>
                </div>
                <a class="button-link" href={download('csv')} download="result.csv">
                  CSV
                </a>
                <a class="button-link" href={download('parquet')} download="result.parquet">
                  Parquet
                </a>
                <span class="stats muted">
                  {run.answer.rows.length.toLocaleString()} rows{run.answer.truncated ? ` (the first ${pageRows.toLocaleString()}; downloads have all)` : ''} ·{' '}
                  {Math.round(run.ms ?? 0)} ms
                </span>
              </>
            )}
          </div>
          {run?.error && (
            <div class="error" role="alert">
              {run.error}
            </div>
          )}
          {run?.answer &&
            (view === 'chart' && chart ? (
              <TimeSeriesChart {...chart} stacked={false} />
            ) : (
              <div class="sql-result">
                <table class="data-table">
                  <thead>
                    <tr>
                      {run.answer.columns.map((c) => (
                        <th title={c.type}>{c.name}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {run.answer.rows.map((row) => (
                      <tr>
                        {row.map((v) => (
                          <td class={typeof v === 'number' ? 'num' : ''}>{cell(v)}</td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ))}
        </section>
      </div>
    </main>
  );
}
