// Links into the Query page and the metric page.

/** The Query page with one graph of `expr`. */
export function graphLink(expr: string): string {
  const params = new URLSearchParams({ 'g0.expr': expr, 'g0.tab': 'graph', 'g0.range_input': '1h' });
  return `query?${params}`;
}

export function metricLink(name: string): string {
  return `metric?${new URLSearchParams({ name })}`;
}
