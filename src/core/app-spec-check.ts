import { ShoalError } from './errors.js'
import type { AppSpec } from './app-types.js'

export const APP_NAME = /^[a-z][a-z0-9-]{0,62}$/
/** A host name, or `*.` and one (every name under it, at any depth). */
const HOST_NAME = /^(?=.{1,253}$)(\*\.)?[a-z0-9]([a-z0-9-]{0,62})(\.[a-z0-9]([a-z0-9-]{0,62}))*$/
const HEALTH = /^(http:\/\S*|tcp|none)$/
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const RESERVED_ENV = new Set(['PORT', 'SHOAL_DATA', 'SHOAL_APP', 'SHOAL_NODE', 'SHOAL_NODE_ID'])

type NewSpec = Pick<AppSpec, 'name' | 'cmd' | 'env' | 'httpHosts' | 'tcpPort' | 'replicas' | 'health'>

/** A node's own ports, which an app's TCP port (plus the node's offset) must not land on. */
export interface NodePorts {
  name: string
  httpPort: number
  dataPort?: number
  portOffset: number
}

/**
 * Checks a new or changed spec against itself, the apps already in the cluster and the nodes'
 * own ports; throws BAD_SPEC or APP_EXISTS with a sentence an operator can act on.
 */
export function checkSpec(spec: NewSpec, existing: AppSpec[], opts: { isNew: boolean; nodes?: NodePorts[] }): void {
  const bad = (msg: string) => new ShoalError('BAD_SPEC', msg)
  if (!APP_NAME.test(spec.name)) throw bad(`"${spec.name}" is not a valid app name: use lower-case letters, digits and dashes, starting with a letter (at most 63)`)
  if (spec.cmd.trim() === '') throw bad('an app needs a command (--cmd)')
  if (!Number.isInteger(spec.replicas) || spec.replicas < 1 || spec.replicas > 16) throw bad(`an app has 1 to 16 copies (the master counts), not ${spec.replicas}`)
  if (!Number.isInteger(spec.tcpPort) || spec.tcpPort < 0 || spec.tcpPort > 65535) throw bad('--tcp-port takes a port number')
  if (!HEALTH.test(spec.health) && spec.health !== '') throw bad(`--health takes http:/PATH, tcp or none, not "${spec.health}"`)
  for (const h of spec.httpHosts) if (!HOST_NAME.test(h)) throw bad(`"${h}" is not a host name (or *. and one, for every name under it)`)
  for (const k of Object.keys(spec.env)) {
    if (!ENV_NAME.test(k)) throw bad(`"${k}" is not an environment variable name`)
    if (RESERVED_ENV.has(k)) throw bad(`${k} is set by Shoal and cannot be overridden`)
  }
  if (spec.tcpPort !== 0) {
    for (const n of opts.nodes ?? []) {
      const port = spec.tcpPort + n.portOffset
      const where = n.portOffset === 0 ? `on ${n.name}` : `${port} on ${n.name} (its --port-offset is ${n.portOffset})`
      if (port > 65535) throw bad(`TCP port ${spec.tcpPort} would be ${where}: past 65535`)
      if (port === n.httpPort) throw bad(`TCP port ${spec.tcpPort} would be ${where}, which is ${n.name}'s HTTP port`)
      if (port === n.dataPort) throw bad(`TCP port ${spec.tcpPort} would be ${where}, which is ${n.name}'s data port`)
    }
  }
  for (const other of existing) {
    if (other.deleted) continue
    if (other.name === spec.name) {
      if (opts.isNew) throw new ShoalError('APP_EXISTS', `an app called ${spec.name} already exists`)
      continue
    }
    if (spec.tcpPort !== 0 && other.tcpPort === spec.tcpPort) throw bad(`TCP port ${spec.tcpPort} is already taken by ${other.name}`)
    const clash = spec.httpHosts.find((h) => other.httpHosts.includes(h))
    if (clash !== undefined) throw bad(`host ${clash} is already routed to ${other.name}`)
  }
}
