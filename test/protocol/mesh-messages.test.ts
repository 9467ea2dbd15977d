import { describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ShoalError } from '../../src/core/errors.js'
import { decodeMesh, encodeMesh, MAX_TROUBLE_CHARS, type MeshMessage } from '../../src/protocol/mesh-messages.js'
import { decodeHello, encodeHello } from '../../src/protocol/admission-messages.js'
import { record } from '../helpers/sim-cluster.js'

const ID = 'ab'.repeat(32)
const full = {
  ...record(ID, 'node-1'),
  incarnation: 1_700_000_000,
  seq: 42,
  zone: 'eu-1',
  addresses: ['10.0.0.1', '127.0.0.1'],
  httpPort: 8080,
  portOffset: 100,
  capacity: 2.5,
  load: { cpu: 0.25, mem: 0.5, rss: 50_000_000, apps: { web: { rps: 10.5, bytesPerSec: 1000, connections: 3, p50Ms: 1.5, p99Ms: 9, cpu: 0.1 } } },
  startedAt: 1_732_000_000_000,
  heads: { web: { id: 'ef'.repeat(32), seq: 12, epoch: 3, time: 1_732_000_000_500 } }
}

const samples: MeshMessage[] = [
  { type: 'ping', seq: 1 },
  { type: 'ack', seq: 2 ** 40 },
  { type: 'pingReq', seq: 7, target: ID },
  { type: 'indirectAck', seq: 7, target: ID },
  {
    type: 'updates',
    records: [full],
    claims: [{ id: ID, incarnation: 3, status: 'suspect', by: 'cd'.repeat(32) }],
    specs: [
      {
        name: 'web',
        cmd: 'node server.js',
        env: { A: '1' },
        httpHosts: ['web.example'],
        tcpPort: 7000,
        replicas: 2,
        zone: 'a',
        pin: '',
        health: 'http:/health',
        partitionPolicy: 'majority',
        createdAt: 5,
        seed: '12'.repeat(32),
        hlc: { wall: 1_732_000_000_000, logical: 3 },
        writer: ID,
        deleted: false
      }
    ],
    placements: [{ app: 'web', epoch: 4, rev: 2, master: ID, replicas: ['cd'.repeat(32)], state: 'running', snapSeq: 9 }]
  },
  { type: 'digestHash', hash: Buffer.alloc(32, 9) },
  {
    type: 'digest',
    reply: true,
    entries: [{ id: ID, incarnation: 1, seq: 2, claimIncarnation: 0, claimRank: 0 }],
    apps: [{ name: 'web', specWall: 1, specLogical: 0, specWriter: ID, epoch: 2, rev: 0, master: '', snapSeq: 0 }]
  },
  { type: 'leave', claim: { id: ID, incarnation: 5, status: 'left', by: ID } }
]

