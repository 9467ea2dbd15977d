import { ShoalError } from '../core/errors.js'

/** Any thrown value as a ShoalError: one already is stays as it is, anything else is INTERNAL. */
export function toShoalError(err: unknown): ShoalError {
  if (err instanceof ShoalError) return err
  return new ShoalError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err })
}
