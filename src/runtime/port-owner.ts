import fs from 'node:fs'
import { groupProcesses } from './group-processes.js'

/** TCP state LISTEN in /proc/net/tcp{,6}. */
const LISTEN = '0A'

/**
 * The inodes of the sockets listening on `port` (any address, IPv4 or IPv6), from
 * /proc/net/tcp and /proc/net/tcp6. Null where /proc cannot tell (not Linux).
 */
export function listeningInodes(port: number): Set<string> | null {
  const out = new Set<string>()
  let readAny = false
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = fs.readFileSync(file, 'utf8')
    } catch {
      continue
    }
    readAny = true
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== LISTEN) continue
      const local = f[1]!
      if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) out.add(f[9]!)
    }
  }
  return readAny ? out : null
}

/**
 * Whether the app running as process group `pgid` is what listens on `port`: true when one of
 * its processes holds a socket listening there, false when another process does, null when
 * this cannot be told (no /proc, nothing listening, or the sockets are not readable).
 *
 * The port an app is given was free a moment before it started; another process can take it
 * first, and if that process answers the health check too, the app would seem healthy while
 * another program got its traffic.
 */
export function groupListensOn(pgid: number, port: number): boolean | null {
  const inodes = listeningInodes(port)
  if (inodes === null || inodes.size === 0) return null
  let readable = false
  for (const { pid } of groupProcesses(pgid)) {
    let fds: string[]
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    readable = true
    for (const fd of fds) {
      let target: string
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return true
    }
  }
  return readable ? false : null
}
