/**
 * CPU accounting for the benchmarks from Linux /proc: the CPU seconds (user + system, all threads of a process)
 * of each process, grouped into the components a benchmark names, the machine's load average and its cores.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** CPU seconds per process with its component; null where /proc is not there. */
export type CpuSample = Map<number, { group: string; seconds: number }> | null;

/** Names a process's component from its pid and command line; undefined leaves it in `other processes`. */
export type Classify = (pid: number, cmdline: string) => string | undefined;

export const OTHER = 'other processes';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ); 100 on every Linux build Node runs on. */
const TICKS = 100;

/** The CPU seconds of every process (utime + stime cover all its threads) and the component it belongs to. */
export function sampleCpu(classify: Classify): CpuSample {
  if (!existsSync('/proc/self/stat')) return null;
  const out = new Map<number, { group: string; seconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      out.set(Number(entry), { group: classify(Number(entry), cmdline) ?? OTHER, seconds });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds each component spent between two samples, in `order` then any other component seen. Per process:
 * one that started in between counts whole; one that ended in between is missing (its last part is not seen).
 */
export function cpuBetween(a: CpuSample, b: CpuSample, order: readonly string[]): Record<string, number> | null {
  if (!a || !b) return null;
  const sums = new Map<string, number>();
  for (const [pid, p] of b) {
    const before = a.get(pid);
    sums.set(p.group, (sums.get(p.group) ?? 0) + Math.max(0, p.seconds - (before?.seconds ?? 0)));
  }
  const keys = [...order.filter((k) => sums.has(k)), ...[...sums.keys()].filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, sums.get(k)!]));
}

/**
 * A process's write counters from /proc/<pid>/io (all its threads): bytes passed to write calls (`wchar`), bytes it
 * caused to be written to storage (`write_bytes`) and its write calls (`syscw`); zeros when it is gone.
 */
export function writeCounters(pid: number | 'self'): { chars: number; storage: number; calls: number } {
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (name: string) => Number(io.match(new RegExp(`^${name}: (\\d+)`, 'm'))?.[1] ?? 0);
    return { chars: field('wchar'), storage: field('write_bytes'), calls: field('syscw') };
  } catch {
    return { chars: 0, storage: 0, calls: 0 };
  }
}

/** CPU seconds of one process's main thread (its task with the process's own id); 0 when it is gone. */
export function mainThreadSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

export function cpuCount(): number {
  if (!existsSync('/proc/cpuinfo')) return 1;
  return (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm) ?? []).length || 1;
}

/** The 1-minute load average, or null off Linux. */
export function loadAverage(): number | null {
  if (!existsSync('/proc/loadavg')) return null;
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
