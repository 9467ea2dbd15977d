import { ShoalError } from '../core/errors.js'

/**
 * A listener that could not start, as one sentence an operator can act on: `what` names the
 * port ("the HTTP port 0.0.0.0:80"), `option` the flag that picks another.
 */
export function portError(err: NodeJS.ErrnoException, what: string, option: string): ShoalError {
  if (err.code === 'EADDRINUSE') return new ShoalError('BAD_ARGUMENT', `${what} is already in use by another program or node; choose another with ${option}`)
  if (err.code === 'EACCES') return new ShoalError('BAD_ARGUMENT', `${what} needs privileges this user does not have (ports below 1024 do); choose another with ${option}`)
  if (err.code === 'EADDRNOTAVAIL') return new ShoalError('BAD_ARGUMENT', `${what}: that address is not on this machine (check --host)`)
  return new ShoalError('INTERNAL', `${what} could not be opened: ${err.message}`, { cause: err })
}
