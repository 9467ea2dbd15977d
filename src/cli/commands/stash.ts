import { resolve } from 'node:path'
import { createInterface } from 'node:readline/promises'
import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import { home, homeOption, jsonOption, parse } from '../args.js'
import { table } from '../table.js'
import { formatBytes } from './move.js'

export const summary = 'stash ls | checkout ID DIR | drop ID [--yes]: writes kept from a master that lost a failover'

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'ls':
    case 'list':
      return list(rest)
    case 'checkout':
      return checkout(rest)
    case 'drop':
      return drop(rest)
    default:
      throw new ShoalError('BAD_ARGUMENT', `shoal stash takes ls, checkout or drop${sub ? `, not "${sub}"` : ''}`)
  }
}

async function list(argv: string[]): Promise<number> {
  const { values } = parse(argv, { ...homeOption, ...jsonOption })
  const client = await ControlClient.connect(home(values))
  try {
    const res = await client.stashes()
    if (values.json) {
      console.log(JSON.stringify(res))
      return 0
    }
    const rows = res.stashes.map((s) => [s.id, s.app, s.node, new Date(s.time).toISOString().replace('T', ' ').slice(0, 19), String(s.snapshots), formatBytes(s.bytes)])
    console.log(rows.length === 0 ? 'no stashes: no master has lost writes to a failover' : table(['STASH', 'APP', 'NODE', 'MADE (UTC)', 'SNAPSHOTS', 'SIZE'], rows))
    if (res.unreachable.length > 0) console.error(`shoal: not listed: ${res.unreachable.join(', ')} did not answer`)
    return 0
  } finally {
    client.close()
  }
}

async function checkout(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption }, 2)
  const [id, dir] = positionals
  if (id === undefined || dir === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal stash checkout needs ID and DIR')
  const client = await ControlClient.connect(home(values))
  try {
    const res = await client.checkoutStash(id, resolve(dir))
    console.log(values.json ? JSON.stringify(res) : `stash ${res.id} (snapshot ${res.snapshot.slice(0, 16)}) is in ${res.dir}`)
    return 0
  } finally {
    client.close()
  }
}

async function drop(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption, yes: { type: 'boolean', short: 'y', default: false } }, 1)
  const [id] = positionals
  if (id === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal stash drop needs an ID (see: shoal stash ls)')
  const client = await ControlClient.connect(home(values))
  try {
    const found = (await client.stashes()).stashes.find((s) => s.id === id)
    if (found === undefined) throw new ShoalError('NOT_FOUND', `no stash called ${id} (see: shoal stash ls)`)
    if (!values.yes) {
      if (!process.stdin.isTTY) throw new ShoalError('BAD_ARGUMENT', `dropping stash ${id} cannot be undone: add --yes to confirm without a terminal`)
      const rl = createInterface({ input: process.stdin, output: process.stderr })
      const answer = await rl.question(`Drop stash ${id} (${found.snapshots} snapshot${found.snapshots === 1 ? '' : 's'} of ${found.app} on ${found.node})? Its writes can then be pruned. [y/N] `)
      rl.close()
      if (!/^y(es)?$/i.test(answer.trim())) {
        console.error('shoal: kept')
        return 1
      }
    }
    const dropped = await client.dropStash(id)
    console.log(values.json ? JSON.stringify({ ok: true, ...dropped }) : `dropped stash ${dropped.id} on ${dropped.node}`)
    return 0
  } finally {
    client.close()
  }
}