describe('mesh codecs', () => {
  it.each(samples.map((m) => [m.type, m] as const))('%s round-trips byte-exact', (_, m) => {
    const bytes = encodeMesh(m)
    const back = decodeMesh(bytes)
    expect(back).toEqual(m)
    expect(encodeMesh(back)).toEqual(bytes)
  })

  it('refuses trailing bytes, truncation and unknown kinds with BAD_FRAME', () => {
    const bytes = encodeMesh(samples[4]!)
    for (const bad of [Buffer.concat([bytes, Buffer.from([0])]), bytes.subarray(0, bytes.length - 1), Buffer.from([200, 1])]) {
      expect(() => decodeMesh(bad)).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
    }
  })

  it('refuses non-finite load figures and absurd array lengths', () => {
    const bytes = Buffer.from(encodeMesh({ type: 'updates', records: [{ ...full, capacity: 1 }], claims: [], specs: [], placements: [] }))
    const capAt = bytes.indexOf(Buffer.from(new Float64Array([1]).buffer))
    bytes.set(Buffer.from(new Float64Array([NaN]).buffer), capAt)
    expect(() => decodeMesh(bytes)).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
    expect(() => decodeMesh(Buffer.from([5, 0xfe, 0xff, 0xff, 0xff, 0x7f]))).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
  })

  it('a record with a data port keeps it, next to one without, in the same update', () => {
    const withPort = { ...full, dataPort: 7946 }
    const other = { ...full, id: 'cd'.repeat(32), name: 'node-2' }
    const back = decodeMesh(encodeMesh({ type: 'updates', records: [withPort, other], claims: [], specs: [], placements: [] }))
    expect(back.type === 'updates' && back.records).toEqual([withPort, other])
    expect(back.type === 'updates' && 'dataPort' in back.records[1]!).toBe(false)
    const bad = Buffer.from(encodeMesh({ type: 'updates', records: [{ ...full, dataPort: 70_000 }], claims: [], specs: [], placements: [] }))
    expect(() => decodeMesh(bad)).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }))
  })

  it('a record carries its apps’ troubles, with or without a data port, and a long sentence is cut', () => {
    const troubled = { ...full, troubles: { shop: 'crash-looping: 5 crashes within 60 s; next try in 30 s' } }
    const both = { ...full, id: 'cd'.repeat(32), dataPort: 7946, troubles: { shop: 'x'.repeat(400) } }
    const back = decodeMesh(encodeMesh({ type: 'updates', records: [troubled, both, full], claims: [], specs: [], placements: [] }))
    if (back.type !== 'updates') throw new Error('expected updates')
    expect(back.records[0]).toEqual(troubled)
    expect(back.records[1]!.dataPort).toBe(7946)
    expect(back.records[1]!.troubles).toEqual({ shop: 'x'.repeat(MAX_TROUBLE_CHARS) })
    expect('troubles' in back.records[2]!).toBe(false)
  })

  it('admission hello round-trips', () => {
    const m = { version: 1, proof: Buffer.alloc(32, 5), software: '0.1.0' }
    expect(decodeHello(encodeHello(m))).toEqual(m)
  })
})

/** Every decoder either decodes or throws ShoalError BAD_FRAME: never anything else. */
function fuzz(decode: (b: Uint8Array) => unknown, seeds: Buffer[], cases = 10_000): { decoded: number; refused: number } {
  let decoded = 0
  let refused = 0
  for (let i = 0; i < cases; i++) {
    let buf: Buffer
    if (i % 2 === 0) {
      buf = randomBytes(Math.floor(Math.random() * 200))
      if (i % 4 === 0 && buf.length > 0) buf[0] = 1 + (i % 8)
    } else {
      // mutate a valid frame: flip bytes, cut or extend it
      const seed = Buffer.from(seeds[i % seeds.length]!)
      for (let k = 0; k < 1 + (i % 4); k++) seed[Math.floor(Math.random() * seed.length)] = Math.floor(Math.random() * 256)
      buf = i % 3 === 0 ? seed.subarray(0, Math.floor(Math.random() * seed.length)) : seed
    }
    try {
      decode(buf)
      decoded++
    } catch (err) {
      if (!(err instanceof ShoalError) || err.code !== 'BAD_FRAME') throw new Error(`decoder threw ${String(err)} on ${buf.toString('hex')}`)
      refused++
    }
  }
  return { decoded, refused }
}

describe('fuzzing the decoders', () => {
  it('mesh frames: 10 000 random and mutated frames', () => {
    const r = fuzz(decodeMesh, samples.map(encodeMesh))
    expect(r.decoded + r.refused).toBe(10_000)
    expect(r.refused).toBeGreaterThan(0)
    expect(r.decoded).toBeGreaterThan(0)
  })

  it('admission hellos: 10 000 random and mutated frames', () => {
    const r = fuzz(decodeHello, [encodeHello({ version: 1, proof: Buffer.alloc(32, 1), software: 'x' })])
    expect(r.decoded + r.refused).toBe(10_000)
    expect(r.refused).toBeGreaterThan(0)
  })
})
