import net from 'node:net'
import { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import type { ReadBuffer } from './read-buffer.js'
import type { Target } from './route.js'

/**
 * Reads delivered straight from a socket's own memory (net.Socket's `onread`): `read` gets each
 * read's bytes, valid only during the call; returning false stops reading, as a full buffer does.
 */
export interface DirectReader {
  readonly buffer: ReadBuffer
  read(bytes: Buffer): boolean
}

/**
 * Opens one raw byte stream to a target (TCP apps, WebSocket upgrades). Never throws: a failed
 * connect surfaces as an 'error' event on the returned stream.
 *
 * With `reader`, a TCP target's bytes go to it instead of 'data' events (no stream machinery and
 * no allocation per read); the result says whether they did. A tunnel still emits 'data'.
 */
export function connectTarget(target: Target, reader?: DirectReader): Duplex {
  try {
    return connect(target, reader)
  } catch (err) {
    // A bad address throws at once; a tunnel with no session may too.
    return failedStream(new ShoalError('NO_MASTER', `cannot reach ${target.kind} target`, { cause: err }))
  }
}

/** True when `connectTarget(target, reader)` hands the reader the bytes. */
export function readsDirectly(target: Target): boolean {
  return target.kind !== 'tunnel'
}

/**
 * A connection to another node that is not made within this long fails with CONNECT_TIMEOUT
 * (an address that drops packets would otherwise hold the client for the system's own limit,
 * about two minutes on Linux).
 */
export const DIRECT_CONNECT_TIMEOUT_MS = 2_000

function connect(target: Target, reader: DirectReader | undefined): Duplex {
  switch (target.kind) {
    case 'local':
      return connectTcp('127.0.0.1', target.port, reader)
    case 'direct':
      return withConnectTimeout(connectTcp(target.host, target.port, reader), `${target.host}:${target.port}`)
    case 'tunnel':
      return target.open()
  }
}

function connectTcp(host: string, port: number, reader: DirectReader | undefined): net.Socket {
  const onread =
    reader === undefined
      ? undefined
      : {
          buffer: () => reader.buffer.next(),
          callback: (n: number, buf: Uint8Array) => {
            reader.buffer.filled(n, buf as Buffer)
            return reader.read((buf as Buffer).subarray(0, n))
          }
        }
  const s = net.connect({ host, port, allowHalfOpen: true, onread })
  s.setNoDelay(true)
  return s
}

function withConnectTimeout(s: net.Socket, where: string): net.Socket {
  const timer = setTimeout(() => s.destroy(new ShoalError('CONNECT_TIMEOUT', `${where} did not answer within ${DIRECT_CONNECT_TIMEOUT_MS} ms`)), DIRECT_CONNECT_TIMEOUT_MS)
  timer.unref()
  s.once('connect', () => clearTimeout(timer))
  s.once('close', () => clearTimeout(timer))
  return s
}

/**
 * A stream that fails at once with `err`, as a connection that could not be made does. What is
 * written to it goes nowhere (a PassThrough would hand it back as if the far end had answered).
 */
export function failedStream(err: Error): Duplex {
  const d = new Duplex({
    read() {},
    write(_chunk, _encoding, cb) {
      cb()
    }
  })
  process.nextTick(() => d.destroy(err))
  return d
}

/**
 * Pipes two streams both ways. A half-close travels across (each side's end ends the other's
 * writing); an error on either side, or both sides closed, tears both down. `done` runs once.
 */
export function splice(a: Duplex, b: Duplex, done: (err?: Error) => void): void {
  let finished = false
  const finish = (err?: Error) => {
    if (finished) return
    finished = true
    a.destroy()
    b.destroy()
    done(err)
  }
  a.on('error', finish)
  b.on('error', finish)
  a.on('close', () => finish())
  b.on('close', () => finish())
  a.pipe(b)
  b.pipe(a)
}
