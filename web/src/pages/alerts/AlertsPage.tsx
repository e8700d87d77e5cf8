// Firing and pending alerts (/api/v1/alerts), each with its labels,
// annotations, value and since when, and a link that opens a silence for it.

import { useMemo, useState } from 'preact/hooks';
import { PageBar } from '../../components/PageBar';
import { LabelChips } from '../../components/LabelChips';
import { Loaded } from '../../components/Loading';
import { SubNav } from '../../components/SubNav';
import type { Labels } from '../../lib/api';
import { linkClick } from '../../lib/router';
import { formatAge, formatTime } from '../../lib/time';
import { useApi } from '../../lib/useApi';
import { alertPages } from './alertsNav';

export interface Alert {
  labels: Labels;
  annotations: Labels;
  state: 'firing' | 'pending' | 'inactive';
  activeAt: string;
  value: string;
}

/** The Silences page's form, filled with an alert's labels as matchers. */
export function silenceLinkFor(labels: Labels): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(labels)) params.append('matcher', `${name}=${JSON.stringify(value)}`);
  return `silences?${params}`;
}

export function AlertList({ alerts, now }: { alerts: Alert[]; now: number }) {
  return (
    <table class="data-table alerts">
      <thead>
        <tr>
          <th>State</th>
          <th>Labels</th>
          <th>Annotations</th>
          <th>Active since</th>
          <th class="num">Value</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr data-alertname={a.labels.alertname}>
            <td>
              <span class={`badge ${a.state}`}>{a.state.toUpperCase()}</span>
            </td>
            <td>
              <LabelChips labels={a.labels} />
            </td>
            <td class="annotations">
              {Object.entries(a.annotations).map(([k, v]) => (
                <div>
                  <span class="muted">{k}:</span> {v}
                </div>
              ))}
            </td>
            <td title={a.activeAt}>
              {formatTime(Date.parse(a.activeAt))} ({formatAge(Math.max(0, now - Date.parse(a.activeAt)))} ago)
            </td>
            <td class="num">{a.value}</td>
            <td>
              <a href={silenceLinkFor(a.labels)} onClick={linkClick} class="button-link">
                Silence
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AlertsPage() {
  const answer = useApi<{ alerts: Alert[] }>('api/v1/alerts');
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => {
    const byName = new Map<string, Alert[]>();
    for (const a of answer.data?.alerts ?? []) {
      const text = Object.entries(a.labels).map(([k, v]) => `${k}="${v}"`).join(' ');
      if (filter && !text.includes(filter)) continue;
      const name = a.labels.alertname ?? '';
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name)!.push(a);
    }
    return [...byName.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [answer.data, filter]);
  const now = Date.now();
  return (
    <SubNav label="Alert pages" pages={alertPages} current="alerts" className="alerts-page">
      <PageBar
        title="Active alerts"
        filterLabel="Filter alerts"
        filterPlaceholder="Filter by labels"
        filter={filter}
        onFilter={setFilter}
        onRefresh={answer.reload}
      />
      <Loaded state={answer}>
        {(data) =>
          data.alerts.length === 0 ? (
            <p class="muted">No alert is pending or firing.</p>
          ) : (
            groups.map(([name, alerts]) => {
              const firing = alerts.filter((a) => a.state === 'firing').length;
              return (
                <section class="alert-group" data-alert={name}>
                  <h2>
                    {name}{' '}
                    <span class="badge firing">{firing} firing</span>{' '}
                    {alerts.length > firing && <span class="badge pending">{alerts.length - firing} pending</span>}
                  </h2>
                  <AlertList alerts={alerts} now={now} />
                </section>
              );
            })
          )
        }
      </Loaded>
    </SubNav>
  );
}
