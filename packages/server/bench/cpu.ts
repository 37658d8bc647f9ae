/**
 * How busy the machine was with work that is not the benchmark's: CPU time of the whole machine (/proc/stat) minus
 * that of the benchmark process and its servers (/proc/<pid>/stat, every thread included), in cores. Numbers taken
 * while other processes compete for the CPUs are flagged with it. Linux only; elsewhere it reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Snapshot {
  /** Busy and total clock ticks summed over all CPUs. */
  busy: number;
  total: number;
  /** utime + stime of the watched processes. */
  own: number;
  cpus: number;
}

function machineTicks(): { busy: number; total: number; cpus: number } {
  const stat = readFileSync('/proc/stat', 'utf8');
  const lines = stat.split('\n');
  const fields = (lines[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, cpus: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

function processTicks(pid: number, path = `/proc/${pid}/stat`): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name may contain spaces; the fields after its closing parenthesis are fixed.
    const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(after[11] ?? 0) + Number(after[12] ?? 0);
  } catch {
    // The process exited between listing and reading: its remaining time is not counted.
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream Linux build). */
const USER_HZ = 100;

/** CPU time (user + system, all threads) a process has used so far, in milliseconds; null without /proc. */
export function processCpuMs(pid: number): number | null {
  try {
    readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No /proc or no such process.
    return null;
  }
  return (processTicks(pid) * 1000) / USER_HZ;
}

/**
 * CPU time of a process split into its main thread (the event loop, tid = pid) and all its other threads (embedding
 * workers, GC and compiler helpers, libuv pool), in milliseconds; null without /proc.
 */
export function threadCpuMs(pid: number): { main: number; others: number } | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    // No /proc or no such process.
    return null;
  }
  let main = 0;
  let others = 0;
  for (const tid of tids) {
    const ms = (processTicks(Number(tid), `/proc/${pid}/task/${tid}/stat`) * 1000) / USER_HZ;
    if (Number(tid) === pid) {
      main += ms;
    } else {
      others += ms;
    }
  }
  return { main, others };
}

function snapshot(pids: readonly number[]): Snapshot | null {
  try {
    const machine = machineTicks();
    return { ...machine, own: pids.reduce((n, pid) => n + processTicks(pid), 0) };
  } catch {
    // No /proc: not Linux.
    return null;
  }
}

/**
 * Starts watching; `stop()` returns the average number of cores used by everything except `pids()` since then
 * (`pids` is read at both ends, so servers started in between count from their start), or null without /proc.
 */
export function watchForeignCpu(pids: () => readonly number[]): { stop(): number | null } {
  const before = snapshot(pids());
  return {
    stop() {
      const after = snapshot(pids());
      if (before === null || after === null || after.total <= before.total) {
        return null;
      }
      const foreign = after.busy - before.busy - (after.own - before.own);
      return Math.max(0, (foreign / (after.total - before.total)) * after.cpus);
    },
  };
}

/** Current 1-minute load average from /proc/loadavg, or null. */
export function loadAverage(): number | null {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    // No /proc: not Linux.
    return null;
  }
}
