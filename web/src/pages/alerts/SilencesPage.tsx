// Silences of the built-in Alertmanager (/api/v2/silences): the list by
// state with expiry, and a form to create one; opened from an alert, the
// form holds that alert's labels as matchers.

import { useEffect, useState } from 'preact/hooks';
import { Loaded } from '../../components/Loading';
import { SubNav } from '../../components/SubNav';
import { alertmanagerCall, ApiError } from '../../lib/api';
import { formatDuration, formatTime, parseDuration } from '../../lib/time';
import type { ApiState } from '../../lib/useApi';
import { alertPages } from './alertsNav';

interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}
interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: 'active' | 'pending' | 'expired' };
}

const matcherPattern = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

/** `name="value"`, `name=~"re"`, `name!="v"`, `name!~"re"` → a matcher, or an error message. */
export function parseMatcher(line: string): Matcher | string {
  const m = matcherPattern.exec(line);
  if (!m) return `not a matcher: ${line.trim()} (write name="value", name=~"regex", name!="value" or name!~"regex")`;
  let value: string;
  try {
    value = JSON.parse(`"${m[3]}"`);
  } catch {
    return `bad escape in ${line.trim()}`;
  }
  return { name: m[1], value, isRegex: m[2].includes('~'), isEqual: !m[2].startsWith('!') };
}

function formatMatcher(m: Matcher): string {
  const op = m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** Silences, or why there are none to show (no built-in Alertmanager). */
function useSilences(generation: number): ApiState<Silence[]> {
  const [state, setState] = useState<ApiState<Silence[]>>({ data: null, error: null, loading: true, reload: () => {} });
  useEffect(() => {
    const abort = new AbortController();
    alertmanagerCall<Silence[]>('GET', 'api/v2/silences', undefined, abort.signal).then(
      (data) => setState({ data, error: null, loading: false, reload: () => {} }),
      (e: unknown) => {
        if (abort.signal.aborted) return;
        const message =
          e instanceof ApiError && e.status === 404
            ? 'No built-in Alertmanager runs: start the server with --alertmanager.config.file (docs/ALERTMANAGER.md).'
            : e instanceof Error
              ? e.message
              : String(e);
        setState({ data: null, error: message, loading: false, reload: () => {} });
      },
    );
    return () => abort.abort();
  }, [generation]);
  return state;
}

const authorKey = 'mytsdb.silence.author';

function NewSilenceForm({ onCreated }: { onCreated: (id: string) => void }) {
  const fromUrl = new URLSearchParams(location.search).getAll('matcher');
  const [matchers, setMatchers] = useState(fromUrl.join('\n'));
  const [duration, setDuration] = useState('2h');
  const [author, setAuthor] = useState(localStorage.getItem(authorKey) ?? '');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const parsed = matchers
      .split('\n')
      .filter((l) => l.trim())
      .map(parseMatcher);
    const bad = parsed.find((m) => typeof m === 'string');
    if (bad) return setError(bad as string);
    if (parsed.length === 0) return setError('a silence needs at least one matcher');
    const ms = parseDuration(duration);
    if (!ms) return setError(`not a duration: ${duration} (for example 2h or 1d12h)`);
    const now = Date.now();
    setBusy(true);
    setError(null);
    try {
      const answer = await alertmanagerCall<{ silenceID: string }>('POST', 'api/v2/silences', {
        matchers: parsed,
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + ms).toISOString(),
        createdBy: author,
        comment,
      });
      localStorage.setItem(authorKey, author);
      setComment('');
      onCreated(answer.silenceID);
    } catch (e2) {
      setError(e2 instanceof Error ? e2.message : String(e2));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="silence-form" onSubmit={submit} aria-label="New silence">
      <h2>New silence</h2>
      <label>
        Matchers <span class="muted">(one per line: name="value", name=~"regex", name!="value")</span>
        <textarea rows={Math.max(3, matchers.split('\n').length + 1)} value={matchers} onInput={(e) => setMatchers(e.currentTarget.value)} />
      </label>
      <div class="form-row">
        <label>
          Duration
          <input class="field" value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />
        </label>
        <label>
          Created by
          <input class="field" value={author} required onInput={(e) => setAuthor(e.currentTarget.value)} />
        </label>
      </div>
      <label>
        Comment
        <input class="field wide" value={comment} required onInput={(e) => setComment(e.currentTarget.value)} />
      </label>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Create silence
      </button>
    </form>
  );
}

export function SilencesPage() {
  const [generation, setGeneration] = useState(0);
  const [created, setCreated] = useState<string | null>(null);
  const [expireError, setExpireError] = useState<string | null>(null);
  const [shown, setShown] = useState<Silence['status']['state']>('active');
  const silences = useSilences(generation);
  const reload = () => setGeneration((g) => g + 1);

  const expire = async (id: string) => {
    try {
      await alertmanagerCall('DELETE', `api/v2/silence/${encodeURIComponent(id)}`);
      setExpireError(null);
    } catch (e) {
      setExpireError(e instanceof Error ? e.message : String(e));
    }
    reload();
  };

  return (
    <SubNav label="Alert pages" pages={alertPages} current="silences" className="silences-page">
      <div class="silences-layout">
        <section>
          <div class="page-bar">
            <h1>Silences</h1>
            <div class="tabs" role="tablist">
              {(['active', 'pending', 'expired'] as const).map((s) => (
                <button
                  type="button"
                  role="tab"
                  aria-selected={shown === s}
                  class={shown === s ? 'tab active' : 'tab'}
                  onClick={() => setShown(s)}
                >
                  {s[0].toUpperCase() + s.slice(1)}
                </button>
              ))}
            </div>
          </div>
          {created && <div class="info">Silence {created} created.</div>}
          {expireError && <div class="error">{expireError}</div>}
          <Loaded state={silences}>
            {(list) => {
              const rows = list.filter((s) => s.status.state === shown);
              if (rows.length === 0) return <p class="muted">No {shown} silences.</p>;
              return (
                <table class="data-table silences">
                  <thead>
                    <tr>
                      <th>Matchers</th>
                      <th>Starts</th>
                      <th>Ends</th>
                      <th>Created by</th>
                      <th>Comment</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((s) => (
                      <tr data-silence={s.id}>
                        <td class="series">{s.matchers.map(formatMatcher).join(', ')}</td>
                        <td>{formatTime(Date.parse(s.startsAt))}</td>
                        <td>
                          {formatTime(Date.parse(s.endsAt))}
                          {s.status.state !== 'expired' && (
                            <div class="muted small">in {formatDuration(Math.max(0, Math.round((Date.parse(s.endsAt) - Date.now()) / 1000)) * 1000)}</div>
                          )}
                        </td>
                        <td>{s.createdBy}</td>
                        <td>{s.comment}</td>
                        <td>
                          {s.status.state !== 'expired' && (
                            <button type="button" onClick={() => expire(s.id)}>
                              Expire
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              );
            }}
          </Loaded>
        </section>
        {!(silences.error ?? '').startsWith('No built-in') && (
          <NewSilenceForm
            onCreated={(id) => {
              setCreated(id);
              setShown('active');
              reload();
            }}
          />
        )}
      </div>
    </SubNav>
  );
}
