// Series colours: distinct in both themes, in a fixed order so that a
// series keeps its colour between runs of the same query.
const palette = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f',
  '#bcbd22', '#17becf', '#3366cc', '#dc3912', '#109618', '#990099', '#0099c6', '#dd4477',
  '#66aa00', '#b82e2e', '#316395', '#994499',
];

export function seriesColor(index: number): string {
  return palette[index % palette.length];
}

/** The same colour with an alpha, for stacked areas. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
