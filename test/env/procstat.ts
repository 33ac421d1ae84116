// What a process has cost so far, read from /proc (Linux): peak resident memory (VmHWM) and CPU
// time (utime + stime). Read just before the process is stopped, VmHWM is its peak over its life.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessCost {
  /** Peak resident set size, MiB (VmHWM). */
  peakRssMiB: number;
  /** Resident set size now, MiB (VmRSS). */
  rssMiB: number;
  /** User + system CPU time, seconds. */
  cpuS: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

const kib = (status: string, field: string): number => {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`/proc status has no ${field}`);
  return Number(m[1]);
};

/** The cost of a running process; throws if it is gone. */
export function processCost(pid: number): ProcessCost {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    peakRssMiB: round(kib(status, 'VmHWM') / 1024, 1),
    rssMiB: round(kib(status, 'VmRSS') / 1024, 1),
    cpuS: round((utime + stime) / clockTicks(), 2),
  };
}
