// How series are named on screen: Prometheus's own notation.

import type { Labels } from './api';

const plainName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const plainLabel = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function quote(s: string): string {
  return JSON.stringify(s);
}

/** `name{a="1", b="2"}`, with names outside the classic character set quoted. */
export function formatSeries(labels: Labels): string {
  const name = labels.__name__ ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${plainLabel.test(k) ? k : quote(k)}=${quote(labels[k])}`);
  if (name && !plainName.test(name)) return `{${[quote(name), ...rest].join(', ')}}`;
  return rest.length || !name ? `${name}{${rest.join(', ')}}` : name;
}

