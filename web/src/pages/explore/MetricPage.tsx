// A metric's page: its TYPE, UNIT and HELP, its series count, and each
// label with its number of values and the most common ones, from the
// metric's series (the first 10,000).

import { useMemo } from 'preact/hooks';
import { KeyValues } from '../../components/KeyValues';
import { Loaded } from '../../components/Loading';
import type { Labels } from '../../lib/api';
import { formatSeries } from '../../lib/labels';
import { linkClick } from '../../lib/router';
import { useApi } from '../../lib/useApi';
import { graphLink } from './links';

const seriesLimit = 10_000;
const topValues = 8;

interface Metadata {
  type: string;
  help: string;
  unit: string;
}

function labelSummary(series: Labels[]) {
  const byName = new Map<string, Map<string, number>>();
  for (const s of series) {
    for (const [name, value] of Object.entries(s)) {
      if (name === '__name__') continue;
      let values = byName.get(name);
      if (!values) byName.set(name, (values = new Map()));
      values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
  return [...byName.entries()]
    .map(([name, values]) => ({
      name,
      distinct: values.size,
      top: [...values.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, topValues),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function MetricPage() {
  const name = new URLSearchParams(location.search).get('name') ?? '';
  const metadata = useApi<Record<string, Metadata[]>>('api/v1/metadata', { metric: name });
  const series = useApi<Labels[]>('api/v1/series', {
    'match[]': `{__name__=${JSON.stringify(name)}}`,
    limit: String(seriesLimit),
  });
  const labels = useMemo(() => labelSummary(series.data ?? []), [series.data]);
  const meta = metadata.data?.[name]?.[0];
  return (
    <main class="page metric-page">
      <div class="page-bar">
        <h1 class="mono">{name}</h1>
        <a href={graphLink(formatSeries({ __name__: name }))} onClick={linkClick} class="button-link">
          Graph
        </a>
      </div>
      <Loaded state={metadata}>
        {() => (
          <KeyValues
            rows={[
              ['Type', meta?.type ?? 'unknown'],
              ['Unit', meta?.unit || '—'],
              ['Help', meta?.help || '—'],
              [
                'Series',
                series.data
                  ? `${series.data.length.toLocaleString()}${series.data.length >= seriesLimit ? ' or more' : ''}`
                  : '…',
              ],
            ]}
          />
        )}
      </Loaded>
      <h2>Labels</h2>
      <Loaded state={series}>
        {() =>
          labels.length === 0 ? (
            <p class="empty">No series of this metric in the last hours.</p>
          ) : (
            <table class="data-table metric-labels">
              <thead>
                <tr>
                  <th>Label</th>
                  <th class="num">Values</th>
                  <th>Most common values (series)</th>
                </tr>
              </thead>
              <tbody>
                {labels.map((l) => (
                  <tr data-label={l.name}>
                    <td>{l.name}</td>
                    <td class="num">{l.distinct.toLocaleString()}</td>
                    <td>
                      <div class="chips">
                        {l.top.map(([value, count]) => (
                          <a
                            class="chip"
                            href={graphLink(formatSeries({ __name__: name, [l.name]: value }))}
                            onClick={linkClick}
                            title="Graph these series"
                          >
                            {value} ({count})
                          </a>
                        ))}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
    </main>
  );
}
