// The Targets page: each scrape pool with its targets' health, labels,
// last scrape, its duration and error (/api/v1/targets).

import { useMemo, useState } from 'preact/hooks';
import { PageBar } from '../../components/PageBar';
import { LabelChips } from '../../components/LabelChips';
import { Loaded } from '../../components/Loading';
import type { Labels } from '../../lib/api';
import { agoText } from '../../lib/time';
import { useApi } from '../../lib/useApi';

interface Target {
  labels: Labels;
  discoveredLabels: Labels;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: 'up' | 'down' | 'unknown';
  scrapeInterval: string;
  scrapeTimeout: string;
}
interface TargetsAnswer {
  activeTargets: Target[];
  droppedTargetCounts?: Record<string, number>;
}

export function TargetsPage() {
  const targets = useApi<TargetsAnswer>('api/v1/targets', { state: 'active' });
  const [filter, setFilter] = useState('');
  const [unhealthyOnly, setUnhealthyOnly] = useState(false);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());

  const pools = useMemo(() => {
    const byPool = new Map<string, Target[]>();
    for (const t of targets.data?.activeTargets ?? []) {
      if (unhealthyOnly && t.health === 'up') continue;
      const text = `${t.scrapeUrl} ${Object.entries(t.labels).map(([k, v]) => `${k}="${v}"`).join(' ')}`;
      if (filter && !text.includes(filter)) continue;
      if (!byPool.has(t.scrapePool)) byPool.set(t.scrapePool, []);
      byPool.get(t.scrapePool)!.push(t);
    }
    return [...byPool.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [targets.data, filter, unhealthyOnly]);

  const toggle = (pool: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (!next.delete(pool)) next.add(pool);
      return next;
    });
  const now = Date.now();

  return (
    <main class="page targets-page">
      <PageBar
        title="Targets"
        filterLabel="Filter targets"
        filterPlaceholder="Filter by endpoint or labels"
        filter={filter}
        onFilter={setFilter}
        onRefresh={targets.reload}
      >
        <label>
          <input type="checkbox" checked={unhealthyOnly} onChange={(e) => setUnhealthyOnly(e.currentTarget.checked)} />{' '}
          Unhealthy only
        </label>
      </PageBar>
      <Loaded state={targets}>
        {(answer) =>
          answer.activeTargets.length === 0 ? (
            <p class="muted">
              No targets. Scraping is configured with Prometheus's <code>scrape_configs</code> in the file given with{' '}
              <code>--config</code> (docs/SCRAPING.md).
            </p>
          ) : pools.length === 0 ? (
            <p class="empty">No target matches.</p>
          ) : (
            pools.map(([pool, list]) => {
              const up = list.filter((t) => t.health === 'up').length;
              const open = !collapsed.has(pool);
              return (
                <section class="pool" data-pool={pool}>
                  <h2>
                    <button type="button" class="link pool-toggle" aria-expanded={open} onClick={() => toggle(pool)}>
                      {open ? '▾' : '▸'} {pool}
                    </button>{' '}
                    <span class={up === list.length ? 'badge up' : 'badge down'}>
                      {up} / {list.length} up
                    </span>
                  </h2>
                  {open && (
                    <table class="data-table targets">
                      <thead>
                        <tr>
                          <th>Endpoint</th>
                          <th>State</th>
                          <th>Labels</th>
                          <th>Last scrape</th>
                          <th class="num">Duration</th>
                          <th>Error</th>
                        </tr>
                      </thead>
                      <tbody>
                        {list.map((t) => (
                          <tr>
                            <td class="series">
                              {/^https?:\/\//i.test(t.scrapeUrl) ? (
                                <a href={t.scrapeUrl} target="_blank" rel="noreferrer">
                                  {t.scrapeUrl}
                                </a>
                              ) : (
                                t.scrapeUrl
                              )}
                            </td>
                            <td>
                              <span class={`badge ${t.health}`}>{t.health.toUpperCase()}</span>
                            </td>
                            <td>
                              <LabelChips labels={t.labels} />
                            </td>
                            <td title={t.lastScrape}>{agoText(t.lastScrape, now)}</td>
                            <td class="num">{(t.lastScrapeDuration * 1000).toFixed(1)} ms</td>
                            <td class="bad">{t.lastError}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                </section>
              );
            })
          )
        }
      </Loaded>
    </main>
  );
}
