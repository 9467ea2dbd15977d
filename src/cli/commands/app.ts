import { ShoalError } from '../../core/errors.js'
import { ControlClient } from '../../control/client.js'
import type { AppStatus } from '../../control/types.js'
import { home, homeOption, jsonOption, parse, parsePort } from '../args.js'
import { appRows } from './apps.js'

export const summary = 'add, remove or scale an app: app add NAME --cmd CMD … | app rm NAME | app scale NAME N'

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  switch (sub) {
    case 'add':
      return add(rest)
    case 'rm':
      return remove(rest)
    case 'scale':
      return scale(rest)
    default:
      throw new ShoalError('BAD_ARGUMENT', `shoal app takes add, rm or scale${sub ? `, not "${sub}"` : ''}`)
  }
}

async function add(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...homeOption,
      ...jsonOption,
      cmd: { type: 'string' },
      data: { type: 'string' },
      'http-host': { type: 'string', multiple: true },
      'tcp-port': { type: 'string' },
      replicas: { type: 'string' },
      zone: { type: 'string' },
      pin: { type: 'string' },
      health: { type: 'string' },
      env: { type: 'string', multiple: true },
      'partition-policy': { type: 'string' }
    },
    1
  )
  const name = positionals[0]
  if (name === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal app add needs a NAME')
  if (values.cmd === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal app add needs --cmd "COMMAND"')
  const env: Record<string, string> = {}
  for (const kv of values.env ?? []) {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new ShoalError('BAD_ARGUMENT', `--env takes K=V, got "${kv}"`)
    env[kv.slice(0, eq)] = kv.slice(eq + 1)
  }
  const replicas = values.replicas === undefined ? undefined : Number(values.replicas)
  if (replicas !== undefined && !Number.isInteger(replicas)) throw new ShoalError('BAD_ARGUMENT', `--replicas takes a whole number, got "${values.replicas}"`)
  const client = await ControlClient.connect(home(values))
  try {
    const status = await client.addApp({
      name,
      cmd: values.cmd,
      data: values.data,
      httpHosts: values['http-host'] ?? [],
      tcpPort: parsePort(values['tcp-port'], '--tcp-port', 0),
      replicas,
      zone: values.zone,
      pin: values.pin,
      health: values.health,
      env,
      partitionPolicy: values['partition-policy']
    })
    console.log(values.json ? JSON.stringify(status) : `added ${name}\n${appRows([status])}`)
    return 0
  } finally {
    client.close()
  }
}

async function remove(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption }, 1)
  if (positionals[0] === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal app rm needs a NAME')
  const client = await ControlClient.connect(home(values))
  try {
    await client.removeApp(positionals[0])
    console.log(`removed ${positionals[0]} (its snapshots stay on disk until collected)`)
    return 0
  } finally {
    client.close()
  }
}

async function scale(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...homeOption, ...jsonOption }, 2)
  const [name, n] = positionals
  if (name === undefined || n === undefined || !/^\d+$/.test(n)) throw new ShoalError('BAD_ARGUMENT', 'shoal app scale needs NAME and a number of copies')
  const copies = Number(n)
  const client = await ControlClient.connect(home(values))
  try {
    const before = (await client.apps()).apps.find((a) => a.name === name)
    const status = await client.scaleApp(name, copies)
    // The status comes back before the master has placed (or dropped) a copy: a table of it
    // would show the old count, so say what changed instead.
    console.log(values.json ? JSON.stringify(status) : scaledLine(name, copies, before === undefined ? null : copiesOf(before)))
    return 0
  } finally {
    client.close()
  }
}

/** The master counts as a copy, as `--replicas` and `app scale` count them. */
function copiesOf(a: AppStatus): number {
  return (a.masterId === null ? 0 : 1) + a.replicas.length
}

function scaledLine(name: string, copies: number, was: number | null): string {
  const count = (k: number) => `${k} ${k === 1 ? 'copy' : 'copies'}`
  if (was === copies) return `${name}: ${count(copies)} (unchanged)`
  return `${name}: ${count(copies)}${was === null ? '' : ` (was ${was})`}; placement follows within seconds (see: shoal apps)`
}
