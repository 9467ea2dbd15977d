/**
 * Reading HTTP head fields straight from bytes, without first turning the head into a string:
 * header names compared without case, values trimmed of optional whitespace, decimal numbers.
 */

/** A lower-case ASCII name as bytes, for `isName`. */
export function nameBytes(name: string): Uint8Array {
  return Uint8Array.from(name, (c) => c.charCodeAt(0))
}

/** buf[at, at + name.length) is `name` (lower case), letters compared without case. */
export function isName(buf: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    const want = name[i]
    const c = buf[at + i]
    if (c !== want && !(want >= 0x61 && want <= 0x7a && c === want - 0x20)) return false
  }
  return true
}

/** buf[at, at + bytes.length) is exactly `bytes`. (In JS: cheaper than a call into Buffer.compare
 * for a few bytes.) */
export function isExact(buf: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (buf[at + i] !== bytes[i]) return false
  return true
}

/** Where a field value in buf[a, b) starts once optional whitespace (SP, HTAB) is skipped. */
export function owsStart(buf: Uint8Array, a: number, b: number): number {
  while (a < b && (buf[a] === 0x20 || buf[a] === 0x09)) a++
  return a
}

/** Where a field value in buf[a, b) ends without trailing optional whitespace. */
export function owsEnd(buf: Uint8Array, a: number, b: number): number {
  while (b > a && (buf[b - 1] === 0x20 || buf[b - 1] === 0x09)) b--
  return b
}

/** The number written in buf[a, b) as 1 to `maxDigits` ASCII digits and nothing else, or -1. */
export function digitsIn(buf: Uint8Array, a: number, b: number, maxDigits: number): number {
  if (a === b || b - a > maxDigits) return -1
  let n = 0
  for (let i = a; i < b; i++) {
    const d = buf[i] - 0x30
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}
