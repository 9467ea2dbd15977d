import { groupProcesses } from './group-processes.js'

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
export const CLOCK_TICKS = 100

/**
 * CPU seconds (user + system, including reaped children) used by every process still alive in
 * a process group. Linux only; 0 elsewhere or when the group is gone. Scans /proc, so call it
 * every few seconds, not per request.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0
  for (const { fields: f } of groupProcesses(pgid)) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])
  return ticks / CLOCK_TICKS
}

/** Turns successive CPU-second readings into a busy fraction (1 = one core fully busy). */
export class CpuMeter {
  private last: { at: number; cpu: number } | null = null

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The fraction since the previous sample (0 on the first). A drop (new process) restarts. */
  sample(cpuSeconds: number): number {
    const at = this.now()
    const prev = this.last
    this.last = { at, cpu: cpuSeconds }
    if (!prev || cpuSeconds < prev.cpu || at <= prev.at) return 0
    return (cpuSeconds - prev.cpu) / ((at - prev.at) / 1000)
  }
}
