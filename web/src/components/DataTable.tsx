// An instant query's result as a table: one row per series with its value
// (or its values, for a range vector), or the scalar or string.

import type { QueryResult } from '../lib/api';
import { formatSeries } from '../lib/labels';
import { formatTime } from '../lib/time';

/** Rows drawn at most; the rest is counted, not drawn (the browser would stall). */
export const maxTableRows = 10_000;

export function DataTable({ result }: { result: QueryResult }) {
  switch (result.resultType) {
    case 'scalar':
    case 'string':
      return (
        <table class="data-table">
          <tbody>
            <tr>
              <td class="series">{result.resultType}</td>
              <td class="value">{result.result[1]}</td>
            </tr>
          </tbody>
        </table>
      );
    case 'vector':
    case 'matrix': {
      if (result.result.length === 0) return <p class="empty">Empty query result</p>;
      return (
        <>
          {result.result.length > maxTableRows && (
            <p class="notice">
              Showing {maxTableRows.toLocaleString()} of {result.result.length.toLocaleString()} series.
            </p>
          )}
          <table class="data-table">
            <tbody>
              {result.resultType === 'vector'
                ? result.result.slice(0, maxTableRows).map((s) => (
                    <tr>
                      <td class="series">{formatSeries(s.metric)}</td>
                      <td class="value">{s.value[1]}</td>
                    </tr>
                  ))
                : result.result.slice(0, maxTableRows).map((s) => (
                    <tr>
                      <td class="series">{formatSeries(s.metric)}</td>
                      <td class="value">
                        {s.values.map(([t, v]) => (
                          <div>
                            {v} <span class="muted">@{t} ({formatTime(t * 1000)})</span>
                          </div>
                        ))}
                      </td>
                    </tr>
                  ))}
            </tbody>
          </table>
        </>
      );
    }
  }
}
