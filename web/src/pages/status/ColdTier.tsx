// The cold tier's Delta table (/api/v1/status/cold): its size, samples per
// day, the last compaction and retention run, and the newest commits,
// each a version other engines can read back (time travel).

import { useState } from 'preact/hooks';
import { KeyValues } from '../../components/KeyValues';
import { Loaded } from '../../components/Loading';
import { formatTime } from '../../lib/time';
import { useApi } from '../../lib/useApi';

interface Commit {
  version: number;
  timestamp: number;
  operation: string;
  parameters: Record<string, string>;
  filesAdded: number;
  filesRemoved: number;
  bytesAdded: number;
  samplesAdded: number;
}
interface ColdStatus {
  table: {
    version: number;
    files: number;
    bytes: number;
    samples: number;
    series: number;
    minTime: number;
    maxTime: number;
    persistedUpTo: number | null;
  };
  days: { day: string; files: number; bytes: number; samples: number }[];
  commits: Commit[];
}

const commitLimit = 50;

function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

function lastRun(commits: Commit[], test: (c: Commit) => boolean): string {
  const c = commits.find(test);
  return c ? `${formatTime(c.timestamp)} (version ${c.version})` : `none in the last ${commits.length} commits`;
}

export function ColdTierBody() {
  const status = useApi<ColdStatus>('api/v1/status/cold', { limit: String(commitLimit) });
  const [version, setVersion] = useState<number | null>(null);
  return (
    <Loaded state={status}>
      {(s) => {
        const t = s.table;
        const maxDay = Math.max(1, ...s.days.map((d) => d.samples));
        const shown = version ?? t.version;
        return (
          <>
            <KeyValues
              rows={[
                ['Delta version', t.version < 0 ? 'none yet (nothing persisted)' : t.version],
                ['Files', t.files.toLocaleString()],
                ['Size', formatBytes(t.bytes)],
                ['Samples', t.samples.toLocaleString()],
                ['Series', t.series.toLocaleString()],
                ['Time span', t.files ? `${formatTime(t.minTime)} – ${formatTime(t.maxTime)}` : '—'],
                ['Persisted up to', t.persistedUpTo === null ? '—' : formatTime(t.persistedUpTo)],
                ['Last compaction', lastRun(s.commits, (c) => c.operation === 'OPTIMIZE')],
                ['Last retention run', lastRun(s.commits, (c) => c.parameters.reason === 'retention')],
              ]}
            />
            <div class="stat-grid">
              <section class="stat-table">
                <h3>Samples per day</h3>
                {s.days.length === 0 ? (
                  <p class="empty">Nothing persisted yet</p>
                ) : (
                  <table class="data-table days">
                    <thead>
                      <tr>
                        <th>Day (UTC)</th>
                        <th class="num">Files</th>
                        <th class="num">Size</th>
                        <th class="num">Samples</th>
                      </tr>
                    </thead>
                    <tbody>
                      {s.days.map((d) => (
                        <tr data-day={d.day}>
                          <td>{d.day}</td>
                          <td class="num">{d.files}</td>
                          <td class="num">{formatBytes(d.bytes)}</td>
                          <td class="num">
                            <span class="bar" style={{ width: `${(100 * d.samples) / maxDay}%` }} />
                            {d.samples.toLocaleString()}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section class="stat-table">
                <h3>Commits (newest first; click one to read it back)</h3>
                <table class="data-table commits">
                  <thead>
                    <tr>
                      <th class="num">Version</th>
                      <th>Time</th>
                      <th>Operation</th>
                      <th class="num">Files</th>
                      <th class="num">Samples added</th>
                    </tr>
                  </thead>
                  <tbody>
                    {s.commits.map((c) => (
                      <tr
                        data-version={c.version}
                        class={c.version === shown ? 'selected' : ''}
                        tabIndex={0}
                        onClick={() => setVersion(c.version)}
                        onKeyDown={(e) => e.key === 'Enter' && setVersion(c.version)}
                      >
                        <td class="num">{c.version}</td>
                        <td>{formatTime(c.timestamp)}</td>
                        <td>
                          {c.operation}
                          {c.parameters.reason && <span class="muted"> ({c.parameters.reason.replace('_', ' ')})</span>}
                        </td>
                        <td class="num">
                          +{c.filesAdded} −{c.filesRemoved}
                        </td>
                        <td class="num">{c.samplesAdded.toLocaleString()}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
            </div>
            {t.version >= 0 && (
              <section class="time-travel">
                <h3>Version {shown} in other engines</h3>
                <pre class="config-yaml">{`# DATA is the server's --data-dir; the table is DATA/parquet.
# Python, delta-rs:
from deltalake import DeltaTable
DeltaTable("DATA/parquet", version=${shown}).to_pyarrow_table()
# polars:
polars.read_delta("DATA/parquet", version=${shown})
# Spark:
spark.read.format("delta").option("versionAsOf", ${shown}).load("DATA/parquet")`}</pre>
              </section>
            )}
          </>
        );
      }}
    </Loaded>
  );
}
