import { createHash } from 'node:crypto'
import type { Snapnode } from '../core/snapnode.js'

const DOMAIN = 'shoal/snapshot/v1\n'

/**
 * The id of a snapshot: SHA-256 over a domain tag, the encoded manifest's hash, parent, epoch,
 * seq and origin. `time` and `holders` are deliberately outside the id: the same data and
 * history are the same snapshot wherever it is held.
 */
export function snapshotId(manifestBytes: Uint8Array, n: Pick<Snapnode, 'parent' | 'epoch' | 'seq' | 'origin'>): string {
  const manifestHash = createHash('sha256').update(manifestBytes).digest('hex')
  return createHash('sha256')
    .update(`${DOMAIN}${manifestHash}\n${n.parent ?? '-'}\n${n.epoch}\n${n.seq}\n${n.origin}\n`)
    .digest('hex')
}
