// The helpers every bench shares: command-line options, the statistics the reports print
// (median, nearest-rank percentile, interpolated quantile) and a pause. Bench-specific set-up
// stays in each bench; driving the program (clusters, clients) comes from harness/, as for the tests.
export { sleep } from '../harness/util';

/**
 * The value of `--name value` on the command line, else `fallback`.
 *
 * @example
 * const reps = Number(arg('reps', '5')); // node bench/failover.ts --reps 9 → 9
 */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? (process.argv[i + 1] as string) : fallback;
}

/**
 * The median (mean of the two middle values for an even count); NaN for no values.
 *
 * @example
 * median([3, 1, 2, 10]); // 2.5
 */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The nearest-rank percentile `p` (0-100); NaN for no values.
 *
 * @example
 * percentile([1, 2, 3, 4], 99); // 4
 */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * The linearly interpolated quantile `q` (0-1) of already sorted values.
 *
 * @example
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 */
export function quantile(sorted: number[], q: number): number {
  const index = (sorted.length - 1) * q;
  const low = Math.floor(index);
  const high = Math.ceil(index);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (index - low);
}
