import { mkdir, readFile, chmod, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { homedir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { ShoalError } from '../core/errors.js'
import { controlSocketPath } from '../control/socket-path.js'
import { writeFileAtomic } from '../volume/fs-atomic.js'

/** The node's home folder: identity, persistent state, control socket, data. */
export interface HomePaths {
  dir: string
  identity: string
  state: string
  socket: string
  pid: string
}

export function resolveHome(explicit?: string): string {
  return resolve(explicit ?? process.env.SHOAL_HOME ?? join(homedir(), '.shoal'))
}

export function homePaths(dir: string): HomePaths {
  return {
    dir,
    identity: join(dir, 'identity.json'),
    state: join(dir, 'state.json'),
    socket: controlSocketPath(dir),
    pid: join(dir, 'node.pid')
  }
}

export async function ensureHome(dir: string): Promise<HomePaths> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const paths = homePaths(dir)
  if (Buffer.byteLength(paths.socket) > 100) {
    throw new ShoalError('BAD_ARGUMENT', `home folder path is too long for a control socket (${paths.socket}); choose a shorter --home`)
  }
  return paths
}

/** Node files hold the identity and state: written atomically and durably, readable by the owner only. */
const writePrivate = (path: string, data: string) => writeFileAtomic(path, data, { sync: true, mode: 0o600 })

/** The node's key seed, created on first start and reused on every restart. */
export async function loadIdentitySeed(paths: HomePaths): Promise<Buffer> {
  try {
    const parsed = JSON.parse(await readFile(paths.identity, 'utf8')) as { seed?: unknown }
    if (typeof parsed.seed !== 'string' || !/^[0-9a-f]{64}$/.test(parsed.seed)) {
      throw new ShoalError('BAD_ARGUMENT', `${paths.identity} is damaged: no valid seed in it`)
    }
    return Buffer.from(parsed.seed, 'hex')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const seed = randomBytes(32)
    await writePrivate(paths.identity, JSON.stringify({ seed: seed.toString('hex') }) + '\n')
    await chmod(paths.identity, 0o600)
    return seed
  }
}

export interface PersistentState {
  incarnation: number
}

export async function loadState(paths: HomePaths): Promise<PersistentState> {
  try {
    const s = JSON.parse(await readFile(paths.state, 'utf8')) as Partial<PersistentState>
    return { incarnation: Number.isSafeInteger(s.incarnation) ? (s.incarnation as number) : 0 }
  } catch {
    return { incarnation: 0 }
  }
}

export async function saveState(paths: HomePaths, state: PersistentState): Promise<void> {
  await writePrivate(paths.state, JSON.stringify(state) + '\n')
}

/** Claims the home folder for this process; a second node in the same home is refused. */
export async function lockHome(paths: HomePaths): Promise<() => Promise<void>> {
  try {
    const other = Number((await readFile(paths.pid, 'utf8')).trim())
    if (Number.isInteger(other) && other > 0 && other !== process.pid && isAlive(other)) {
      throw new ShoalError('HOME_LOCKED', `another shoal node (pid ${other}) is already running in ${paths.dir}`)
    }
  } catch (err) {
    if (ShoalError.is(err)) throw err
  }
  await writePrivate(paths.pid, `${process.pid}\n`)
  // A socket left by a crashed node would make listen() fail.
  await unlink(paths.socket).catch(() => {})
  return async () => {
    await unlink(paths.pid).catch(() => {})
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
