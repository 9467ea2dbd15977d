import { EventEmitter } from 'node:events'
import { ShoalError } from '../core/errors.js'
import { BACKOFF_MAX_MS, Backoff, EventWindow, type BackoffOptions } from './backoff.js'
import { freePort } from './free-port.js'
import { groupListensOn } from './port-owner.js'
import { parseHealth, probe, type HealthSpec } from './health-check.js'
import { LineSplitter, LogRing, type LogLine } from './log-ring.js'
import { ProcessGroup } from './process-group.js'
import { CpuMeter, groupCpuSeconds } from './proc-cpu.js'

/** An app must pass its health check within this long of each start, or it counts as a crash. */
export const START_TIMEOUT_MS = 30_000
/** Probe spacing while starting: short, because a move's pause waits for the first success… */
export const START_PROBE_MS = 5
/** …for this long; an app still starting after that is probed every START_SLOW_PROBE_MS. */
export const START_FAST_PROBES_MS = 2_000
export const START_SLOW_PROBE_MS = 50
/** Probe spacing once healthy. */
export const LIVE_PROBE_MS = 2_000
/** This many failed probes in a row while healthy restart the app. */
export const UNHEALTHY_AFTER = 3
/** SIGTERM, then SIGKILL after this long. */
export const STOP_GRACE_MS = 10_000
/** This many crashes inside CRASH_WINDOW_MS is a crash loop. */
export const CRASH_LOOP_CRASHES = 5
export const CRASH_WINDOW_MS = 60_000
/** A run that stayed healthy this long resets the backoff. */
export const STABLE_MS = 10_000

export type AppRunState = 'starting' | 'healthy' | 'crashed' | 'backoff' | 'crash-loop' | 'stopping' | 'stopped'

export interface AppSupervisorOptions {
  app: string
  /** Run as `/bin/sh -c CMD`. */
  cmd: string
  /** The app's live data folder: `SHOAL_DATA`, and the working directory unless `cwd` is set. */
  dataDir: string
  /** This node's name: `SHOAL_NODE`. */
  nodeName: string
  env?: Record<string, string>
  cwd?: string
  /** `http:/PATH`, `tcp` (default) or `none`. */
  health?: string
  /** The port the app must listen on (`PORT`); a free one on 127.0.0.1 is chosen if omitted. */
  port?: number
  startTimeoutMs?: number
  startProbeMs?: number
  liveProbeMs?: number
  unhealthyAfter?: number
  stopGraceMs?: number
  crashLoopCrashes?: number
  crashWindowMs?: number
  stableMs?: number
  backoff?: BackoffOptions
  logLines?: number
  /** Kill the group even if the node dies by SIGKILL (a guard process in the group). Default on. */
  orphanGuard?: boolean
}

export interface StateEvent {
  app: string
  state: AppRunState
  prev: AppRunState
  at: number
  pid: number | null
  /** Why, in a sentence: exit status, failed probe, restart delay. */
  reason?: string
}

export interface ExitEvent {
  app: string
  pid: number
  code: number | null
  signal: NodeJS.Signals | null
  /** True when Shoal asked it to stop. */
  expected: boolean
}

/**
 * Runs one app's command on this node, keeps it healthy, and stops it for good on request.
 * The app counts as running only once its health check passes; a crash restarts it after an
 * exponential backoff, and CRASH_LOOP_CRASHES crashes within CRASH_WINDOW_MS put it in
 * `crash-loop` (it keeps retrying at the longest delay). Output goes to a ring buffer.
 *
 * Events: 'state' (StateEvent), 'exit' (ExitEvent), 'crash-loop' ({app, crashes, windowMs}),
 * 'log' (LogLine).
 */
export class AppSupervisor extends EventEmitter {
  readonly app: string
  readonly logs: LogRing
  private readonly opts: AppSupervisorOptions
  private readonly healthSpec: HealthSpec
  private readonly backoff: Backoff
  private readonly crashes: EventWindow
  private stateValue: AppRunState = 'stopped'
  private portValue: number | null
  private group: ProcessGroup | null = null
  private running: Promise<void> | null = null
  private stopping: Promise<void> | null = null
  private stopRequested = false
  private wake: (() => void) | null = null
  private healthyWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = []
  private readonly cpuMeter = new CpuMeter()
  /** Restarts after crashes since start(). */
  restarts = 0
  lastExit: ExitEvent | null = null

  constructor(opts: AppSupervisorOptions) {
    super()
    this.opts = opts
    this.app = opts.app
    this.healthSpec = parseHealth(opts.health)
    this.backoff = new Backoff(opts.backoff)
    this.crashes = new EventWindow(opts.crashWindowMs ?? CRASH_WINDOW_MS)
    this.logs = new LogRing(opts.logLines)
    this.portValue = opts.port ?? null
  }

  get state(): AppRunState {
    return this.stateValue
  }

  /** The port the app listens on (known after start()). */
  get port(): number | null {
    return this.portValue
  }

