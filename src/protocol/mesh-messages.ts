import c, { type Encoding } from 'compact-encoding'
import type { AppLoad, NodeLoad, NodeRecord, StatusClaim } from '../core/types.js'
import type { DigestEntry } from '../core/member-table.js'
import type { AppSpec, Placement } from '../core/app-types.js'
import type { AppDigestEntry } from '../core/app-table.js'
import { appDigestEntry, appSpec, placement, snapshotHeadEntry } from './app-messages.js'
import { badFrame } from '../core/errors.js'
import { boundedArray, boundedString, decodeExact, encodeExact, finite, nodeId } from './codec-util.js'

/** Frame kinds on the mesh channel. Values are stable; new kinds are appended. */
export const MESH = {
  ping: 1,
  ack: 2,
  pingReq: 3,
  indirectAck: 4,
  updates: 5,
  digestHash: 6,
  digest: 7,
  leave: 8
} as const

export type MeshMessage =
  | { type: 'ping'; seq: number }
  | { type: 'ack'; seq: number }
  /** Asks the receiver to probe `target` and answer with an indirectAck carrying `seq`. */
  | { type: 'pingReq'; seq: number; target: string }
  | { type: 'indirectAck'; seq: number; target: string }
  | { type: 'updates'; records: NodeRecord[]; claims: StatusClaim[]; specs: AppSpec[]; placements: Placement[] }
  | { type: 'digestHash'; hash: Buffer }
  /** `reply`: the receiver should answer with its own digest so both sides converge. */
  | { type: 'digest'; reply: boolean; entries: DigestEntry[]; apps: AppDigestEntry[] }
  /** Sent by a node that leaves gracefully, just before it closes its connections. */
  | { type: 'leave'; claim: StatusClaim }

const MAX_MEMBERS = 100_000
const MAX_APPS = 10_000

const appLoadEntry: Encoding<[string, AppLoad]> = {
  preencode(state, [name, l]) {
    c.string.preencode(state, name)
    for (const n of [l.rps, l.bytesPerSec, l.connections, l.p50Ms, l.p99Ms, l.cpu]) finite.preencode(state, n)
  },
  encode(state, [name, l]) {
    c.string.encode(state, name)
    for (const n of [l.rps, l.bytesPerSec, l.connections, l.p50Ms, l.p99Ms, l.cpu]) finite.encode(state, n)
  },
  decode(state) {
    const name = boundedString(64).decode(state)
    const [rps, bytesPerSec, connections, p50Ms, p99Ms, cpu] = Array.from({ length: 6 }, () => finite.decode(state))
    return [name, { rps, bytesPerSec, connections, p50Ms, p99Ms, cpu }]
  }
}
const appLoads = boundedArray(appLoadEntry, MAX_APPS)

const nodeLoad: Encoding<NodeLoad> = {
  preencode(state, l) {
    finite.preencode(state, l.cpu)
    finite.preencode(state, l.mem)
    c.uint.preencode(state, l.rss)
    appLoads.preencode(state, Object.entries(l.apps))
  },
  encode(state, l) {
    finite.encode(state, l.cpu)
    finite.encode(state, l.mem)
    c.uint.encode(state, l.rss)
    appLoads.encode(state, Object.entries(l.apps))
  },
  decode(state) {
    const cpu = finite.decode(state)
    const mem = finite.decode(state)
    const rss = c.uint.decode(state)
    const apps: Record<string, AppLoad> = Object.create(null)
    for (const [name, l] of appLoads.decode(state)) apps[name] = l
    return { cpu, mem, rss, apps }
  }
}

const heads = boundedArray(snapshotHeadEntry, MAX_APPS)
const shortString = boundedString(255)
const addresses = boundedArray(shortString, 16)

/** Flag bits of a node record: which optional fields are appended, in this order. */
const RECORD_HAS_DATA_PORT = 1
const RECORD_HAS_TROUBLES = 2
/** A trouble's sentence is cut to this many characters. */
export const MAX_TROUBLE_CHARS = 300
const troubleEntry: Encoding<[string, string]> = {
  preencode(state, [app, text]) {
    c.string.preencode(state, app)
    c.string.preencode(state, text.slice(0, MAX_TROUBLE_CHARS))
  },
  encode(state, [app, text]) {
    c.string.encode(state, app)
    c.string.encode(state, text.slice(0, MAX_TROUBLE_CHARS))
  },
  decode(state) {
    return [boundedString(64).decode(state), boundedString(MAX_TROUBLE_CHARS).decode(state)]
  }
}
const troubles = boundedArray(troubleEntry, MAX_APPS)
const hasTroubles = (r: NodeRecord) => r.troubles !== undefined && Object.keys(r.troubles).length > 0
const recordFlags = (r: NodeRecord) => (r.dataPort ? RECORD_HAS_DATA_PORT : 0) | (hasTroubles(r) ? RECORD_HAS_TROUBLES : 0)
/** The optional fields whose flags are set, in flag order (a decoder that knows fewer stops early). */
function recordExtensions(r: NodeRecord): Buffer {
  const parts: Buffer[] = []
  if (r.dataPort) parts.push(c.encode(c.uint, r.dataPort))
  if (hasTroubles(r)) parts.push(c.encode(troubles, Object.entries(r.troubles!)))
  return Buffer.concat(parts)
}

