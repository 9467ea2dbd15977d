import { afterEach, describe, expect, it } from 'vitest'
import DHT from 'hyperdht'
import b4a from 'b4a'
import { admissionProof, clusterTopic, parseClusterKey, verifyProof } from '../../src/mesh/admission.js'
import { SwarmTransport } from '../../src/mesh/swarm-transport.js'
import { ShoalError } from '../../src/core/errors.js'
import { privateBootstrap } from '../helpers/testnet.js'
import { waitFor } from '../helpers/wait.js'

const KEY = parseClusterKey('ab'.repeat(32))
const OTHER = parseClusterKey('cd'.repeat(32))

describe('admission proofs', () => {
  const hs1 = b4a.alloc(64, 1)
  const hs2 = b4a.alloc(64, 2)
  const alice = b4a.alloc(32, 3)
  const bob = b4a.alloc(32, 4)

  it('verify only for the same key, handshake and sender', () => {
    const proof = admissionProof(KEY, hs1, alice)
    expect(verifyProof(KEY, hs1, alice, proof)).toBe(true)
    expect(verifyProof(OTHER, hs1, alice, proof)).toBe(false) // another cluster
    expect(verifyProof(KEY, hs2, alice, proof)).toBe(false) // replayed on another connection
    expect(verifyProof(KEY, hs1, bob, proof)).toBe(false) // reflected back by the other side
    expect(verifyProof(KEY, hs1, alice, proof.subarray(0, 16))).toBe(false)
  })

  it('the topic is derived from the key and does not contain it', () => {
    expect(clusterTopic(KEY)).toEqual(clusterTopic(parseClusterKey('AB'.repeat(32))))
    expect(clusterTopic(KEY)).not.toEqual(clusterTopic(OTHER))
    expect(b4a.toString(clusterTopic(KEY), 'hex')).not.toContain(b4a.toString(KEY, 'hex').slice(0, 16))
  })

  it('refuses malformed keys with a plain sentence', () => {
    for (const bad of ['', 'xyz', 'ab'.repeat(31), 'zz'.repeat(32)]) {
      expect(() => parseClusterKey(bad)).toThrow(ShoalError)
    }
  })
})

describe('admission over real hyperswarm connections', () => {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!()
  })

  async function transport(key: Uint8Array, boot: Awaited<ReturnType<typeof privateBootstrap>>, opts: { admissionTimeoutMs?: number; protocolVersion?: number } = {}) {
    const refusals: string[] = []
    const t = new SwarmTransport({
      onRefused: (_peer, why) => refusals.push(`${why.code}: ${why.message}`),
      keyPair: DHT.keyPair(),
      clusterKey: key,
      topic: clusterTopic(KEY), // the intruder found the topic somehow: only the key admits
      bootstrap: boot.bootstrap,
      host: '127.0.0.1',
      software: 'test',
      ...opts
    })
    const opened: string[] = []
    t.setHandler({ onOpen: (p) => opened.push(p), onClose: () => {}, onFrame: () => {} })
    await t.ready()
    cleanup.push(() => t.close())
    return { t, opened, refusals }
  }

  it('admits peers that know the key and refuses one that does not', async () => {
    const boot = await privateBootstrap()
    cleanup.push(boot.close)
    const a = await transport(KEY, boot)
    const b = await transport(KEY, boot)
    const intruder = await transport(OTHER, boot)
    await waitFor(() => a.opened.includes(b.t.localId) && b.opened.includes(a.t.localId), 'a and b admitted')
    // Whichever side checks first refuses: the members (a wrong proof) or the intruder itself
    // (the members' proofs do not verify under its key).
    await waitFor(() => a.t.stats.refused + b.t.stats.refused + intruder.t.stats.refused >= 1, 'the intruder refused')
    expect(a.opened).not.toContain(intruder.t.localId)
    expect(b.opened).not.toContain(intruder.t.localId)
    expect(intruder.opened).toEqual([])
    expect(intruder.t.connected()).toEqual([])
    await new Promise((r) => setTimeout(r, 1500))
    expect(a.t.connected()).toEqual([b.t.localId])
    expect(intruder.t.connected()).toEqual([])
    // Whoever refused says why (a node reports it in its event log).
    expect([...a.refusals, ...b.refusals, ...intruder.refusals].join('\n')).toMatch(/ADMISSION_FAILED: peer does not know the cluster key/)
  })

  it('refuses a node of another protocol version, saying which versions meet', async () => {
    const boot = await privateBootstrap()
    cleanup.push(boot.close)
    const current = await transport(KEY, boot)
    const older = await transport(KEY, boot, { protocolVersion: 1 })
    await waitFor(() => current.refusals.length + older.refusals.length >= 1, 'one side to refuse the other')
    expect([...current.refusals, ...older.refusals].join('\n')).toMatch(/PROTOCOL_MISMATCH: peer speaks protocol [12] \(software "test"\), we speak [12]/)
    expect(current.opened).toEqual([])
    expect(older.opened).toEqual([])
  })
})
