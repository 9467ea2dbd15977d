/**
 * The console over SSH (`ssh -p PORT any-user@node`): ssh2 server with a host key generated on
 * first start and kept in `hostKeyDir`, public-key authentication against an authorized_keys
 * file (re-read on every login, so edits apply at once; see authorized-keys.ts for the
 * read-only option), one console per session, as many sessions as clients open.
 */
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import ssh2, { type AuthContext, type Connection } from 'ssh2'
import { readAuthorizedKeys, type AuthorizedKey } from './authorized-keys.js'
import { loadOrCreateHostKey } from './host-key.js'
import type { ConsoleSource } from './source.js'
import { serveConsoleSession } from './ssh-session.js'

const { Server } = ssh2

export interface ConsoleSshServerOptions {
  hostKeyDir: string
  authorizedKeysFile: string
  /** Makes the source for one session; called once per console opened. */
  source: () => ConsoleSource
  /** Called when that session's console has ended. */
  releaseSource?: (source: ConsoleSource) => void
  /** Defaults to 127.0.0.1; pass '0.0.0.0' or '::' to serve other machines. */
  host?: string
  /** 0 picks a free port; address() tells which. */
  port: number
  /** Every session read-only, whatever the key. */
  readOnly?: boolean
  pollMs?: number
  /** Problems that concern one client only (a broken connection, a bad authorized_keys line). */
  onError?: (err: unknown) => void
}

export interface ConsoleSshServer {
  address(): { host: string; port: number }
  /** The host key as `ssh-ed25519 AAAA…`, for a known_hosts line. */
  hostKey: string
  /** Sessions showing a console now. */
  sessions(): number
  /** Stops listening and ends every session; idempotent. */
  close(): Promise<void>
}

export async function createConsoleSshServer(opts: ConsoleSshServerOptions): Promise<ConsoleSshServer> {
  const hostKey = await loadOrCreateHostKey(opts.hostKeyDir)
  const onError = opts.onError ?? (() => {})
  const clients = new Set<Connection>()
  let open = 0

  const server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
    clients.add(client)
    const endConsoles = new Set<() => void>()
    let readOnly = opts.readOnly ?? false
    client.on('authentication', (ctx) => {
      authenticate(ctx, opts.authorizedKeysFile)
        .then((key) => {
          if (!key) return ctx.reject(['publickey'])
          if (ctx.method === 'publickey' && ctx.signature) readOnly ||= key.readOnly
          ctx.accept()
        })
        .catch((err: unknown) => {
          onError(err)
          ctx.reject(['publickey'])
        })
    })
    client.on('ready', () => {
      client.on('session', (accept) => {
        const end = serveConsoleSession(accept(), {
          source: opts.source,
          releaseSource: opts.releaseSource,
          readOnly,
          pollMs: opts.pollMs,
          onError,
          onOpen: () => { open++ },
          onClosed: () => {
            open--
            endConsoles.delete(end)
          }
        })
        endConsoles.add(end)
      })
    })
    // A client's failure (reset, protocol error) ends that client only; a client that vanishes
    // without closing its channels still has its consoles ended.
    client.on('error', onError)
    client.on('close', () => {
      clients.delete(client)
      for (const end of endConsoles) end()
    })
  })
  server.on('error', onError)

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })

  let closing: Promise<void> | null = null
  return {
    hostKey: hostKey.publicLine,
    address: () => {
      const a = server.address() as AddressInfo
      return { host: a.address, port: a.port }
    },
    sessions: () => open,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const c of clients) c.end()
      })
      return closing
    }
  }
}

/** The authorized key this attempt proves, or null. Only public keys are accepted. */
async function authenticate(ctx: AuthContext, file: string): Promise<AuthorizedKey | null> {
  if (ctx.method !== 'publickey') return null
  const { keys } = await readAuthorizedKeys(file)
  const key = keys.find((k) => k.blob.length === ctx.key.data.length && timingSafeEqual(k.blob, ctx.key.data))
  if (!key) return null
  // Without a signature the client only asks whether this key would do; with one, it must verify.
  if (!ctx.signature) return key
  return ctx.blob && key.key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) ? key : null
}
