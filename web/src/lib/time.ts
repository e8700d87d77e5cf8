// Durations and times as Prometheus's UI writes them.

const units: [string, number][] = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;

/** "1h30m" → milliseconds, or null when it is not a Prometheus duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '' || s === '0') return s === '0' ? 0 : null;
  const m = durationPattern.exec(s);
  if (!m) return null;
  let ms = 0;
  units.forEach(([, size], i) => {
    if (m[i + 1]) ms += parseInt(m[i + 1], 10) * size;
  });
  return ms;
}

/** Milliseconds → "1h30m" (the largest units first). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Unix milliseconds → "2026-12-06 13:20:00" (UTC, as the API speaks). */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.000Z$|Z$/, '');
}

/** "2026-12-06 13:20:00" or RFC 3339 → Unix milliseconds (UTC), or null. */
export function parseTime(text: string): number | null {
  const s = text.trim();
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s)) return parseFloat(s) * 1000;
  const iso = s.includes('T') ? s : s.replace(' ', 'T');
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** The step Prometheus's UI picks by itself: about 250 points, at least 1 s. */
export function autoStepMs(rangeMs: number): number {
  return Math.max(1000, Math.round(rangeMs / 250 / 1000) * 1000);
}

/** A shorter human form for ages: "3.2s ago", "5m ago". */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return formatDuration(Math.round(ms / 1000) * 1000);
}

/** A time as Go's JSON writes it → Unix ms; null for Go's zero time (never) or text that does not parse. */
export function parseGoTime(text: string): number | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) || text.startsWith('0001-') ? null : ms;
}

/** "3.2s ago", or "never" for Go's zero time. */
export function agoText(goTime: string, now: number): string {
  const at = parseGoTime(goTime);
  return at === null ? 'never' : `${formatAge(Math.max(0, now - at))} ago`;
}
