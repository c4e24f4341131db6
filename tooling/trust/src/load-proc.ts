import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory of a process, in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Open file descriptors of a process (entries of /proc/PID/fd). */
export function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Least-squares slope of `values` over `times` (per unit of time). */
export function slope(times: readonly number[], values: readonly number[]): number {
  const n = Math.min(times.length, values.length);
  if (n < 2) return 0;
  let meanT = 0;
  let meanV = 0;
  for (let i = 0; i < n; i++) {
    meanT += (times[i] as number) / n;
    meanV += (values[i] as number) / n;
  }
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const dt = (times[i] as number) - meanT;
    covariance += dt * ((values[i] as number) - meanV);
    variance += dt * dt;
  }
  return variance === 0 ? 0 : covariance / variance;
}

/** The `p`-th percentile (0-100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
