import fs from 'node:fs'

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

/** Process ids of every process alive in process group `pgid` (Linux; empty elsewhere). */
export function groupPids(pgid: number): number[] {
  const pids: number[] = []
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return pids
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
      // Fields after the command name (which may contain spaces): state ppid pgrp …
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid) pids.push(Number(name))
    } catch {
      // exited meanwhile
    }
  }
  return pids
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
  for (const pid of groupPids(pgid)) {
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
