import { join } from 'node:path'

/** Where a node's control socket lives inside its home folder. */
export const controlSocketPath = (home: string): string => join(home, 'control.sock')
