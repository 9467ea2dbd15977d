import c, { type Encoding } from 'compact-encoding'
import type { AppSpec, Placement, PlacementState, SnapshotHead } from '../core/app-types.js'
import type { AppDigestEntry } from '../core/app-table.js'
import { badFrame } from '../core/errors.js'
import { boundedArray, boundedString, nodeId } from './codec-util.js'

const name = boundedString(64)
const text = boundedString(4096)
const optionalId: Encoding<string> = {
  preencode(state, id) {
    c.bool.preencode(state, id !== '')
    if (id !== '') nodeId.preencode(state, id)
  },
  encode(state, id) {
    c.bool.encode(state, id !== '')
    if (id !== '') nodeId.encode(state, id)
  },
  decode(state) {
    return c.bool.decode(state) ? nodeId.decode(state) : ''
  }
}
const envEntry: Encoding<[string, string]> = {
  preencode(state, [k, v]) {
    c.string.preencode(state, k)
    c.string.preencode(state, v)
  },
  encode(state, [k, v]) {
    c.string.encode(state, k)
    c.string.encode(state, v)
  },
  decode(state) {
    return [boundedString(256).decode(state), text.decode(state)]
  }
}
const envList = boundedArray(envEntry, 256)
const hosts = boundedArray(boundedString(255), 64)
const POLICIES = ['', 'available', 'majority'] as const
const STATES: PlacementState[] = ['pending', 'running', 'moving', 'failing-over', 'stopped']

export const appSpec: Encoding<AppSpec> = {
  preencode(state, s) {
    c.uint.preencode(state, 0)
    name.preencode(state, s.name)
    text.preencode(state, s.cmd)
    envList.preencode(state, Object.entries(s.env))
    hosts.preencode(state, s.httpHosts)
    c.uint.preencode(state, s.tcpPort)
    c.uint.preencode(state, s.replicas)
    name.preencode(state, s.zone)
    optionalId.preencode(state, s.pin)
    name.preencode(state, s.health)
    c.uint8.preencode(state, 0)
    c.uint.preencode(state, s.createdAt)
    optionalId.preencode(state, s.seed)
    c.uint.preencode(state, s.hlc.wall)
    c.uint.preencode(state, s.hlc.logical)
    nodeId.preencode(state, s.writer)
    c.bool.preencode(state, s.deleted)
  },
  encode(state, s) {
    c.uint.encode(state, 0)
    name.encode(state, s.name)
    text.encode(state, s.cmd)
    envList.encode(state, Object.entries(s.env))
    hosts.encode(state, s.httpHosts)
    c.uint.encode(state, s.tcpPort)
    c.uint.encode(state, s.replicas)
    name.encode(state, s.zone)
    optionalId.encode(state, s.pin)
    name.encode(state, s.health)
    c.uint8.encode(state, POLICIES.indexOf(s.partitionPolicy))
    c.uint.encode(state, s.createdAt)
    optionalId.encode(state, s.seed)
    c.uint.encode(state, s.hlc.wall)
    c.uint.encode(state, s.hlc.logical)
    nodeId.encode(state, s.writer)
    c.bool.encode(state, s.deleted)
  },
  decode(state) {
    c.uint.decode(state)
    const n = name.decode(state)
    const cmd = text.decode(state)
    const env: Record<string, string> = Object.create(null)
    for (const [k, v] of envList.decode(state)) env[k] = v
    const httpHosts = hosts.decode(state)
    const tcpPort = c.uint.decode(state)
    const replicas = c.uint.decode(state)
    const zone = name.decode(state)
    const pin = optionalId.decode(state)
    const health = name.decode(state)
    const policy = POLICIES[c.uint8.decode(state)]
    if (policy === undefined) throw badFrame('unknown partition policy')
    if (tcpPort > 65535 || replicas > 64) throw badFrame('app spec out of range')
    const createdAt = c.uint.decode(state)
    const seed = optionalId.decode(state)
    const hlc = { wall: c.uint.decode(state), logical: c.uint.decode(state) }
    const writer = nodeId.decode(state)
    const deleted = c.bool.decode(state)
    return { name: n, cmd, env, httpHosts, tcpPort, replicas, zone, pin, health, partitionPolicy: policy, createdAt, seed, hlc, writer, deleted }
  }
}

const ids = boundedArray(nodeId, 64)

export const placement: Encoding<Placement> = {
  preencode(state, p) {
    c.uint.preencode(state, 0)
    name.preencode(state, p.app)
    c.uint.preencode(state, p.epoch)
    c.uint.preencode(state, p.rev)
    optionalId.preencode(state, p.master)
    ids.preencode(state, p.replicas)
    c.uint8.preencode(state, 0)
    c.uint.preencode(state, p.snapSeq)
  },
  encode(state, p) {
    c.uint.encode(state, 0)
    name.encode(state, p.app)
    c.uint.encode(state, p.epoch)
    c.uint.encode(state, p.rev)
    optionalId.encode(state, p.master)
    ids.encode(state, p.replicas)
    c.uint8.encode(state, STATES.indexOf(p.state))
    c.uint.encode(state, p.snapSeq)
  },
  decode(state) {
    c.uint.decode(state)
    const app = name.decode(state)
    const epoch = c.uint.decode(state)
    const rev = c.uint.decode(state)
    const master = optionalId.decode(state)
    const replicas = ids.decode(state)
    const st = STATES[c.uint8.decode(state)]
    if (st === undefined) throw badFrame('unknown placement state')
    const snapSeq = c.uint.decode(state)
    return { app, epoch, rev, master, replicas, state: st, snapSeq }
  }
}

export const appDigestEntry: Encoding<AppDigestEntry> = {
  preencode(state, e) {
    name.preencode(state, e.name)
    for (const n of [e.specWall, e.specLogical, e.epoch, e.rev, e.snapSeq]) c.uint.preencode(state, n)
    optionalId.preencode(state, e.specWriter)
    optionalId.preencode(state, e.master)
  },
  encode(state, e) {
    name.encode(state, e.name)
    for (const n of [e.specWall, e.specLogical, e.epoch, e.rev, e.snapSeq]) c.uint.encode(state, n)
    optionalId.encode(state, e.specWriter)
    optionalId.encode(state, e.master)
  },
  decode(state) {
    const n = name.decode(state)
    const [specWall, specLogical, epoch, rev, snapSeq] = Array.from({ length: 5 }, () => c.uint.decode(state))
    const specWriter = optionalId.decode(state)
    const master = optionalId.decode(state)
    return { name: n, specWall, specLogical, specWriter, epoch, rev, master, snapSeq }
  }
}

const hex64: Encoding<string> = nodeId

export const snapshotHeadEntry: Encoding<[string, SnapshotHead]> = {
  preencode(state, [app, h]) {
    name.preencode(state, app)
    hex64.preencode(state, h.id)
    c.uint.preencode(state, h.seq)
    c.uint.preencode(state, h.epoch)
    c.uint.preencode(state, h.time)
  },
  encode(state, [app, h]) {
    name.encode(state, app)
    hex64.encode(state, h.id)
    c.uint.encode(state, h.seq)
    c.uint.encode(state, h.epoch)
    c.uint.encode(state, h.time)
  },
  decode(state) {
    const app = name.decode(state)
    return [app, { id: hex64.decode(state), seq: c.uint.decode(state), epoch: c.uint.decode(state), time: c.uint.decode(state) }]
  }
}
