import c, { type Encoding } from 'compact-encoding'
import { badFrame } from '../core/errors.js'
import { boundedString, decodeExact, encodeExact } from './codec-util.js'

/**
 * Stream tunnels over the mesh connection (channel CHANNELS.tunnel). Each stream is named by
 * the id its opener chose; the OPENER flag on every frame but `open` tells which side's id space
 * it refers to, so both peers can open streams without coordinating. Flow control is per
 * stream: a sender may have at most `TUNNEL_WINDOW` unacknowledged bytes; `credit` frames
 * return what the receiver has consumed.
 *
 * Protomux message order on the channel (stable, append-only): open, data, credit, end, reset.
 */
export const TUNNEL_MESSAGES = ['open', 'data', 'credit', 'end', 'reset'] as const

/** Bytes a side may send on a fresh stream before its first credit. */
export const TUNNEL_WINDOW = 2 * 1024 * 1024
/** Largest payload of one data frame. */
export const MAX_TUNNEL_DATA = 64 * 1024
/** Longest service name a stream may be opened for (e.g. "http:<app>"). */
export const MAX_APP_NAME = 255
const MAX_RESET_TEXT = 512

/** Set when the sender of the frame is the side that opened the stream. */
export const FLAG_OPENER = 1
const FLAG_HAS_CODE = 2
const FLAG_HAS_MESSAGE = 4

export interface TunnelOpen {
  id: number
  app: string
}
export interface TunnelData {
  opener: boolean
  id: number
  data: Uint8Array
}
export interface TunnelCredit {
  opener: boolean
  id: number
  bytes: number
}
/** The sender will send no more data (half-close). */
export interface TunnelEnd {
  opener: boolean
  id: number
}
/** The stream is gone; `code` (an error code) and `message` say why when known. */
export interface TunnelReset {
  opener: boolean
  id: number
  code?: string
  message?: string
}

const appName = boundedString(MAX_APP_NAME)
const resetText = boundedString(MAX_RESET_TEXT)

export const tunnelOpen: Encoding<TunnelOpen> = {
  preencode(state, m) {
    c.uint.preencode(state, 0)
    c.uint.preencode(state, m.id)
    appName.preencode(state, m.app)
  },
  encode(state, m) {
    c.uint.encode(state, 0)
    c.uint.encode(state, m.id)
    appName.encode(state, m.app)
  },
  decode(state) {
    c.uint.decode(state) // flags: none defined yet
    const id = c.uint.decode(state)
    const app = appName.decode(state)
    return { id, app }
  }
}

export const tunnelData: Encoding<TunnelData> = {
  preencode(state, m) {
    c.uint.preencode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.preencode(state, m.id)
    c.uint.preencode(state, m.data.byteLength)
    state.end += m.data.byteLength
  },
  encode(state, m) {
    c.uint.encode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.encode(state, m.id)
    c.uint.encode(state, m.data.byteLength)
    state.buffer.set(m.data, state.start)
    state.start += m.data.byteLength
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const id = c.uint.decode(state)
    const len = c.uint.decode(state)
    if (len > MAX_TUNNEL_DATA) throw badFrame(`tunnel data frame of ${len} bytes`)
    if (state.end - state.start < len) throw badFrame('truncated tunnel data')
    const data = state.buffer.subarray(state.start, state.start + len)
    state.start += len
    return { opener: (flags & FLAG_OPENER) !== 0, id, data }
  }
}

export const tunnelCredit: Encoding<TunnelCredit> = {
  preencode(state, m) {
    c.uint.preencode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.preencode(state, m.id)
    c.uint.preencode(state, m.bytes)
  },
  encode(state, m) {
    c.uint.encode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.encode(state, m.id)
    c.uint.encode(state, m.bytes)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const id = c.uint.decode(state)
    const bytes = c.uint.decode(state)
    if (bytes > TUNNEL_WINDOW * 64) throw badFrame(`tunnel credit of ${bytes} bytes`)
    return { opener: (flags & FLAG_OPENER) !== 0, id, bytes }
  }
}

export const tunnelEnd: Encoding<TunnelEnd> = {
  preencode(state, m) {
    c.uint.preencode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.preencode(state, m.id)
  },
  encode(state, m) {
    c.uint.encode(state, m.opener ? FLAG_OPENER : 0)
    c.uint.encode(state, m.id)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const id = c.uint.decode(state)
    return { opener: (flags & FLAG_OPENER) !== 0, id }
  }
}

function resetFlags(m: TunnelReset): number {
  return (m.opener ? FLAG_OPENER : 0) | (m.code !== undefined ? FLAG_HAS_CODE : 0) | (m.message !== undefined ? FLAG_HAS_MESSAGE : 0)
}

export const tunnelReset: Encoding<TunnelReset> = {
  preencode(state, m) {
    c.uint.preencode(state, resetFlags(m))
    c.uint.preencode(state, m.id)
    if (m.code !== undefined) resetText.preencode(state, m.code)
    if (m.message !== undefined) resetText.preencode(state, m.message)
  },
  encode(state, m) {
    c.uint.encode(state, resetFlags(m))
    c.uint.encode(state, m.id)
    if (m.code !== undefined) resetText.encode(state, m.code)
    if (m.message !== undefined) resetText.encode(state, m.message)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const id = c.uint.decode(state)
    const m: TunnelReset = { opener: (flags & FLAG_OPENER) !== 0, id }
    if (flags & FLAG_HAS_CODE) m.code = resetText.decode(state)
    if (flags & FLAG_HAS_MESSAGE) m.message = resetText.decode(state)
    return m
  }
}

export type TunnelMessageName = (typeof TUNNEL_MESSAGES)[number]

/** The value type of each tunnel frame kind. */
export interface TunnelFrames {
  open: TunnelOpen
  data: TunnelData
  credit: TunnelCredit
  end: TunnelEnd
  reset: TunnelReset
}

export const TUNNEL_CODECS: { [K in TunnelMessageName]: Encoding<TunnelFrames[K]> } = {
  open: tunnelOpen,
  data: tunnelData,
  credit: tunnelCredit,
  end: tunnelEnd,
  reset: tunnelReset
}

/** Encodes one tunnel frame body (without the protomux header). */
export function encodeTunnel<K extends TunnelMessageName>(kind: K, value: TunnelFrames[K]): Buffer {
  return encodeExact(TUNNEL_CODECS[kind] as Encoding<TunnelFrames[K]>, value)
}

/** Decodes one tunnel frame body; throws ShoalError BAD_FRAME on anything malformed. */
export function decodeTunnel<K extends TunnelMessageName>(kind: K, buf: Uint8Array): TunnelFrames[K] {
  return decodeExact(TUNNEL_CODECS[kind] as Encoding<TunnelFrames[K]>, buf)
}
