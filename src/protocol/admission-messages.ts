import c, { type Encoding } from 'compact-encoding'
import { badFrame } from '../core/errors.js'
import { boundedString, decodeExact, encodeExact } from './codec-util.js'

/**
 * The first and only message on the admission channel: the protocol version and a proof that the
 * sender knows the cluster key, bound to this connection's handshake (see mesh/admission.ts).
 */
export interface AdmissionHello {
  version: number
  proof: Buffer
  /** Software version, for operators' eyes only. */
  software: string
}

export const admissionHello: Encoding<AdmissionHello> = {
  preencode(state, m) {
    c.uint.preencode(state, 0)
    c.uint.preencode(state, m.version)
    c.fixed32.preencode(state, m.proof)
    c.string.preencode(state, m.software)
  },
  encode(state, m) {
    c.uint.encode(state, 0)
    c.uint.encode(state, m.version)
    c.fixed32.encode(state, m.proof)
    c.string.encode(state, m.software)
  },
  decode(state) {
    c.uint.decode(state)
    const version = c.uint.decode(state)
    if (version === 0) throw badFrame('protocol version 0')
    const proof = c.fixed32.decode(state)
    const software = boundedString(64).decode(state)
    return { version, proof, software }
  }
}

export const encodeHello = (m: AdmissionHello): Buffer => encodeExact(admissionHello, m)
export const decodeHello = (buf: Uint8Array): AdmissionHello => decodeExact(admissionHello, buf)
