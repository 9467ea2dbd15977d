import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ShoalError } from '../../src/core/errors.js'
import type { Manifest, Snapnode } from '../../src/core/snapnode.js'
import { decodeManifest, decodeManifestBounded, encodeManifest, encodeManifestBounded } from '../../src/protocol/manifest-codec.js'
import { decodeReplication, decodeSnapnode, encodeChunkFrame, encodeReplication, encodeSnapnode, type ReplicationMessage } from '../../src/protocol/volume-messages.js'

const h = (n: number) => n.toString(16).padStart(2, '0').repeat(32)

const snapnode: Snapnode = { id: h(1), parent: h(2), origin: h(3), epoch: 7, seq: 123456, time: 1_764_000_000_123, holders: [h(3), h(4)] }
const rootSnapnode: Snapnode = { ...snapnode, parent: null, holders: [] }

const manifest: Manifest = {
  entries: [
    { path: 'a', kind: 'dir', mode: 0o40755, mtimeMs: 1.5, size: 0 },
    { path: 'a/empty', kind: 'file', mode: 0o100644, mtimeMs: 1_764_000_000_000.25, size: 0, chunks: [] },
    { path: 'a/big.bin', kind: 'file', mode: 0o100600, mtimeMs: 2, size: 300_000, chunks: [h(5), h(6), h(7)] },
    { path: 'link', kind: 'symlink', mode: 0o120777, mtimeMs: 3, size: 0, target: 'a/big.bin' },
    { path: 'ünïcødé ✓', kind: 'file', mode: 0o100755, mtimeMs: 4, size: 1, chunks: [h(8)] }
  ]
}

const messages: ReplicationMessage[] = [
  { type: 'offer', snapnode, manifestSize: 4096, manifestPieces: [h(9), h(10)] },
  { type: 'offer', snapnode: rootSnapnode, manifestSize: 0, manifestPieces: [] },
  { type: 'offer', snapnode, manifestSize: 4096, manifestPieces: [h(9)], patches: true },
  { type: 'want', id: h(1), total: 2, hashes: [h(5), h(6)] },
  { type: 'want', id: h(1), total: 3, hashes: [h(5), h(6)], runs: [{ chunks: [h(5), h(7)], old: [h(11)] }, { chunks: [h(6)], old: [h(12), h(13)] }] },
  { type: 'patch', hash: h(5), pieces: [{ base: h(11), offset: 0, length: 6397 }, { literal: Buffer.from('new bytes') }, { base: h(12), offset: 100, length: 40_000 }] },
  { type: 'patch', hash: h(6), pieces: [] },
  { type: 'want', id: h(1), total: 0, hashes: [] },
  { type: 'chunk', hash: h(5), data: randomBytes(1000) },
  { type: 'chunk', hash: h(6), data: new Uint8Array(0) },
  { type: 'ack', id: h(1), holder: h(4) },
  { type: 'error', id: h(1), code: 'BAD_CHUNK', message: 'chunk ab… does not match its hash' }
]

function expectBadFrame(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(ShoalError.is(err, 'BAD_FRAME')).toBe(true)
    return
  }
  throw new Error('expected BAD_FRAME')
}

