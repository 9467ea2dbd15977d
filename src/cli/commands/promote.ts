import { runMove } from './move.js'

export const summary = 'promote APP NODE: make a replica the master (a planned move)'

export async function run(argv: string[]): Promise<number> {
  return runMove('promote', argv)
}
