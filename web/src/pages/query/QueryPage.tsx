// The Query page: several query panels, their settings kept in the URL so
// that a view can be shared (and opened from a Prometheus link).

import { useEffect, useState } from 'preact/hooks';
import { QueryPanel } from './QueryPanel';
import { decodePanels, defaultPanel, encodePanels, type PanelOptions } from './panelState';

interface Keyed {
  key: number;
  options: PanelOptions;
}

let nextKey = 0;
const keyed = (options: PanelOptions): Keyed => ({ key: nextKey++, options });

export function QueryPage() {
  const [panels, setPanels] = useState<Keyed[]>(() => {
    const fromUrl = decodePanels(location.search);
    return (fromUrl.length ? fromUrl : [defaultPanel()]).map(keyed);
  });

  // The URL follows the panels shortly after a change rather than on every
  // keystroke (each change of URL makes the browser fetch the icon again).
  useEffect(() => {
    const timer = setTimeout(() => {
      const search = `?${encodePanels(panels.map((p) => p.options))}`;
      if (search !== location.search) history.replaceState(history.state, '', location.pathname + search);
    }, 300);
    return () => clearTimeout(timer);
  }, [panels]);

  const update = (key: number, patch: Partial<PanelOptions>) =>
    setPanels((all) => all.map((p) => (p.key === key ? { key, options: { ...p.options, ...patch } } : p)));

  return (
    <main class="page query-page">
      {panels.map((p, i) => (
        <QueryPanel
          key={p.key}
          index={i}
          options={p.options}
          onChange={(patch) => update(p.key, patch)}
          onRemove={panels.length > 1 ? () => setPanels((all) => all.filter((q) => q.key !== p.key)) : undefined}
        />
      ))}
      <button type="button" class="add-panel" onClick={() => setPanels((all) => [...all, keyed(defaultPanel())])}>
        Add query
      </button>
    </main>
  );
}
