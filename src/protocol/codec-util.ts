import c, { type Encoding, type State } from 'compact-encoding'
import b4a from 'b4a'
import { badFrame } from '../core/errors.js'

/** 32 bytes on the wire, lowercase hex in memory (snapshot ids, chunk hashes, node ids). */
export const hex32: Encoding<string> = {
  preencode(state) {
    state.end += 32
  },
  encode(state, hex) {
    if (hex.length !== 64) throw badFrame('expected 32 bytes of hex')
    // Written in place when the target is a Buffer (the usual case): manifests hold many hashes.
    if (Buffer.isBuffer(state.buffer)) {
      if (state.buffer.write(hex, state.start, 32, 'hex') !== 32) throw badFrame('expected 32 bytes of hex')
      state.start += 32
      return
    }
    const bytes = b4a.from(hex, 'hex')
    if (bytes.byteLength !== 32) throw badFrame('expected 32 bytes of hex')
    c.fixed32.encode(state, bytes)
  },
  decode(state) {
    // (b4a.isBuffer also says yes to a plain Uint8Array, whose toString takes no range.)
    if (!Buffer.isBuffer(state.buffer)) return b4a.toString(c.fixed32.decode(state), 'hex')
    // Straight from the buffer, without a view per hash.
    if (state.end - state.start < 32) throw new Error('Out of bounds')
    const hex = state.buffer.toString('hex', state.start, state.start + 32)
    state.start += 32
    return hex
  }
}

/** A node id: 32 bytes on the wire, lowercase hex in memory. */
export const nodeId: Encoding<string> = hex32

/** A finite non-negative float. NaN and infinities are refused on decode. */
export const finite: Encoding<number> = {
  preencode(state, n) {
    c.float64.preencode(state, n)
  },
  encode(state, n) {
    c.float64.encode(state, n)
  },
  decode(state) {
    const n = c.float64.decode(state)
    if (!Number.isFinite(n)) throw badFrame('non-finite number')
    return n
  }
}

/** A string with a length cap, so a peer cannot make us hold huge names. */
export function boundedString(max: number): Encoding<string> {
  return {
    preencode: (state, s) => c.string.preencode(state, s),
    encode: (state, s) => c.string.encode(state, s),
    decode(state) {
      const s = c.string.decode(state)
      if (s.length > max) throw badFrame(`string longer than ${max}`)
      return s
    }
  }
}

/** An array with a length cap. */
export function boundedArray<T>(enc: Encoding<T>, max: number): Encoding<T[]> {
  const arr = c.array(enc)
  return {
    preencode: (state, v) => arr.preencode(state, v),
    encode: (state, v) => arr.encode(state, v),
    decode(state) {
      // Peek the length before allocating anything.
      const save = state.start
      const n = c.uint.decode(state)
      if (n > max) throw badFrame(`array longer than ${max}`)
      state.start = save
      return arr.decode(state)
    }
  }
}

/** Encodes a whole message; throws ShoalError BAD_FRAME on trailing bytes or truncation. */
export function encodeExact<T>(enc: Encoding<T>, value: T): Buffer {
  return c.encode(enc, value)
}

export function decodeExact<T>(enc: Encoding<T>, buf: Uint8Array): T {
  const state: State = { start: 0, end: buf.byteLength, buffer: buf }
  let value: T
  try {
    value = enc.decode(state)
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === 'BAD_FRAME') throw err
    throw badFrame(`malformed frame: ${(err as Error).message}`)
  }
  if (state.start !== state.end) throw badFrame('trailing bytes after frame')
  return value
}

/**
 * An array with a length cap that also refuses counts the remaining bytes cannot hold (each
 * element takes at least `minBytes`), so a forged count never allocates anything large.
 */
export function fittedArray<T>(enc: Encoding<T>, max: number, minBytes: number): Encoding<T[]> {
  return {
    preencode(state, v) {
      c.uint.preencode(state, v.length)
      for (const x of v) enc.preencode(state, x)
    },
    encode(state, v) {
      c.uint.encode(state, v.length)
      for (const x of v) enc.encode(state, x)
    },
    decode(state) {
      const n = c.uint.decode(state)
      if (n > max) throw badFrame(`array longer than ${max}`)
      if (n * minBytes > state.end - state.start) throw badFrame('array longer than its frame')
      const out = new Array<T>(n)
      for (let i = 0; i < n; i++) out[i] = enc.decode(state)
      return out
    }
  }
}

/** An unsigned integer refused on decode above `max` (`what` names it in the error). */
export function uintMax(max: number, what: string): Encoding<number> {
  return {
    preencode: (state, n) => c.uint.preencode(state, n),
    encode: (state, n) => c.uint.encode(state, n),
    decode(state) {
      const n = c.uint.decode(state)
      if (n > max) throw badFrame(`${what} too large`)
      return n
    }
  }
}

/**
 * Raw bytes to the end of the message, like `c.raw`, given whole or in parts that are written
 * one after the other (so a big payload is copied once, straight into the message).
 */
export const rawParts: Encoding<Uint8Array | readonly Uint8Array[]> = {
  preencode(state, v) {
    if (v instanceof Uint8Array) state.end += v.byteLength
    else for (const part of v) state.end += part.byteLength
  },
  encode(state, v) {
    for (const part of v instanceof Uint8Array ? [v] : v) {
      state.buffer.set(part, state.start)
      state.start += part.byteLength
    }
  },
  decode(state) {
    return c.raw.decode(state)
  }
}
