import fs from 'node:fs'

/** One process as /proc/<pid>/stat shows it: the fields after the command name (state ppid pgrp …). */
export interface ProcStat {
  pid: number
  fields: string[]
}

/**
 * Every process alive in process group `pgid`, read from /proc (Linux; none elsewhere). Scans
 * every process on the machine: call it every few seconds, not per request.
 */
export function groupProcesses(pgid: number): ProcStat[] {
  const out: ProcStat[] = []
  let entries: string[]
  try {
    entries = fs.readdirSync('/proc')
  } catch {
    return out
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue
    let stat: string
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8')
    } catch {
      continue // exited meanwhile
    }
    // The command name may contain spaces: the fields start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid) out.push({ pid: Number(name), fields })
  }
  return out
}
