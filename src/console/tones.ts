/** Which colour goes with which word. The word is always printed too, so NO_COLOR loses nothing. */
import type { AppState, ClusterEventKind } from '../control/types.js'
import type { MemberStatus } from '../core/types.js'
import type { Tone } from './paint.js'

export const MEMBER_TONE: Record<MemberStatus, Tone> = { alive: 'green', suspect: 'yellow', dead: 'red', left: 'gray' }

export const APP_STATE_TONE: Record<AppState, Tone> = { running: 'green', moving: 'cyan', 'failing-over': 'yellow', pending: 'gray', stopped: 'red' }

export const EVENT_TONE: Record<ClusterEventKind, Tone> = {
  joined: 'green',
  alive: 'green',
  suspect: 'yellow',
  dead: 'red',
  left: 'gray',
  app: 'blue',
  move: 'cyan',
  failover: 'magenta',
  drill: 'magenta',
  error: 'red'
}

/** Load above 85% is red, above 60% yellow. */
export function loadTone(fraction: number): Tone {
  return fraction > 0.85 ? 'red' : fraction > 0.6 ? 'yellow' : 'green'
}
