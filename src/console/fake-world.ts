/**
 * What the simulated cluster (fake-source.ts) is made of: its nodes and apps, their names and
 * ids, and the repeatable pseudo-random walk their load follows.
 */
import type { AppStatus, NodeStatus } from '../control/types.js'
import type { SnapshotInfo } from './source.js'

const APP_WORDS = ['web', 'api', 'db', 'cache', 'queue', 'auth', 'search', 'mail', 'billing', 'metrics', 'chat', 'files']

export interface FakeNode {
  id: string
  name: string
  zone: string
  status: NodeStatus['status']
  cpu: number
  mem: number
  rttMs: number
}

export interface FakeApp {
  name: string
  state: AppStatus['state']
  epoch: number
  master: string
  replicas: string[]
  pinned: string | null
  rps: number
  snapshots: SnapshotInfo[]
  logs: string[]
  seq: number
}

export function appName(i: number, count: number): string {
  const word = APP_WORDS[i % APP_WORDS.length]!
  return count <= APP_WORDS.length ? word : `${word}-${Math.floor(i / APP_WORDS.length) + 1}`
}

export function hexId(i: number): string {
  return ((i + 1) * 2654435761 >>> 0).toString(16).padStart(8, '0') + (i * 40503 >>> 0).toString(16).padStart(8, '0')
}

export function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}

/** mulberry32: small, fast, good enough for a wandering load. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