  /** The main process id while one runs. */
  get pid(): number | null {
    return this.group?.pgid ?? null
  }

  /**
   * Starts the app and keeps it running. Resolves the first time it passes its health check;
   * rejects with APP_START_FAILED if it enters a crash loop first or is stopped before. Calling
   * it again while running returns the same wait.
   */
  start(): Promise<void> {
    const healthy = this.waitHealthy()
    if (!this.running) {
      this.stopRequested = false
      this.stopping = null
      this.backoff.reset()
      this.crashes.clear()
      this.restarts = 0
      this.running = this.loop().catch((err: unknown) => {
        this.note(`supervisor failed: ${(err as Error).message}`)
        this.failWaiters(new ShoalError('APP_START_FAILED', `app "${this.app}" could not be supervised: ${(err as Error).message}`))
      })
    }
    return healthy
  }

  /** Resolves once the app is healthy (at once if it is). */
  waitHealthy(): Promise<void> {
    if (this.stateValue === 'healthy') return Promise.resolve()
    return new Promise((resolve, reject) => this.healthyWaiters.push({ resolve, reject }))
  }

  /**
   * Stops the app: SIGTERM to its whole process group, SIGKILL after the grace period. Resolves
   * when the group is gone. Idempotent; no restart follows.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true
      this.wake?.()
      const group = this.group
      if (group) {
        this.setState('stopping', 'stop requested')
        group.terminate()
        const grace = setTimeout(() => group.signal('SIGKILL'), this.opts.stopGraceMs ?? STOP_GRACE_MS)
        await group.exited
        clearTimeout(grace)
      }
      await this.running
      this.running = null
      this.failWaiters(new ShoalError('APP_START_FAILED', `app "${this.app}" was stopped`))
      this.setState('stopped', 'stopped')
    })()
    return this.stopping
  }

  /**
   * CPU the app's whole process group used since the previous call, as a fraction of one core
   * (for AppLoad.cpu). Scans /proc: call it every few seconds. 0 when not running.
   */
  cpuLoad(): number {
    const group = this.group
    return group ? this.cpuMeter.sample(groupCpuSeconds(group.pgid)) : 0
  }

  /** Calls `fn` for every new output line until the returned function is called. */
  follow(fn: (line: LogLine) => void): () => void {
    return this.logs.follow(fn)
  }

  private async loop(): Promise<void> {
    while (!this.stopRequested) {
      // Chosen again after a start found another process on the port.
      this.portValue ??= await freePort()
      const startedAt = Date.now()
      const outcome = await this.runOnce()
      if (this.stopRequested) return
      if (Date.now() - startedAt >= (this.opts.stableMs ?? STABLE_MS) && outcome.wasHealthy) this.backoff.reset()
      const count = this.crashes.record()
      this.setState('crashed', outcome.reason)
      const limit = this.opts.crashLoopCrashes ?? CRASH_LOOP_CRASHES
      let delay = this.backoff.next()
      if (count >= limit) {
        delay = this.opts.backoff?.maxMs ?? BACKOFF_MAX_MS
        const loop = `${count} crashes within ${(this.opts.crashWindowMs ?? CRASH_WINDOW_MS) / 1000} s; next try in ${delay} ms`
        // The log says why, next to the process's own last words.
        this.note(`crash loop (${outcome.reason}): ${loop}`)
        this.setState('crash-loop', loop)
        this.emit('crash-loop', { app: this.app, crashes: count, windowMs: this.opts.crashWindowMs ?? CRASH_WINDOW_MS })
        this.failWaiters(new ShoalError('CRASH_LOOP', `app "${this.app}" is crash-looping: ${outcome.reason}`))
      } else {
        this.note(`${outcome.reason}: restarting in ${delay} ms`)
        this.setState('backoff', `restarting in ${delay} ms`)
      }
      await this.sleep(delay)
      if (!this.stopRequested) this.restarts++
    }
  }

