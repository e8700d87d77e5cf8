// The status pages, at Prometheus's paths: /status (build and runtime),
// /tsdb-status (the head's cardinality), /flags, /config.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { FilterInput } from '../../components/FilterInput';
import { Loaded } from '../../components/Loading';
import { KeyValues } from '../../components/KeyValues';
import { ColdTierBody } from './ColdTier';
import { SubNav } from '../../components/SubNav';
import { formatTime, parseGoTime } from '../../lib/time';
import { useApi } from '../../lib/useApi';

export const statusPaths = [
  { path: 'status', title: 'Runtime & build' },
  { path: 'tsdb-status', title: 'TSDB' },
  { path: 'cold-tier', title: 'Cold tier' },
  { path: 'flags', title: 'Flags' },
  { path: 'config', title: 'Configuration' },
];

function StatusTabs({ current, children }: { current: string; children: ComponentChildren }) {
  return (
    <SubNav label="Status pages" pages={statusPaths} current={current} className="status-page">
      {children}
    </SubNav>
  );
}

const showTime = (t: string) => {
  const ms = parseGoTime(t);
  return ms === null ? 'never' : formatTime(ms);
};

interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
}
interface RuntimeInfo {
  startTime: string;
  CWD: string;
  reloadConfigSuccess: boolean;
  lastConfigTime: string;
  storageRetention: string;
  threadCount: number;
  cpuCount: number;
}

export function RuntimePage() {
  const build = useApi<BuildInfo>('api/v1/status/buildinfo');
  const runtime = useApi<RuntimeInfo>('api/v1/status/runtimeinfo');
  return (
    <StatusTabs current="status">
      <h2>Runtime information</h2>
      <Loaded state={runtime}>
        {(r) => (
          <KeyValues
            rows={[
              ['Start time', showTime(r.startTime)],
              ['Working directory', <code>{r.CWD}</code>],
              [
                'Configuration reload',
                r.reloadConfigSuccess ? 'Successful' : <span class="bad">Failed (the previous configuration runs)</span>,
              ],
              ['Last successful configuration reload', showTime(r.lastConfigTime)],
              ['Storage retention', r.storageRetention],
              ['Threads', r.threadCount],
              ['CPUs', r.cpuCount],
            ]}
          />
        )}
      </Loaded>
      <h2>Build information</h2>
      <Loaded state={build}>{(b) => <KeyValues rows={[['Version', b.version]]} />}</Loaded>
    </StatusTabs>
  );
}

interface Stat {
  name: string;
  value: number;
}
interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: Stat[];
  labelValueCountByLabelName: Stat[];
  memoryInBytesByLabelName: Stat[];
  seriesCountByLabelValuePair: Stat[];
}

/** A top-N list as a table, each count with a bar relative to the first. */
function StatTable({ title, unit, stats }: { title: string; unit: string; stats: Stat[] }) {
  const max = Math.max(1, ...stats.map((s) => s.value));
  return (
    <section class="stat-table">
      <h3>{title}</h3>
      {stats.length === 0 ? (
        <p class="empty">Nothing yet</p>
      ) : (
        <table class="data-table">
          <thead>
            <tr>
              <th>Name</th>
              <th class="num">{unit}</th>
            </tr>
          </thead>
          <tbody>
            {stats.map((s) => (
              <tr>
                <td class="series">{s.name}</td>
                <td class="num">
                  <span class="bar" style={{ width: `${(100 * s.value) / max}%` }} />
                  {s.value.toLocaleString()}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function TsdbStatusPage() {
  const [limit, setLimit] = useState('10');
  const tsdb = useApi<TsdbStatus>('api/v1/status/tsdb', { limit });
  return (
    <StatusTabs current="tsdb-status">
      <div class="page-bar">
        <h2>Head cardinality</h2>
        <label>
          Top{' '}
          <select value={limit} onChange={(e) => setLimit(e.currentTarget.value)} aria-label="Entries per list">
            {['10', '20', '50', '100'].map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
      </div>
      <Loaded state={tsdb}>
        {(t) => (
          <>
            <KeyValues
              rows={[
                ['Series', t.headStats.numSeries.toLocaleString()],
                ['Chunks', t.headStats.chunkCount.toLocaleString()],
                ['Label pairs', t.headStats.numLabelPairs.toLocaleString()],
                ['Oldest sample', t.headStats.numSeries ? formatTime(t.headStats.minTime) : '—'],
                ['Newest sample', t.headStats.numSeries ? formatTime(t.headStats.maxTime) : '—'],
              ]}
            />
            <div class="stat-grid">
              <StatTable title="Series by metric name" unit="Series" stats={t.seriesCountByMetricName} />
              <StatTable title="Values by label name" unit="Values" stats={t.labelValueCountByLabelName} />
              <StatTable title="Series by label pair" unit="Series" stats={t.seriesCountByLabelValuePair} />
              <StatTable title="Label memory by label name (estimate)" unit="Bytes" stats={t.memoryInBytesByLabelName} />
            </div>
          </>
        )}
      </Loaded>
    </StatusTabs>
  );
}

export function ColdTierPage() {
  return (
    <StatusTabs current="cold-tier">
      <h2>Cold tier (Parquet files, a Delta Lake table)</h2>
      <ColdTierBody />
    </StatusTabs>
  );
}

export function FlagsPage() {
  const flags = useApi<Record<string, string>>('api/v1/status/flags');
  const [filter, setFilter] = useState('');
  return (
    <StatusTabs current="flags">
      <div class="page-bar">
        <h2>Command-line flags</h2>
        <FilterInput label="Filter flags" placeholder="Filter" value={filter} onChange={setFilter} />
      </div>
      <p class="muted">Effective values: the defaults, then the configuration file, then the command line.</p>
      <Loaded state={flags}>
        {(f) => (
          <KeyValues
            rows={Object.entries(f)
              .filter(([k, v]) => !filter || k.includes(filter) || v.includes(filter))
              .map(([k, v]) => [`--${k}`, <code>{v}</code>])}
          />
        )}
      </Loaded>
    </StatusTabs>
  );
}

export function ConfigPage() {
  const config = useApi<{ yaml: string }>('api/v1/status/config');
  return (
    <StatusTabs current="config">
      <h2>Configuration</h2>
      <Loaded state={config}>
        {(c) =>
          c.yaml ? (
            <pre class="config-yaml">{c.yaml}</pre>
          ) : (
            <p class="muted">No configuration file: the server runs on its flags and defaults (see Flags).</p>
          )
        }
      </Loaded>
    </StatusTabs>
  );
}
