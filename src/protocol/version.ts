/** Bumped only for incompatible wire changes; fields are otherwise append-only. */
export const PROTOCOL_VERSION = 2

/** Protomux protocol names, one channel each. */
export const CHANNELS = {
  admission: 'shoal/admission/v1',
  mesh: 'shoal/mesh/v1',
  replication: 'shoal/replication/v1',
  tunnel: 'shoal/tunnel/v1',
  rpc: 'shoal/rpc/v1',
  /** Opened by both ends of a direct data session (DataLinks) once each accepts it. */
  data: 'shoal/data/v1'
} as const

/** No mesh frame may exceed this; a larger one closes the peer's session. */
export const MAX_FRAME_BYTES = 1024 * 1024