  /** One life of the process: start, become healthy, run until exit or failed probes. */
  private async runOnce(): Promise<{ reason: string; wasHealthy: boolean }> {
    const port = this.portValue!
    const group = new ProcessGroup({
      cmd: this.opts.cmd,
      cwd: this.opts.cwd ?? this.opts.dataDir,
      env: {
        ...process.env,
        ...this.opts.env,
        PORT: String(port),
        SHOAL_DATA: this.opts.dataDir,
        SHOAL_APP: this.app,
        SHOAL_NODE: this.opts.nodeName
      },
      graceSec: Math.ceil((this.opts.stopGraceMs ?? STOP_GRACE_MS) / 1000),
      guard: this.opts.orphanGuard ?? true
    })
    this.group = group
    const out = new LineSplitter('stdout', (l) => this.log(l))
    const err = new LineSplitter('stderr', (l) => this.log(l))
    group.child.stdout?.on('data', (c: Buffer) => out.write(c))
    group.child.stderr?.on('data', (c: Buffer) => err.write(c))
    this.setState('starting', `pid ${group.pgid}, port ${port}`)
    this.note(`started pid ${group.pgid} on port ${port}: ${this.opts.cmd}`)

    let exited = false
    const exit = group.exited.then((e) => {
      exited = true
      out.flush()
      err.flush()
      return e
    })
    let wasHealthy = false
    let reason = ''
    let healthy: 'ok' | 'failed' | 'done' | 'taken' = await this.probeUntil(() => exited || this.stopRequested, exit, true, this.opts.startTimeoutMs ?? START_TIMEOUT_MS)
    if (healthy === 'ok' && this.healthSpec.kind !== 'none' && !exited && groupListensOn(group.pgid, port) === false) {
      // Someone else answered: the app would seem healthy while that program got its traffic.
      healthy = 'taken'
      this.portValue = null
      reason = `port ${port} is held by another process, not by the app; it starts again on another port`
      this.note(reason)
    }
    if (healthy === 'ok') {
      wasHealthy = true
      this.setState('healthy', `passed ${describe(this.healthSpec)}`)
      for (const w of this.healthyWaiters.splice(0)) w.resolve()
      const live = await this.probeUntil(() => exited || this.stopRequested, exit, false, Infinity)
      reason = live === 'failed' ? `failed ${this.opts.unhealthyAfter ?? UNHEALTHY_AFTER} health checks in a row` : ''
    } else if (healthy === 'failed') {
      reason = `not healthy within ${this.opts.startTimeoutMs ?? START_TIMEOUT_MS} ms`
    }
    if (!exited && !this.stopRequested) {
      // Unhealthy but alive: treat as a crash.
      group.terminate()
      const grace = setTimeout(() => group.signal('SIGKILL'), this.opts.stopGraceMs ?? STOP_GRACE_MS)
      await exit
      clearTimeout(grace)
    }
    const e = await exit
    this.group = null
    const status = e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`
    const ev: ExitEvent = { app: this.app, pid: group.pgid, code: e.code, signal: e.signal, expected: this.stopRequested }
    this.lastExit = ev
    this.note(`pid ${group.pgid} ${status}`)
    this.emit('exit', ev)
    return { reason: reason ? `${reason} (${status})` : status, wasHealthy }
  }

  /**
   * Probes until `done()` holds. Starting (`untilOk`): 'ok' at the first success, 'failed' when
   * `limitMs` passes. Live: 'failed' after UNHEALTHY_AFTER failures in a row. 'done' otherwise.
   */
  private async probeUntil(done: () => boolean, exit: Promise<unknown>, untilOk: boolean, limitMs: number): Promise<'ok' | 'failed' | 'done'> {
    const started = Date.now()
    const deadline = started + limitMs
    const every = untilOk ? (this.opts.startProbeMs ?? START_PROBE_MS) : (this.opts.liveProbeMs ?? LIVE_PROBE_MS)
    const failLimit = this.opts.unhealthyAfter ?? UNHEALTHY_AFTER
    let failures = 0
    while (!done()) {
      if (!untilOk) await this.sleep(every, exit)
      if (done()) break
      const ok = await probe(this.healthSpec, this.portValue!)
      if (done()) break
      if (untilOk) {
        if (ok) return 'ok'
        if (Date.now() >= deadline) return 'failed'
        const slow = Date.now() - started > START_FAST_PROBES_MS
        await this.sleep(slow ? Math.max(every, START_SLOW_PROBE_MS) : every, exit)
      } else {
        failures = ok ? 0 : failures + 1
        if (failures >= failLimit) return 'failed'
      }
    }
    return 'done'
  }

  /** Sleeps, woken early by stop() or when `interrupt` settles (the process exited). */
  private sleep(ms: number, interrupt?: Promise<unknown>): Promise<void> {
    return new Promise((resolve) => {
      let over = false
      const finish = () => {
        if (over) return
        over = true
        clearTimeout(timer)
        if (this.wake === finish) this.wake = null
        resolve()
      }
      const timer = setTimeout(finish, ms)
      interrupt?.then(finish, finish)
      this.wake = finish
    })
  }

  private setState(state: AppRunState, reason?: string): void {
    const prev = this.stateValue
    if (prev === state && state !== 'crashed') return
    this.stateValue = state
    const ev: StateEvent = { app: this.app, state, prev, at: Date.now(), pid: this.group?.pgid ?? null, ...(reason ? { reason } : {}) }
    this.emit('state', ev)
  }

  private failWaiters(err: Error): void {
    for (const w of this.healthyWaiters.splice(0)) w.reject(err)
  }

  private log(line: LogLine): void {
    this.logs.push(line)
    this.emit('log', line)
  }

  private note(text: string): void {
    this.log({ ts: Date.now(), stream: 'shoal', line: text })
  }
}

function describe(spec: HealthSpec): string {
  return spec.kind === 'http' ? `health check GET ${spec.path}` : spec.kind === 'tcp' ? 'TCP health check' : 'no health check'
}