describe('replication codecs', () => {
  it.each(messages.map((m) => [m.type, m] as const))('%s round-trips byte for byte', (_t, m) => {
    const bytes = encodeReplication(m)
    const back = decodeReplication(bytes)
    if (m.type === 'chunk' && back.type === 'chunk') {
      expect(Buffer.from(back.data).equals(Buffer.from(m.data))).toBe(true)
      expect(back.hash).toBe(m.hash)
    } else if (m.type === 'patch' && back.type === 'patch') {
      expect(back.hash).toBe(m.hash)
      expect(back.pieces.map((p) => ('literal' in p ? Buffer.from(p.literal).toString() : p))).toEqual(m.pieces.map((p) => ('literal' in p ? Buffer.from(p.literal).toString() : p)))
    } else expect(back).toEqual(m)
    expect(encodeReplication(back).equals(bytes)).toBe(true)
  })

  it('decodes a frame held in a plain Uint8Array exactly as one held in a Buffer', () => {
    const want: ReplicationMessage = { type: 'want', id: 'ef'.repeat(32), total: 3, hashes: ['01'.repeat(32), 'a9'.repeat(32)] }
    const bytes = encodeReplication(want)
    const plain = new Uint8Array(bytes.byteLength)
    plain.set(bytes)
    expect(decodeReplication(plain)).toEqual(want)
    expect(decodeReplication(bytes)).toEqual(want)
    // A view at an offset into a larger buffer, too.
    const padded = Buffer.concat([Buffer.alloc(7), bytes])
    expect(decodeReplication(padded.subarray(7))).toEqual(want)
  })

  it('a chunk frame sent in parts (head, then the bytes as they are) is the same frame', () => {
    for (const size of [0, 1, 127, 128, 16_384, 200_000]) {
      const data = Buffer.alloc(size, size % 251)
      const hash = 'cd'.repeat(32)
      const [head, body] = encodeChunkFrame(hash, data)
      expect(body).toBe(data) // not copied
      const joined = Buffer.concat([head, body])
      expect(joined.equals(encodeReplication({ type: 'chunk', hash, data }))).toBe(true)
      const back = decodeReplication(joined)
      expect(back.type === 'chunk' && back.hash === hash && Buffer.from(back.data).equals(data)).toBe(true)
    }
  })

  it('a manifest encoded by copying the entries it shares with the last one is the same bytes', () => {
    const file = (path: string, n: number) => ({ path, kind: 'file' as const, mode: 0o644, mtimeMs: 1000 + n, size: n * 10, chunks: Array.from({ length: n }, (_, k) => ((n * 7 + k) % 256).toString(16).padStart(2, '0').repeat(32)) })
    const old: Manifest = { entries: [{ path: 'd', kind: 'dir', mode: 0o755, mtimeMs: 1, size: 0 }, file('d/a', 1), file('d/b', 3), file('d/c', 0), file('e', 200)] }
    const prev = { manifest: old, ...encodeManifestBounded(old) }
    // Shared entries (the same objects), one changed, one removed, one added, one moved up.
    const next: Manifest = { entries: [old.entries[0]!, file('d/a', 2), old.entries[2]!, file('d/bb', 5), old.entries[4]!] }
    const reused = encodeManifestBounded(next, prev)
    const fresh = encodeManifestBounded(next)
    expect(reused.bytes.equals(fresh.bytes)).toBe(true)
    expect(reused.ends).toEqual(fresh.ends)
    expect(reused.bytes.equals(encodeManifest(next))).toBe(true)
    // An equal entry that is not the same object is encoded, with the same result.
    const copy: Manifest = { entries: next.entries.map((e) => ({ ...e })) }
    expect(encodeManifestBounded(copy, prev).bytes.equals(fresh.bytes)).toBe(true)
  })

  it('manifests and snapnodes round-trip byte for byte', () => {
    const mb = encodeManifest(manifest)
    expect(decodeManifest(mb)).toEqual(manifest)
    expect(encodeManifest(decodeManifest(mb)).equals(mb)).toBe(true)
    // Decoding also finds where the header and each entry end, as encoding reports them.
    const bounded = decodeManifestBounded(mb)
    expect(bounded.manifest).toEqual(manifest)
    expect(bounded.ends).toEqual(encodeManifestBounded(manifest).ends)
    expect(decodeManifestBounded(encodeManifest({ entries: [] })).ends).toEqual(encodeManifestBounded({ entries: [] }).ends)
    for (const n of [snapnode, rootSnapnode]) {
      const nb = encodeSnapnode(n)
      expect(decodeSnapnode(nb)).toEqual(n)
      expect(encodeSnapnode(decodeSnapnode(nb)).equals(nb)).toBe(true)
    }
  })

  it('refuses truncation, trailing bytes, unknown kinds and forged lengths', () => {
    const bytes = encodeReplication(messages[0]!)
    expectBadFrame(() => decodeReplication(bytes.subarray(0, bytes.length - 1)))
    expectBadFrame(() => decodeReplication(Buffer.concat([bytes, Buffer.from([0])])))
    expectBadFrame(() => decodeReplication(Buffer.from([99, 0])))
    // A want claiming 60 000 hashes in a 40-byte frame.
    expectBadFrame(() => decodeReplication(Buffer.concat([Buffer.from([2, 0]), Buffer.from(h(1), 'hex'), Buffer.from([0]), Buffer.from([0xfd, 0x60, 0xea, 0, 0])])))
    // A patch piece of an unknown kind, and one copying more than a chunk can hold.
    const patch = encodeReplication({ type: 'patch', hash: h(5), pieces: [{ base: h(11), offset: 0, length: 10 }] })
    const badKind = Buffer.from(patch)
    badKind[patch.length - 32 - 2 - 1] = 7
    expectBadFrame(() => decodeReplication(badKind))
    expectBadFrame(() => decodeReplication(encodeReplication({ type: 'patch', hash: h(5), pieces: [{ base: h(11), offset: 0, length: 5 * 1024 * 1024 }] })))
    // A manifest claiming millions of entries.
    expectBadFrame(() => decodeManifest(Buffer.from([0, 0xfe, 0xff, 0xff, 0x3f, 0])))
    expectBadFrame(() => decodeManifestBounded(Buffer.from([0, 0xfe, 0xff, 0xff, 0x3f, 0])))
    expectBadFrame(() => decodeManifestBounded(Buffer.concat([encodeManifest(manifest), Buffer.from([0])])))
  })

  it('fuzz: every decoder either decodes or throws BAD_FRAME, nothing else', () => {
    const decoders: Array<[(b: Uint8Array) => unknown, Buffer[]]> = [
      [decodeReplication, messages.map(encodeReplication)],
      [decodeManifest, [encodeManifest(manifest)]],
      [decodeManifestBounded, [encodeManifest(manifest)]],
      [decodeSnapnode, [encodeSnapnode(snapnode)]]
    ]
    let decoded = 0
    for (const [decode, seeds] of decoders) {
      for (let i = 0; i < 10_000; i++) {
        let buf: Buffer
        if (i % 2 === 0) buf = randomBytes(Math.floor(Math.random() * 200))
        else {
          // Mutate a valid frame: flip a few bytes and maybe cut it, so decoding goes deep.
          const seed = seeds[i % seeds.length]!
          buf = Buffer.from(seed)
          for (let k = 0; k < 1 + (i % 4); k++) if (buf.length) buf[Math.floor(Math.random() * buf.length)] = Math.floor(Math.random() * 256)
          if (i % 3 === 0) buf = buf.subarray(0, Math.floor(Math.random() * (buf.length + 1)))
        }
        try {
          decode(buf)
          decoded++
        } catch (err) {
          if (!ShoalError.is(err, 'BAD_FRAME')) throw new Error(`decoder threw ${String(err)} for ${buf.toString('hex')}`)
        }
      }
    }
    expect(decoded).toBeGreaterThan(0)
  })
})
