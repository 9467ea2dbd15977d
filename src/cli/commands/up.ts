import { ShoalError } from '../../core/errors.js'
import type { ClusterEvent } from '../../control/types.js'
import { ShoalNode } from '../../node/shoal-node.js'
import { home, homeOption, parse, parseAddresses, parseHostPorts, parsePort, parsePositiveNumber } from '../args.js'
import { clockTime } from '../table.js'

export const summary = 'run a node in the foreground'

/** A node's name: one word an operator can type after `shoal move APP`. */
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    ...homeOption,
    cluster: { type: 'string' },
    name: { type: 'string' },
    zone: { type: 'string' },
    bootstrap: { type: 'string' },
    host: { type: 'string' },
    advertise: { type: 'string' },
    'http-port': { type: 'string' },
    'data-port': { type: 'string' },
    'no-data-port': { type: 'boolean', default: false },
    'replication-limit': { type: 'string' },
    'port-offset': { type: 'string' },
    capacity: { type: 'string' },
    'ssh-port': { type: 'string' },
    'authorized-keys': { type: 'string' },
    'partition-policy': { type: 'string' },
    'prefer-tunnel': { type: 'boolean', default: false },
    'no-standby': { type: 'boolean', default: false },
    'standby-every': { type: 'string' }
  })
  const policy = values['partition-policy']
  if (policy !== undefined && policy !== 'available' && policy !== 'majority') {
    throw new ShoalError('BAD_ARGUMENT', `--partition-policy is available or majority, not "${policy}"`)
  }
  if (values['no-data-port'] && values['data-port'] !== undefined) throw new ShoalError('BAD_ARGUMENT', '--no-data-port and --data-port contradict each other: give one')
  if (values['no-standby'] && values['standby-every'] !== undefined) throw new ShoalError('BAD_ARGUMENT', '--no-standby and --standby-every contradict each other: give one')
  if (values.name !== undefined && !NODE_NAME.test(values.name)) {
    throw new ShoalError('BAD_ARGUMENT', `--name takes letters, digits, dots, dashes and underscores (at most 63, starting with a letter or digit), got "${values.name}"`)
  }
  const clusterKey = values.cluster ?? process.env.SHOAL_CLUSTER
  if (clusterKey === undefined) throw new ShoalError('BAD_ARGUMENT', 'shoal up needs --cluster KEY (make one with: shoal init)')
  const node = new ShoalNode({
    home: home(values),
    clusterKey,
    name: values.name,
    zone: values.zone,
    bootstrap: values.bootstrap === undefined ? undefined : parseHostPorts(values.bootstrap),
    host: values.host,
    advertise: values.advertise === undefined ? undefined : parseAddresses(values.advertise),
    httpPort: parsePort(values['http-port'], '--http-port', 0),
    dataPort: values['no-data-port'] ? null : parsePort(values['data-port'], '--data-port', 0),
    // MB per second (10^6 bytes), as the console shows rates.
    replicationLimit: values['replication-limit'] === undefined ? undefined : parsePositiveNumber(values['replication-limit'], '--replication-limit', 0) * 1e6,
    portOffset: parsePort(values['port-offset'], '--port-offset', 0),
    capacity: parsePositiveNumber(values.capacity, '--capacity', 1),
    sshPort: values['ssh-port'] === undefined ? undefined : parsePort(values['ssh-port'], '--ssh-port', 0),
    authorizedKeys: values['authorized-keys'],
    partitionPolicy: policy,
    preferTunnel: values['prefer-tunnel'],
    standby: !values['no-standby'],
    standbyRefreshMs: parsePositiveNumber(values['standby-every'], '--standby-every', 30) * 1000
  })
  // Events from the start are held until the node is up: a node that fails to start says only why.
  let early: string[] | null = []
  node.events.subscribe((e: ClusterEvent) => {
    const line = `${clockTime(e.at)} ${e.message}`
    if (early !== null) early.push(line)
    else console.log(line)
  })
  await node.ready()
  const addr = node.transport?.address()
  console.log(`shoal node ${node.mesh!.record.name} (${node.id.slice(0, 12)}) is up`)
  console.log(`  home ${node.opts.home}`)
  if (addr) console.log(`  dht  ${addr.host}:${addr.port}`)
  console.log(`  http ${node.opts.host ?? '0.0.0.0'}:${node.apps!.httpPort}`)
  console.log(`  advertised to other nodes as ${node.mesh!.record.addresses.join(', ') || '(no address: they reach this node through the mesh only)'}`)
  if (node.apps!.dataPort > 0) console.log(`  data ${node.opts.host ?? '0.0.0.0'}:${node.apps!.dataPort} (replication)`)
  if (node.ssh) console.log(`  ssh  ${node.ssh.address().host}:${node.ssh.address().port} (console)`)
  for (const line of early) console.log(line)
  early = null

  let signals = 0
  await new Promise<void>((resolve) => {
    const stop = () => {
      if (++signals > 1) process.exit(130) // a second Ctrl-C means now
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  console.log('leaving the cluster…')
  await node.leave()
  return 0
}
