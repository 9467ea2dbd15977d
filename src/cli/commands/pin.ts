import { runMove } from './move.js'

export const summary = 'pin APP NODE: move the app there if needed and keep it there'

export async function run(argv: string[]): Promise<number> {
  return runMove('pin', argv)
}
