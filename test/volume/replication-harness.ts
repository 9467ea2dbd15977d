import { join } from 'node:path'
import type { Snapnode } from '../../src/core/snapnode.js'
import { createMemoryLinkPair, type MemoryLinkOptions } from '../../src/volume/memory-link.js'
import { ReplicationReceiver, type ReceiverOptions } from '../../src/volume/replication-receiver.js'
import { ReplicationSender, type SenderOptions } from '../../src/volume/replication-sender.js'
import type { ShoalError } from '../../src/core/errors.js'
import { makeNode, nodeIdOf, tempDir } from './helpers.js'

export type TestNode = Awaited<ReturnType<typeof makeNode>>

export async function twoNodes(): Promise<{ master: TestNode; replica: TestNode }> {
  const base = await tempDir()
  return { master: await makeNode(join(base, 'm'), nodeIdOf(1)), replica: await makeNode(join(base, 'r'), nodeIdOf(2)) }
}

/** A sender on the master and a receiver on the replica over a fresh memory link. */
export function connect(
  master: TestNode,
  replica: TestNode,
  opts: { link?: MemoryLinkOptions; sender?: Partial<SenderOptions>; receiver?: Partial<ReceiverOptions> } = {}
) {
  const pair = createMemoryLinkPair(opts.link)
  const commits: Snapnode[] = []
  const errors: ShoalError[] = []
  const receiver = new ReplicationReceiver({
    link: pair.b,
    chunks: replica.chunks,
    snapshots: replica.snapshots,
    self: replica.id,
    onCommit: (n) => commits.push(n),
    onError: (e) => errors.push(e),
    ...opts.receiver
  })
  const sender = new ReplicationSender({ link: pair.a, chunks: master.chunks, snapshots: master.snapshots, ...opts.sender })
  return { pair, sender, receiver, commits, errors }
}
