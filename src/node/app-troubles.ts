import type { Mesh } from '../mesh/mesh.js'

/** What a trouble is about: the app's process on this node, or its TCP listener here. */
export type TroubleSource = 'run' | 'tcp'

/**
 * What keeps each app from running on this node, published in the node's gossiped record
 * (`troubles`), so `shoal apps` on any node can say why an app is not running: a crash loop, a
 * failed health check, a TCP port this node cannot listen on. One sentence per app; the record
 * changes only when a sentence does.
 */
export class AppTroubles {
  private readonly bySource = new Map<string, Map<TroubleSource, string>>()

  constructor(private readonly mesh: Pick<Mesh, 'record' | 'updateSelf'>) {}

  /** Sets (or with null clears) the trouble `source` reports for `app`. */
  set(app: string, source: TroubleSource, text: string | null): void {
    const mine = this.bySource.get(app) ?? new Map<TroubleSource, string>()
    if (text === null) mine.delete(source)
    else mine.set(source, text)
    if (mine.size === 0) this.bySource.delete(app)
    else this.bySource.set(app, mine)
    const sentence = mine.size === 0 ? null : [...mine.values()].join('; ')
    const current = this.mesh.record.troubles ?? {}
    if ((current[app] ?? null) === sentence) return
    const next = { ...current }
    if (sentence === null) delete next[app]
    else next[app] = sentence
    this.mesh.updateSelf({ troubles: next })
  }
}
