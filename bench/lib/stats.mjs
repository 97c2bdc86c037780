// Percentiles and formatting shared by the benchmark scripts.
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

export const ms = (value) => `${value.toFixed(3)} ms`;

/** "min / median / max" of `values` (the upper median of an even count), each with `digits` decimals. */
export function minMedianMax(values, digits = 0) {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[0], sorted[Math.floor(sorted.length / 2)], sorted.at(-1)].map((v) => v.toFixed(digits)).join(' / ');
}
