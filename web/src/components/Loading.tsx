// What a page shows while its data loads or when loading failed.

import type { ComponentChildren } from 'preact';
import type { ApiState } from '../lib/useApi';

export function Loaded<T>({ state, children }: { state: ApiState<T>; children: (data: T) => ComponentChildren }) {
  if (state.error) {
    return (
      <div class="error" role="alert">
        {state.error}
      </div>
    );
  }
  if (state.data === null) return <p class="muted">Loading…</p>;
  return <>{children(state.data)}</>;
}
