import { spawn, type ChildProcess } from 'node:child_process'

/** Groups still alive, killed if this process exits without stopping them. */
const liveGroups = new Set<number>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' handlers must be synchronous: a kill is.
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL')
  })
}

/** Sends a signal to a whole process group; false when it is already gone. */
export function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

/** True while any process of the group is alive (zombies included until reaped). */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/*
 * The command runs as `/bin/sh -c CMD` in a new process group. Beside it, a guard in the same
 * group blocks reading a pipe only this node process holds open; if the node dies in any way
 * (even kill -9, where no 'exit' handler runs) the pipe reaches EOF and the guard terminates the
 * group: TERM, then KILL after the grace period. The guard ignores TERM so it can finish the job.
 */
const WRAPPER = `
( trap '' TERM; read -r _ <&3; kill -TERM 0 2>/dev/null; sleep "$2"; kill -KILL 0 ) &
exec 3<&-
exec /bin/sh -c "$1"
`

export interface GroupSpawnOptions {
  cmd: string
  env: NodeJS.ProcessEnv
  cwd: string
  /** Seconds the guard waits between TERM and KILL when the node died. */
  graceSec: number
  /** Without the guard, only the 'exit' hook protects against orphans. */
  guard: boolean
}

/**
 * A running command and its process group. `exited` resolves when the main process exits; the
 * rest of the group (stray children, the guard) is then killed, since an app that exited must
 * leave nothing behind.
 */
export class ProcessGroup {
  readonly child: ChildProcess
  readonly pgid: number
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>

  constructor(opts: GroupSpawnOptions) {
    installExitHook()
    const args = opts.guard ? ['-c', WRAPPER, 'shoal-app', opts.cmd, String(opts.graceSec)] : ['-c', opts.cmd]
    this.child = spawn('/bin/sh', args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: opts.guard ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe']
    })
    this.pgid = this.child.pid ?? -1
    if (this.pgid > 0) liveGroups.add(this.pgid)
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        killGroup(this.pgid, 'SIGKILL')
        liveGroups.delete(this.pgid)
        resolve({ code, signal })
      })
      // A spawn failure (no /bin/sh, bad cwd) never emits 'exit'.
      this.child.once('error', () => {
        liveGroups.delete(this.pgid)
        resolve({ code: 127, signal: null })
      })
    })
  }

  /** SIGTERM to the group, and SIGCONT so a stopped (frozen) process can act on it. */
  terminate(): boolean {
    const sent = this.signal('SIGTERM')
    this.signal('SIGCONT')
    return sent
  }

  /** Signals every process of the group. */
  signal(sig: NodeJS.Signals): boolean {
    return this.pgid > 0 && killGroup(this.pgid, sig)
  }
}
