// Loads one API answer for a page: { data, error, loading }, reloaded when
// the path or parameters change, or when `reload()` is called.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { apiGet } from './api';

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string, params?: Record<string, string>): ApiState<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(params ?? {});
  const shownKey = useRef('');
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    // Another question's answer is not shown under this one; a reload of
    // the same keeps the old answer until the new one arrives.
    if (shownKey.current !== path + key) {
      shownKey.current = path + key;
      setData(null);
      setError(null);
    }
    apiGet<T>(path, params, abort.signal).then(
      (answer) => {
        setData(answer.data);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (abort.signal.aborted) return;
        setError(e instanceof Error ? e.message : String(e));
        setLoading(false);
      },
    );
    return () => abort.abort();
    // `key` stands for `params`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, reload };
}
