// Whether a SQL result can be drawn, and its series: a time column and
// numeric columns; with one text column besides, one series per value of
// it and numeric column (SELECT ts, job, avg(v) ... GROUP BY ts, job).

export interface SqlColumn {
  name: string;
  type: string;
}

const numericTypes = /^(DOUBLE|FLOAT|REAL|DECIMAL.*|BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$/;

export interface ChartData {
  times: number[];
  names: string[];
  values: (number | null)[][];
}

/** Null when the result has no time column or no numeric one. */
export function sqlChart(columns: SqlColumn[], rows: unknown[][], maxSeries = 200): ChartData | null {
  const time = columns.findIndex((c) => c.type.startsWith('TIMESTAMP') || c.type === 'DATE');
  const numeric = columns.map((c, i) => (numericTypes.test(c.type) ? i : -1)).filter((i) => i >= 0);
  if (time < 0 || numeric.length === 0) return null;
  const text = columns.map((c, i) => (c.type === 'VARCHAR' ? i : -1)).filter((i) => i >= 0);
  const groupBy = text.length === 1 ? text[0] : -1;

  const timeSet = new Set<number>();
  const points = new Map<string, Map<number, number | null>>();
  for (const row of rows) {
    const t = Date.parse(String(row[time])) / 1000;
    if (Number.isNaN(t)) continue;
    timeSet.add(t);
    for (const n of numeric) {
      const name = groupBy >= 0 ? `${columns[n].name}{${columns[groupBy].name}="${row[groupBy] ?? ''}"}` : columns[n].name;
      if (!points.has(name)) {
        if (points.size >= maxSeries) continue;
        points.set(name, new Map());
      }
      const v = row[n];
      const x = typeof v === 'number' ? v : typeof v === 'string' ? parseFloat(v) : NaN;
      points.get(name)!.set(t, Number.isFinite(x) ? x : null);
    }
  }
  const times = [...timeSet].sort((a, b) => a - b);
  const names = [...points.keys()];
  const values = names.map((n) => times.map((t) => points.get(n)!.get(t) ?? null));
  return { times, names, values };
}
