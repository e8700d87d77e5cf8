// Explore: the semantic search (/api/v1/search). A question in words finds
// metrics ranked with their type, unit, HELP and series count, a link to
// each metric's page and a one-click graph of the query suggested for it.

import { useEffect, useState } from 'preact/hooks';
import { Loaded } from '../../components/Loading';
import { linkClick } from '../../lib/router';
import { useApi } from '../../lib/useApi';
import { graphLink, metricLink } from './links';

interface LabelSummary {
  name: string;
  distinct_values: number;
  top_values: { value: string; series: number }[];
}
export interface SearchHit {
  metric: string;
  score: number;
  type: string;
  unit: string;
  help: string;
  series: number;
  labels: LabelSummary[];
  query: string;
}

function Results({ q }: { q: string }) {
  const answer = useApi<SearchHit[]>('api/v1/search', { q, limit: '20' });
  return (
    <Loaded state={answer}>
      {(hits) =>
        hits.length === 0 ? (
          <p class="empty">No metric matches.</p>
        ) : (
          <ol class="search-results">
            {hits.map((h) => (
              <li data-metric={h.metric}>
                <div class="hit-head">
                  <a href={metricLink(h.metric)} onClick={linkClick} class="hit-name">
                    {h.metric}
                  </a>
                  {h.type && <span class="badge unknown">{h.type}</span>}
                  {h.unit && <span class="muted small">{h.unit}</span>}
                  <span class="muted small">
                    {h.series.toLocaleString()} series · score {h.score.toFixed(3)}
                  </span>
                  <a href={graphLink(h.query)} onClick={linkClick} class="button-link graph-link" title={h.query}>
                    Graph
                  </a>
                </div>
                {h.help && <div class="hit-help">{h.help}</div>}
                <div class="muted small mono">{h.query}</div>
              </li>
            ))}
          </ol>
        )
      }
    </Loaded>
  );
}

export function ExplorePage() {
  const initial = new URLSearchParams(location.search).get('q') ?? '';
  const [text, setText] = useState(initial);
  const [q, setQ] = useState(initial);
  // Each search asks again, also for the same question (the index may
  // have grown since).
  const [searches, setSearches] = useState(0);
  useEffect(() => {
    const search = q ? `?${new URLSearchParams({ q })}` : '';
    if (search !== location.search) history.replaceState(history.state, '', location.pathname + search);
  }, [q]);
  return (
    <main class="page explore-page">
      <form
        class="search-form"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(text.trim());
          setSearches((n) => n + 1);
        }}
      >
        <input
          class="field search-box"
          type="search"
          aria-label="Search metrics"
          placeholder="Describe what you look for: latency of HTTP requests, free disk space, memory of the database…"
          value={text}
          autoFocus
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {q ? (
        <Results key={searches} q={q} />
      ) : (
        <p class="muted">
          Search finds metrics by meaning as well as by name: the question and each metric's name and HELP are compared
          by a sentence-embedding model run in the server (docs/SEARCH.md).
        </p>
      )}
    </main>
  );
}
