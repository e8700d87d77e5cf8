// Rule groups and their rules (/api/v1/rules): state, health, last
// evaluation and its duration, errors, and the alerts of alerting rules.

import { useState } from 'preact/hooks';
import { PageBar } from '../../components/PageBar';
import { LabelChips } from '../../components/LabelChips';
import { Loaded } from '../../components/Loading';
import { SubNav } from '../../components/SubNav';
import type { Labels } from '../../lib/api';
import { agoText, formatDuration } from '../../lib/time';
import { useApi } from '../../lib/useApi';
import { AlertList, type Alert } from './AlertsPage';
import { alertPages } from './alertsNav';

interface Rule {
  name: string;
  query: string;
  type: 'alerting' | 'recording';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  lastEvaluation: string;
  evaluationTime: number;
  labels?: Labels;
  annotations?: Labels;
  duration?: number;
  state?: 'firing' | 'pending' | 'inactive';
  alerts?: Alert[];
}
interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  rules: Rule[];
  lastEvaluation: string;
  evaluationTime: number;
}

export function RulesPage() {
  const answer = useApi<{ groups: RuleGroup[] }>('api/v1/rules');
  const [filter, setFilter] = useState('');
  const now = Date.now();
  return (
    <SubNav label="Alert pages" pages={alertPages} current="rules" className="rules-page">
      <PageBar
        title="Rules"
        filterLabel="Filter rules"
        filterPlaceholder="Filter by name or query"
        filter={filter}
        onFilter={setFilter}
        onRefresh={answer.reload}
      />
      <Loaded state={answer}>
        {(data) =>
          data.groups.length === 0 ? (
            <p class="muted">
              No rules. Rule files are named by <code>rule_files</code> in the file given with <code>--config</code>{' '}
              (docs/RULES.md).
            </p>
          ) : (
            data.groups.map((g) => {
              const rules = g.rules.filter((r) => !filter || r.name.includes(filter) || r.query.includes(filter));
              if (rules.length === 0) return null;
              return (
                <section class="rule-group" data-group={g.name}>
                  <h2>
                    {g.name} <span class="muted small">{g.file}</span>
                  </h2>
                  <p class="muted small">
                    every {formatDuration(g.interval * 1000)} · last evaluated {agoText(g.lastEvaluation, now)} in{' '}
                    {(g.evaluationTime * 1000).toFixed(1)} ms
                  </p>
                  <table class="data-table rules">
                    <tbody>
                      {rules.map((r) => (
                        <tr data-rule={r.name}>
                          <td>
                            <div class="rule-name">
                              {r.type === 'alerting' ? 'alert' : 'record'}: <strong>{r.name}</strong>
                            </div>
                            <pre class="rule-query">{r.query}</pre>
                            {r.duration ? <div class="muted small">for: {formatDuration(r.duration * 1000)}</div> : null}
                            {r.labels && Object.keys(r.labels).length > 0 && <LabelChips labels={r.labels} />}
                            {r.lastError && <div class="error">{r.lastError}</div>}
                            {r.alerts && r.alerts.length > 0 && <AlertList alerts={r.alerts} now={now} />}
                          </td>
                          <td class="rule-state">
                            {r.state && <span class={`badge ${r.state}`}>{r.state.toUpperCase()}</span>}{' '}
                            <span class={`badge ${r.health === 'ok' ? 'up' : r.health === 'err' ? 'down' : 'unknown'}`}>
                              {r.health}
                            </span>
                            <div class="muted small">
                              {agoText(r.lastEvaluation, now)} · {(r.evaluationTime * 1000).toFixed(1)} ms
                            </div>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              );
            })
          )
        }
      </Loaded>
    </SubNav>
  );
}
