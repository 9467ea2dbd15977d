import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { shoal, startCluster, type NodeProc } from '../helpers/processes.js'
import { waitFor } from '../helpers/wait.js'

const COUNTER = fileURLToPath(new URL('../../examples/http-counter/server.mjs', import.meta.url))

let cluster: Awaited<ReturnType<typeof startCluster>> | null = null
let a: NodeProc

interface AppSeen {
  state: string
  epoch: number
  master: string
  replicas: Array<{ node: string; lagMs: number | null }>
}

async function ok(args: string[]): Promise<string> {
  const r = await shoal([...args, '--home', a.home])
  if (r.code !== 0 || r.stderr !== '') throw new Error(`shoal ${args.join(' ')} (exit ${r.code}): ${r.stderr}${r.stdout}`)
  return r.stdout
}

const counter = async (): Promise<AppSeen | undefined> => JSON.parse(await ok(['apps', '--json'])).apps.find((x: { name: string }) => x.name === 'counter')

/** No JSON, no bare step names: every line reads as a sentence. */
function expectSentences(out: string): string[] {
  const lines = out.trim().split('\n')
  for (const line of lines) {
    expect(line, 'no raw JSON').not.toMatch(/[{}"]/)
    expect(line, 'not a bare step name').not.toMatch(/^[\w-]+$/)
  }
  return lines
}

beforeAll(async () => {
  cluster = await startCluster()
  a = cluster.start('a')
  const b = cluster.start('b', ['--port-offset', '10'])
  for (const n of [a, b]) await cluster.waitAlive(n, ['a', 'b'])
  await ok(['app', 'add', 'counter', '--json', '--cmd', `node ${COUNTER}`, '--http-host', 'counter.test', '--health', 'http:/health', '--replicas', '1'])
  await waitFor(async () => (await counter())?.state === 'running', 'counter running', 20_000)
}, 60_000)

afterAll(async () => {
  await cluster?.close()
  cluster = null
})

// One cluster, in order: scale to two copies, move, move again, pin.
describe('what move, pin and app scale print for a person', () => {
  it('app scale says what changed, not the table from before the change', async () => {
    expect((await counter())!.replicas).toHaveLength(0)
    expect((await ok(['app', 'scale', 'counter', '2'])).trim()).toBe('counter: 2 copies (was 1); placement follows within seconds (see: shoal apps)')
    await waitFor(async () => (await counter())?.replicas[0]?.lagMs === 0, 'the new replica to catch up', 30_000)
    expect((await ok(['app', 'scale', 'counter', '2'])).trim()).toBe('counter: 2 copies (unchanged)')
  })

  it('a move prints one plain sentence per step', async () => {
    const before = (await counter())!
    const to = before.replicas[0]!.node
    const lines = expectSentences(await ok(['move', 'counter', to]))
    expect(lines[0]).toBe(`moving counter from ${before.master} to ${to}`)
    expect(lines).toContain(`${to} laid out the data ahead of the pause`)
    expect(lines.at(-1)).toBe(`done: paused ${/paused (\d+) ms/.exec(lines.at(-1)!)?.[1]} ms, epoch ${before.epoch + 1}`)
    expect((await counter())!.master).toBe(to)
  })

  it('a move to where the app already is says so in one line, exit 0; --json keeps the result object', async () => {
    const now = (await counter())!
    expect((await ok(['move', 'counter', now.master])).trim()).toBe(`counter is already on ${now.master} (epoch ${now.epoch}): nothing to move`)
    expect(JSON.parse(await ok(['move', 'counter', now.master, '--json']))).toEqual({ ok: true, app: 'counter', from: now.master, to: now.master, epoch: now.epoch, pauseMs: 0, finalDeltaBytes: 0 })
  })

  it('a pin prints sentences too, and says when the app is already there', async () => {
    const before = (await counter())!
    const other = before.replicas[0]!.node
    const lines = expectSentences(await ok(['pin', 'counter', other]))
    expect(lines[0]).toBe(`pinned to ${other}`)
    expect(lines.at(-1)).toMatch(/^done: paused \d+ ms/)
    const again = expectSentences(await ok(['pin', 'counter', other]))
    expect(again).toEqual([`pinned to ${other}`, `counter is already on ${other} (epoch ${before.epoch + 1}): nothing to move`])
  })
})
