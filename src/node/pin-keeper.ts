import { PIN_RETRY_MS, pinReturnDue } from '../core/pin-return.js'
import type { NodeId } from '../core/types.js'
import type { ClusterEvent } from '../control/types.js'
import type { Mesh } from '../mesh/mesh.js'
import type { MoveResult } from './migration.js'

export interface PinKeeperOptions {
  self: NodeId
  mesh: Mesh
  /** A move of the app is under way on this node. */
  busy(app: string): boolean
  /** Moves the app (this node is its master); marks it busy before it first waits. */
  move(app: string, to: NodeId): Promise<MoveResult>
  events(e: ClusterEvent): void
}

/**
 * Keeps pinned apps on their node: an app this node masters that is pinned elsewhere (it failed
 * over, or a drill moved it) goes back once the pinned node has been alive a while
 * (core/pin-return.ts). Only a failed try waits PIN_RETRY_MS before the next one.
 */
export class PinKeeper {
  /** When each member was last seen to become alive. */
  private readonly aliveSince = new Map<NodeId, number>()
  private readonly startedAt = Date.now()
  /** When a move back of each app last failed here. */
  private readonly failedAt = new Map<string, number>()
  /** Moves back under way, so closing can wait for them. */
  private readonly returning = new Set<Promise<void>>()

  constructor(private readonly o: PinKeeperOptions) {
    o.mesh.on('change', (e: { id: NodeId; to: string }) => (e.to === 'alive' ? this.aliveSince.set(e.id, Date.now()) : this.aliveSince.delete(e.id)))
  }

  /** Starts the moves back that are due now. */
  check(): void {
    const { apps, table } = this.o.mesh.gossip
    const now = Date.now()
    for (const spec of apps.specs.values()) {
      const pl = apps.placements.get(spec.name)
      if (spec.deleted || pl === undefined) continue
      const pinAlive = spec.pin !== '' && table.status(spec.pin) === 'alive'
      const due = pinReturnDue({
        self: this.o.self,
        pin: spec.pin,
        master: pl.master,
        state: pl.state,
        pinAliveSince: pinAlive ? (this.aliveSince.get(spec.pin) ?? this.startedAt) : null,
        busy: this.o.busy(spec.name),
        lastTryAt: this.failedAt.get(spec.name) ?? 0,
        now
      })
      if (due) this.goBack(spec.name, spec.pin, table.get(spec.pin)?.record?.name ?? spec.pin.slice(0, 8))
    }
  }

  /** Waits for the moves back under way. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.returning])
  }

  private goBack(app: string, pin: NodeId, to: string): void {
    this.o.events({ at: Date.now(), kind: 'move', app, message: `${app} goes back to ${to}, where it is pinned` })
    const failed = (why: string) => {
      this.failedAt.set(app, Date.now())
      this.o.events({ at: Date.now(), kind: 'error', app, message: `${app} could not go back to ${to}: ${why}; trying again in ${PIN_RETRY_MS / 1000} s` })
    }
    const going = this.o.move(app, pin).then(
      (r) => (r.ok ? void this.failedAt.delete(app) : failed(r.error ?? 'the move failed')),
      (err: Error) => failed(err.message)
    )
    this.returning.add(going)
    void going.finally(() => this.returning.delete(going))
  }
}