export const nodeRecord: Encoding<NodeRecord> = {
  preencode(state, r) {
    c.uint.preencode(state, recordFlags(r)) // which optional fields follow the others
    nodeId.preencode(state, r.id)
    c.uint.preencode(state, r.incarnation)
    c.uint.preencode(state, r.seq)
    shortString.preencode(state, r.name)
    shortString.preencode(state, r.zone)
    addresses.preencode(state, r.addresses)
    c.uint.preencode(state, r.httpPort)
    c.uint.preencode(state, r.portOffset)
    finite.preencode(state, r.capacity)
    nodeLoad.preencode(state, r.load)
    shortString.preencode(state, r.version)
    c.uint.preencode(state, r.startedAt)
    heads.preencode(state, Object.entries(r.heads))
    if (recordFlags(r) !== 0) c.buffer.preencode(state, recordExtensions(r))
  },
  encode(state, r) {
    c.uint.encode(state, recordFlags(r))
    nodeId.encode(state, r.id)
    c.uint.encode(state, r.incarnation)
    c.uint.encode(state, r.seq)
    shortString.encode(state, r.name)
    shortString.encode(state, r.zone)
    addresses.encode(state, r.addresses)
    c.uint.encode(state, r.httpPort)
    c.uint.encode(state, r.portOffset)
    finite.encode(state, r.capacity)
    nodeLoad.encode(state, r.load)
    shortString.encode(state, r.version)
    c.uint.encode(state, r.startedAt)
    heads.encode(state, Object.entries(r.heads))
    if (recordFlags(r) !== 0) c.buffer.encode(state, recordExtensions(r))
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const id = nodeId.decode(state)
    const incarnation = c.uint.decode(state)
    const seq = c.uint.decode(state)
    const name = shortString.decode(state)
    const zone = shortString.decode(state)
    const addrs = addresses.decode(state)
    const httpPort = c.uint.decode(state)
    const portOffset = c.uint.decode(state)
    const capacity = finite.decode(state)
    const load = nodeLoad.decode(state)
    const version = shortString.decode(state)
    const startedAt = c.uint.decode(state)
    const h: NodeRecord['heads'] = Object.create(null)
    for (const [app, head] of heads.decode(state)) h[app] = head
    // Optional fields come in one length-prefixed block, so a decoder skips those it does not know.
    let dataPort = 0
    let troubleList: Array<[string, string]> = []
    if (flags !== 0) {
      const ext = c.buffer.decode(state)
      if (ext === null) throw badFrame('record extensions missing')
      const inner = { start: 0, end: ext.byteLength, buffer: ext }
      if (flags & RECORD_HAS_DATA_PORT) dataPort = c.uint.decode(inner)
      if (flags & RECORD_HAS_TROUBLES) troubleList = troubles.decode(inner)
    }
    if (httpPort > 65535 || portOffset > 65535 || dataPort > 65535) throw badFrame('port out of range')
    const record: NodeRecord = { id, incarnation, seq, name, zone, addresses: addrs, httpPort, portOffset, capacity, load, version, startedAt, heads: h }
    if (dataPort > 0) record.dataPort = dataPort
    if (troubleList.length > 0) {
      const t: Record<string, string> = Object.create(null)
      for (const [app, text] of troubleList) t[app] = text
      record.troubles = t
    }
    return record
  }
}

const CLAIM_STATUS = ['suspect', 'dead', 'left'] as const

export const statusClaim: Encoding<StatusClaim> = {
  preencode(state, cl) {
    nodeId.preencode(state, cl.id)
    c.uint.preencode(state, cl.incarnation)
    c.uint8.preencode(state, 0)
    nodeId.preencode(state, cl.by)
  },
  encode(state, cl) {
    nodeId.encode(state, cl.id)
    c.uint.encode(state, cl.incarnation)
    c.uint8.encode(state, CLAIM_STATUS.indexOf(cl.status))
    nodeId.encode(state, cl.by)
  },
  decode(state) {
    const id = nodeId.decode(state)
    const incarnation = c.uint.decode(state)
    const s = c.uint8.decode(state)
    const status = CLAIM_STATUS[s]
    if (status === undefined) throw badFrame(`unknown member status ${s}`)
    const by = nodeId.decode(state)
    return { id, incarnation, status, by }
  }
}

