import net from 'node:net'
import { Duplex } from 'node:stream'
import { ShoalError } from '../core/errors.js'
import type { Target } from './route.js'

/**
 * Opens one raw byte stream to a target (TCP apps, WebSocket upgrades). Never throws: a failed
 * connect surfaces as an 'error' event on the returned stream.
 */
export function connectTarget(target: Target): Duplex {
  try {
    return connect(target)
  } catch (err) {
    // A bad address throws at once; a tunnel with no session may too.
    return failedStream(new ShoalError('NO_MASTER', `cannot reach ${target.kind} target`, { cause: err }))
  }
}

function connect(target: Target): Duplex {
  switch (target.kind) {
    case 'local': {
      const s = net.connect({ host: '127.0.0.1', port: target.port, allowHalfOpen: true })
      s.setNoDelay(true)
      return s
    }
    case 'direct': {
      const s = net.connect({ host: target.host, port: target.port, allowHalfOpen: true })
      s.setNoDelay(true)
      return s
    }
    case 'tunnel':
      return target.open()
  }
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
