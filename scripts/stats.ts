// The summary statistics the bench and the demo print of their timings.

/** The upper median: the middle value of an odd count, the higher of the middle two of an even one. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The value at fraction `q` of the way from the smallest to the largest (0.25: the first quartile), rounded down. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)];
}
