// One query of the Query page: the editor, the Table and Graph tabs, the
// graph's time controls, and the answer (or the server's error) below.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { apiPostForm, ApiError, type QueryResult, type MatrixSeries } from '../../lib/api';
import { autoStepMs, formatTime } from '../../lib/time';
import { PromqlEditor } from '../../components/PromqlEditor';
import { DataTable } from '../../components/DataTable';
import { Graph } from '../../components/Graph';
import { RangeControls } from './RangeControls';
import type { PanelOptions, PanelTab } from './panelState';

type Answer =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | {
      state: 'done';
      tab: PanelTab;
      result: QueryResult;
      warnings: string[];
      infos: string[];
      loadMs: number;
      startMs: number;
      endMs: number;
      stepMs: number;
    };

/** Series drawn at most; more make the chart unreadable and the page slow. */
const maxGraphSeries = 1000;

export interface QueryPanelProps {
  index: number;
  options: PanelOptions;
  onChange: (patch: Partial<PanelOptions>) => void;
  onRemove?: () => void;
}

export function QueryPanel({ index, options, onChange, onRemove }: QueryPanelProps) {
  const [runId, setRunId] = useState(options.expr.trim() ? 1 : 0);
  const [answer, setAnswer] = useState<Answer>({ state: 'idle' });
  const [drawMs, setDrawMs] = useState<number | null>(null);
  const expr = useRef(options.expr);
  expr.current = options.expr;

  useEffect(() => {
    if (runId === 0 || !expr.current.trim()) return;
    const abort = new AbortController();
    const began = performance.now();
    const endMs = options.endMs ?? Date.now();
    const startMs = endMs - options.rangeMs;
    const stepMs = options.stepMs ?? autoStepMs(options.rangeMs);
    const request =
      options.tab === 'graph'
        ? apiPostForm<QueryResult>(
            'api/v1/query_range',
            { query: expr.current, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepMs / 1000) },
            abort.signal,
          )
        : apiPostForm<QueryResult>(
            'api/v1/query',
            options.endMs === null ? { query: expr.current } : { query: expr.current, time: String(endMs / 1000) },
            abort.signal,
          );
    setAnswer({ state: 'loading' });
    setDrawMs(null);
    request.then(
      ({ data, warnings, infos }) =>
        setAnswer({
          state: 'done',
          tab: options.tab,
          result: data,
          warnings,
          infos,
          loadMs: performance.now() - began,
          startMs,
          endMs,
          stepMs,
        }),
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setAnswer({ state: 'error', message: error instanceof ApiError || error instanceof Error ? error.message : String(error) });
      },
    );
    return () => abort.abort();
  }, [runId, options.tab, options.rangeMs, options.endMs, options.stepMs]);

  const execute = () => setRunId((n) => n + 1);
  // Made once per answer: the chart is rebuilt only when its input changes.
  const graphSeries = useMemo(
    () =>
      answer.state === 'done' && answer.result.resultType === 'matrix'
        ? answer.result.result.slice(0, maxGraphSeries)
        : [],
    [answer],
  );

  return (
    <section class="panel" data-panel={index} aria-label={`Query ${index + 1}`}>
      <div class="panel-editor">
        <PromqlEditor value={options.expr} onChange={(e) => onChange({ expr: e })} onExecute={execute} autoFocus={index === 0} />
        <button type="button" class="primary" onClick={execute} aria-disabled={answer.state === 'loading'}>
          Execute
        </button>
        {onRemove && (
          <button type="button" class="icon" title="Remove this query" aria-label="Remove this query" onClick={onRemove}>
            ✕
          </button>
        )}
      </div>
      <div class="panel-bar">
        <div class="tabs" role="tablist">
          {(['table', 'graph'] as PanelTab[]).map((tab) => (
            <button
              type="button"
              role="tab"
              aria-selected={options.tab === tab}
              class={options.tab === tab ? 'tab active' : 'tab'}
              onClick={() => onChange({ tab })}
            >
              {tab === 'table' ? 'Table' : 'Graph'}
            </button>
          ))}
        </div>
        {options.tab === 'graph' && <RangeControls options={options} onChange={onChange} />}
        {options.tab === 'table' && options.endMs !== null && (
          <span class="muted">
            Evaluated at {formatTime(options.endMs)}{' '}
            <button type="button" class="link" onClick={() => onChange({ endMs: null })}>
              use now
            </button>
          </span>
        )}
        <Stats answer={answer} drawMs={drawMs} />
      </div>
      <div class="panel-body">
        <PanelBody answer={answer} graphSeries={graphSeries} options={options} onDrawn={(ms) => setDrawMs((old) => old ?? ms)} />
      </div>
    </section>
  );
}

function Stats({ answer, drawMs }: { answer: Answer; drawMs: number | null }) {
  if (answer.state === 'loading') return <span class="stats muted">Loading…</span>;
  if (answer.state !== 'done') return null;
  const r = answer.result;
  const count = r.resultType === 'vector' || r.resultType === 'matrix' ? `${r.result.length} series` : r.resultType;
  return (
    <span class="stats muted" data-load-ms={answer.loadMs.toFixed(1)} data-draw-ms={drawMs?.toFixed(1)}>
      {count} · loaded in {Math.round(answer.loadMs)} ms{drawMs !== null && ` · drawn in ${Math.round(drawMs)} ms`}
    </span>
  );
}

function PanelBody({
  answer,
  graphSeries,
  options,
  onDrawn,
}: {
  answer: Answer;
  graphSeries: MatrixSeries[];
  options: PanelOptions;
  onDrawn: (ms: number) => void;
}) {
  switch (answer.state) {
    case 'idle':
      return <p class="muted">Enter an expression and press Enter or Execute.</p>;
    case 'loading':
      return null;
    case 'error':
      return (
        <div class="error" role="alert">
          {answer.message}
        </div>
      );
    case 'done':
      break;
  }
  const notes = [...answer.warnings.map((w) => ['warning', w]), ...answer.infos.map((i) => ['info', i])];
  const r = answer.result;
  let body;
  if (answer.tab === 'table') {
    body = <DataTable result={r} />;
  } else if (r.resultType !== 'matrix') {
    body = <div class="error">The graph needs a range query result; this query gives a {r.resultType}.</div>;
  } else if (r.result.length === 0) {
    body = <p class="empty">Empty query result</p>;
  } else {
    body = (
      <>
        {r.result.length > maxGraphSeries && (
          <p class="notice">
            Drawing {maxGraphSeries} of {r.result.length} series.
          </p>
        )}
        <Graph
          series={graphSeries}
          startMs={answer.startMs}
          endMs={answer.endMs}
          stepMs={answer.stepMs}
          stacked={options.displayMode === 'stacked'}
          onDrawn={onDrawn}
        />
      </>
    );
  }
  return (
    <>
      {notes.map(([kind, text]) => (
        <div class={kind}>{text}</div>
      ))}
      {body}
    </>
  );
}
