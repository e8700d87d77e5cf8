// A label set as small chips: name="value".

import type { Labels } from '../lib/api';

export function LabelChips({ labels }: { labels: Labels }) {
  return (
    <div class="chips">
      {Object.entries(labels).map(([k, v]) => (
        <span class="chip">
          {k}="{v}"
        </span>
      ))}
    </div>
  );
}
