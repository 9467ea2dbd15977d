import c, { type Encoding, type State } from 'compact-encoding'
import b4a from 'b4a'
import { badFrame } from '../core/errors.js'

/** A node id: 32 bytes on the wire, lowercase hex in memory. */
export const nodeId: Encoding<string> = {
  preencode(state) {
    state.end += 32
  },
  encode(state, id) {
    const bytes = b4a.from(id, 'hex')
    if (bytes.byteLength !== 32) throw badFrame('node id must be 32 bytes')
    c.fixed32.encode(state, bytes)
  },
  decode(state) {
    return b4a.toString(c.fixed32.decode(state), 'hex')
  }
}

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
