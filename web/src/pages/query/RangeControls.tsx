// The graph's time controls: range (with steps through common ranges), end
// time (empty: now), resolution (empty: about 250 points) and line or
// stacked display. Text fields apply on Enter or when they lose focus; a
// value that does not parse is marked and not applied.

import { useEffect, useState } from 'preact/hooks';
import { autoStepMs, formatDuration, formatTime, parseDuration, parseTime } from '../../lib/time';
import type { DisplayMode, PanelOptions } from './panelState';

const ranges = [
  '1m', '5m', '15m', '30m', '1h', '2h', '6h', '12h', '1d', '2d', '1w', '2w', '4w', '8w', '26w', '1y',
].map((r) => parseDuration(r)!);

interface FieldProps {
  label: string;
  value: string;
  placeholder?: string;
  parse: (text: string) => boolean;
  width?: string;
}

/** A text field that applies its value through `parse`, which says if it took it. */
function Field({ label, value, placeholder, parse, width }: FieldProps) {
  const [text, setText] = useState(value);
  const [bad, setBad] = useState(false);
  useEffect(() => {
    setText(value);
    setBad(false);
  }, [value]);
  const apply = () => setBad(!parse(text));
  return (
    <input
      class={bad ? 'field invalid' : 'field'}
      aria-label={label}
      title={label}
      value={text}
      placeholder={placeholder}
      style={width ? { width } : undefined}
      onInput={(e) => setText(e.currentTarget.value)}
      onBlur={apply}
      onKeyDown={(e) => e.key === 'Enter' && apply()}
    />
  );
}

export function RangeControls({
  options,
  onChange,
}: {
  options: PanelOptions;
  onChange: (patch: Partial<PanelOptions>) => void;
}) {
  const shiftRange = (direction: 1 | -1) => {
    const next =
      direction > 0 ? ranges.find((r) => r > options.rangeMs) : [...ranges].reverse().find((r) => r < options.rangeMs);
    if (next) onChange({ rangeMs: next });
  };
  const shiftEnd = (direction: 1 | -1) => {
    const end = (options.endMs ?? Date.now()) + (direction * options.rangeMs) / 2;
    onChange({ endMs: direction > 0 && end >= Date.now() ? null : Math.round(end) });
  };
  return (
    <div class="range-controls">
      <div class="group">
        <button type="button" title="Shorter range" aria-label="Shorter range" onClick={() => shiftRange(-1)}>
          −
        </button>
        <Field
          label="Range"
          value={formatDuration(options.rangeMs)}
          width="5em"
          parse={(t) => {
            const ms = parseDuration(t);
            if (!ms) return false;
            onChange({ rangeMs: ms });
            return true;
          }}
        />
        <button type="button" title="Longer range" aria-label="Longer range" onClick={() => shiftRange(1)}>
          +
        </button>
      </div>
      <div class="group">
        <button type="button" title="Earlier" aria-label="Earlier" onClick={() => shiftEnd(-1)}>
          ‹
        </button>
        <Field
          label="End time (UTC)"
          value={options.endMs === null ? '' : formatTime(options.endMs)}
          placeholder="now"
          width="11.5em"
          parse={(t) => {
            if (t.trim() === '') {
              onChange({ endMs: null });
              return true;
            }
            const ms = parseTime(t);
            if (ms === null) return false;
            onChange({ endMs: ms });
            return true;
          }}
        />
        <button type="button" title="Later" aria-label="Later" onClick={() => shiftEnd(1)}>
          ›
        </button>
      </div>
      <div class="group">
        <Field
          label="Resolution (step)"
          value={options.stepMs === null ? '' : formatDuration(options.stepMs)}
          placeholder={`auto: ${formatDuration(autoStepMs(options.rangeMs))}`}
          width="7em"
          parse={(t) => {
            if (t.trim() === '') {
              onChange({ stepMs: null });
              return true;
            }
            const ms = parseDuration(t) ?? (parseFloat(t) > 0 ? parseFloat(t) * 1000 : null);
            if (!ms) return false;
            onChange({ stepMs: ms });
            return true;
          }}
        />
      </div>
      <div class="group">
        <select
          aria-label="Display"
          value={options.displayMode}
          onChange={(e) => onChange({ displayMode: e.currentTarget.value as DisplayMode })}
        >
          <option value="lines">Lines</option>
          <option value="stacked">Stacked</option>
        </select>
      </div>
    </div>
  );
}
