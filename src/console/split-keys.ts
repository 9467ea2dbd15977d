/**
 * Ink hands over keys typed faster than one read (or pasted) as a single string. This splits
 * such a string into single keys, recognising the control characters the console binds.
 */
import type { KeyPress } from './key-bindings.js'

export function splitKeys(input: string): Array<{ input: string; key: KeyPress }> {
  const out: Array<{ input: string; key: KeyPress }> = []
  for (const ch of input) {
    if (ch === '\r' || ch === '\n') out.push({ input: '', key: { return: true } })
    else if (ch === '\t') out.push({ input: '', key: { tab: true } })
    else if (ch === '\u007f' || ch === '\b') out.push({ input: '', key: { backspace: true } })
    else if (ch === '\u001b') out.push({ input: '', key: { escape: true } })
    else if (ch === '\u0003') out.push({ input: 'c', key: { ctrl: true } })
    else out.push({ input: ch, key: {} })
  }
  return out
}
