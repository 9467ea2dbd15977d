import { ShoalError } from '../core/errors.js'

/** How long a request or connection may be held while the gate is paused, by default. */
export const HOLD_TIMEOUT_MS = 10_000

/** At most this many entries wait at a paused gate; more are refused at once. */
export const MAX_HELD = 10_000

export interface PauseGateOptions {
  /** Held entries give up (enter() rejects with GATE_TIMEOUT) after this long. */
  holdTimeoutMs?: number
  /** Entries past this many waiting are refused with GATE_TIMEOUT instead of held. */
  maxHeld?: number
}

export interface EnterOptions {
  /** Aborting gives up a held entry (the client went away); enter() rejects with the reason. */
  signal?: AbortSignal
  /** Overrides the gate's hold timeout for this entry. */
  holdTimeoutMs?: number
}

/**
 * One admitted request or connection. It counts as in flight until `leave()` (idempotent).
 * `target` is what `release(target)` handed to entries held during a pause; undefined for
 * entries that passed an open gate (ask the router then).
 */
export interface GatePass<T> {
  readonly target: T | undefined
  /** True when the entry was held by a pause before passing. */
  readonly held: boolean
  leave(): void
  /** Called by `terminate()`: the owner should cut the request or connection. */
  onTerminate(fn: (reason: Error) => void): void
}

interface Waiter<T> {
  resolve(pass: GatePass<T>): void
  reject(err: Error): void
  cleanup(): void
}

/**
 * The per-app gate every request and connection passes. Open: `enter()` resolves at once.
 * Paused: new entries wait (up to the hold timeout) while in-flight ones finish; `drain()`
 * tells when none are left; `release(target)` lets the held ones through, possibly towards a new
 * target. Requests already in flight are never touched by pause or release; `terminate()` asks
 * their owners to cut them.
 */
export class PauseGate<T = unknown> {
  private readonly holdTimeoutMs: number
  private readonly maxHeld: number
  private readonly waiters = new Set<Waiter<T>>()
  private readonly live = new Set<{ terminate?: (reason: Error) => void }>()
  private drainers: Array<() => void> = []
  private pausedFlag = false
  /** Total entries ever admitted; useful for tests and metrics. */
  admitted = 0

  constructor(opts: PauseGateOptions = {}) {
    this.holdTimeoutMs = opts.holdTimeoutMs ?? HOLD_TIMEOUT_MS
    this.maxHeld = opts.maxHeld ?? MAX_HELD
  }

  get paused(): boolean {
    return this.pausedFlag
  }

  /** Requests and connections admitted and not yet left. */
  get inFlight(): number {
    return this.live.size
  }

  /** Entries waiting at a paused gate. */
  get held(): number {
    return this.waiters.size
  }

  /** Admits at once when open (the hot path: no promise, no timer); null while paused. */
  tryEnter(): GatePass<T> | null {
    return this.pausedFlag ? null : this.admit(undefined, false)
  }

  /**
   * Admits one request or connection. Never blocks while open; while paused, waits for
   * `release()`. Rejects with GATE_TIMEOUT after the hold timeout or when too many are held,
   * or with the signal's reason.
   */
  enter(opts: EnterOptions = {}): Promise<GatePass<T>> {
    if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal))
    if (!this.pausedFlag) return Promise.resolve(this.admit(undefined, false))
    if (this.waiters.size >= this.maxHeld) {
      return Promise.reject(new ShoalError('GATE_TIMEOUT', `${this.maxHeld} requests already held while the app is paused`))
    }
    return new Promise<GatePass<T>>((resolve, reject) => {
      const timeoutMs = opts.holdTimeoutMs ?? this.holdTimeoutMs
      const timer = setTimeout(() => {
        waiter.cleanup()
        reject(new ShoalError('GATE_TIMEOUT', `held for ${timeoutMs} ms while the app was paused`))
      }, timeoutMs)
      const onAbort = () => {
        waiter.cleanup()
        reject(abortReason(opts.signal!))
      }
      const waiter: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer)
          opts.signal?.removeEventListener('abort', onAbort)
          this.waiters.delete(waiter)
        }
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      this.waiters.add(waiter)
    })
  }

  /** Holds every new entry from now on. In-flight ones continue. Idempotent. */
  pause(): void {
    this.pausedFlag = true
  }

  /**
   * Resolves true once nothing is in flight, or false when `timeoutMs` passes first. Does not
   * pause by itself: call `pause()` first or new entries keep arriving.
   */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.live.size === 0) return Promise.resolve(true)
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer)
        this.drainers = this.drainers.filter((d) => d !== onEmpty)
        resolve(ok)
      }
      const onEmpty = () => done(true)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.drainers.push(onEmpty)
    })
  }

  /**
   * Opens the gate. Entries held so far pass with `pass.target = target` (the same master, or
   * the new one after a move); later entries pass with no target and consult the router, so
   * update the route before releasing.
   */
  release(target?: T): void {
    this.pausedFlag = false
    for (const waiter of [...this.waiters]) {
      waiter.cleanup()
      waiter.resolve(this.admit(target, true))
    }
  }

  /** Rejects every held entry with `err` (the gate stays paused or open as it was). */
  refuseHeld(err: Error): void {
    for (const waiter of [...this.waiters]) {
      waiter.cleanup()
      waiter.reject(err)
    }
  }

  /** Asks the owner of every in-flight entry to cut it (the "terminate" drain policy). */
  terminate(reason: Error): void {
    for (const entry of [...this.live]) entry.terminate?.(reason)
  }

  private admit(target: T | undefined, held: boolean): GatePass<T> {
    this.admitted++
    const entry: { terminate?: (reason: Error) => void } = {}
    this.live.add(entry)
    let left = false
    return {
      target,
      held,
      leave: () => {
        if (left) return
        left = true
        this.live.delete(entry)
        if (this.live.size === 0 && this.drainers.length > 0) {
          for (const d of [...this.drainers]) d()
        }
      },
      onTerminate: (fn) => {
        entry.terminate = fn
      }
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new ShoalError('GATE_TIMEOUT', 'gave up while held')
}