export const digestEntry: Encoding<DigestEntry> = {
  preencode(state, e) {
    nodeId.preencode(state, e.id)
    c.uint.preencode(state, e.incarnation)
    c.uint.preencode(state, e.seq)
    c.uint.preencode(state, e.claimIncarnation)
    c.uint8.preencode(state, e.claimRank)
  },
  encode(state, e) {
    nodeId.encode(state, e.id)
    c.uint.encode(state, e.incarnation)
    c.uint.encode(state, e.seq)
    c.uint.encode(state, e.claimIncarnation)
    c.uint8.encode(state, e.claimRank)
  },
  decode(state) {
    const id = nodeId.decode(state)
    const incarnation = c.uint.decode(state)
    const seq = c.uint.decode(state)
    const claimIncarnation = c.uint.decode(state)
    const claimRank = c.uint8.decode(state)
    if (claimRank > 3) throw badFrame('bad claim rank')
    return { id, incarnation, seq, claimIncarnation, claimRank }
  }
}

const records = boundedArray(nodeRecord, MAX_MEMBERS)
const claims = boundedArray(statusClaim, MAX_MEMBERS)
const entries = boundedArray(digestEntry, MAX_MEMBERS)
const specs = boundedArray(appSpec, MAX_APPS)
const placements = boundedArray(placement, MAX_APPS)
const appEntries = boundedArray(appDigestEntry, MAX_APPS)

export const meshMessage: Encoding<MeshMessage> = {
  preencode(state, m) {
    state.end += 1
    switch (m.type) {
      case 'ping':
      case 'ack':
        return c.uint.preencode(state, m.seq)
      case 'pingReq':
      case 'indirectAck':
        c.uint.preencode(state, m.seq)
        return nodeId.preencode(state, m.target)
      case 'updates':
        records.preencode(state, m.records)
        claims.preencode(state, m.claims)
        specs.preencode(state, m.specs)
        return placements.preencode(state, m.placements)
      case 'digestHash':
        return c.fixed32.preencode(state, m.hash)
      case 'digest':
        c.bool.preencode(state, m.reply)
        entries.preencode(state, m.entries)
        return appEntries.preencode(state, m.apps)
      case 'leave':
        return statusClaim.preencode(state, m.claim)
    }
  },
  encode(state, m) {
    c.uint8.encode(state, MESH[m.type])
    switch (m.type) {
      case 'ping':
      case 'ack':
        return c.uint.encode(state, m.seq)
      case 'pingReq':
      case 'indirectAck':
        c.uint.encode(state, m.seq)
        return nodeId.encode(state, m.target)
      case 'updates':
        records.encode(state, m.records)
        claims.encode(state, m.claims)
        specs.encode(state, m.specs)
        return placements.encode(state, m.placements)
      case 'digestHash':
        return c.fixed32.encode(state, m.hash)
      case 'digest':
        c.bool.encode(state, m.reply)
        entries.encode(state, m.entries)
        return appEntries.encode(state, m.apps)
      case 'leave':
        return statusClaim.encode(state, m.claim)
    }
  },
  decode(state) {
    const kind = c.uint8.decode(state)
    switch (kind) {
      case MESH.ping:
        return { type: 'ping', seq: c.uint.decode(state) }
      case MESH.ack:
        return { type: 'ack', seq: c.uint.decode(state) }
      case MESH.pingReq:
        return { type: 'pingReq', seq: c.uint.decode(state), target: nodeId.decode(state) }
      case MESH.indirectAck:
        return { type: 'indirectAck', seq: c.uint.decode(state), target: nodeId.decode(state) }
      case MESH.updates:
        return { type: 'updates', records: records.decode(state), claims: claims.decode(state), specs: specs.decode(state), placements: placements.decode(state) }
      case MESH.digestHash:
        return { type: 'digestHash', hash: c.fixed32.decode(state) }
      case MESH.digest:
        return { type: 'digest', reply: c.bool.decode(state), entries: entries.decode(state), apps: appEntries.decode(state) }
      case MESH.leave:
        return { type: 'leave', claim: statusClaim.decode(state) }
      default:
        throw badFrame(`unknown mesh frame kind ${kind}`)
    }
  }
}

export const encodeMesh = (m: MeshMessage): Buffer => encodeExact(meshMessage, m)
export const decodeMesh = (buf: Uint8Array): MeshMessage => decodeExact(meshMessage, buf)
