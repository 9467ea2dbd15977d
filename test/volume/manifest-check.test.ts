import { describe, expect, it } from 'vitest'
import { ShoalError } from '../../src/core/errors.js'
import type { ManifestEntry } from '../../src/core/snapnode.js'
import { checkChunkSizes, checkManifest, checkRelativePath, symlinkEscape } from '../../src/volume/manifest-check.js'

const H = 'ab'.repeat(32)
const f = (path: string, size = 10, chunks = [H]): ManifestEntry => ({ path, kind: 'file', mode: 0o644, mtimeMs: 1, size, chunks })
const d = (path: string): ManifestEntry => ({ path, kind: 'dir', mode: 0o755, mtimeMs: 1, size: 0 })
const l = (path: string, target: string): ManifestEntry => ({ path, kind: 'symlink', mode: 0o777, mtimeMs: 1, size: 0, target })

describe('symlinkEscape', () => {
  it.each([
    ['a', 'b', null],
    ['dir/a', '../b', null],
    ['dir/sub/a', '../../b/c', null],
    ['a', './b', null],
    ['a', '../b', 'target climbs above the volume root'],
    ['dir/a', '../../b', 'target climbs above the volume root'],
    ['a', '/etc/passwd', 'absolute target'],
    ['dir/a', 'x/../../..', "'..' after a name in the target"],
    ['a', '', 'empty target']
  ])('%s → %s', (path, target, expected) => {
    expect(symlinkEscape(path, target)).toBe(expected)
  })
})

describe('checkRelativePath', () => {
  it.each(['a', 'a/b/c', '...', '..a', 'a..', '.a', 'a/.b/..c', 'x'.repeat(300)])('accepts %s', (path) => {
    expect(() => checkRelativePath(path)).not.toThrow()
  })

  it.each(['', '/a', 'a/', '/', '.', '..', 'a/.', 'a/..', './a', '../a', 'a//b', 'a/./b', 'a/../b', 'a\\b', 'a\0b'])('refuses %j', (path) => {
    expect(() => checkRelativePath(path)).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }))
  })
})

describe('checkManifest', () => {
  it('accepts a well-formed manifest', () => {
    expect(() => checkManifest({ entries: [f('a'), d('b'), f('b/c'), l('b/l', '../a'), f('empty', 0, [])] })).not.toThrow()
  })

  it.each<[string, ManifestEntry[]]>([
    ['absolute path', [f('/abs')]],
    ['.. segment', [d('a'), f('a/../x')]],
    ['. segment', [f('./x')]],
    ['empty segment', [d('a'), f('a//x')]],
    ['empty path', [f('')]],
    ['backslash', [f('a\\b')]],
    ['duplicate', [f('a'), f('a')]],
    ['out of order', [f('b'), f('a')]],
    ['entry under a file', [f('a'), f('a/b')]],
    ['entry under a symlink', [l('a', 'x'), f('a/b')]],
    ['parent folder missing', [f('a/b')]],
    ['escaping symlink', [l('a', '../x')]],
    ['size 0 with chunks', [f('a', 0)]],
    ['more chunks than bytes', [f('a', 1, [H, H])]],
    ['size beyond what its chunks could hold', [f('a', 5 * 1024 * 1024)]],
    ['absurd size', [f('a', 2 ** 41)]],
    ['bad mode', [{ ...f('a'), mode: 0o170000 }]]
  ])('refuses %s with BAD_MANIFEST', (_name, entries) => {
    let err: unknown
    try {
      checkManifest({ entries })
    } catch (e) {
      err = e
    }
    expect(ShoalError.is(err, 'BAD_MANIFEST')).toBe(true)
  })

  it('still checks where entries of a manifest that passed sit in the next one', () => {
    const a = f('a')
    const dirB = d('b')
    const c = f('b/c')
    const lone = f('x/y')
    checkManifest({ entries: [a, dirB, c] })
    const refused = (entries: ManifestEntry[]) => expect(() => checkManifest({ entries })).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }))
    refused([dirB, c, a]) // out of order
    refused([a, a, dirB]) // duplicate
    refused([a, c]) // its folder is gone
    refused([a, f('b'), c]) // its folder is now a file
    refused([a, dirB, c, lone]) // a new entry is checked in full
    expect(() => checkManifest({ entries: [a, dirB, c, f('b/d')] })).not.toThrow()
    // Stricter limits check every entry again.
    expect(() => checkManifest({ entries: [a, dirB, c] }, { maxFileBytes: 5 })).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }))
  })

  it('checks file sizes against the real chunk sizes', () => {
    const m = { entries: [f('a', 10, [H, H])] }
    expect(() => checkChunkSizes(m, () => 5)).not.toThrow()
    expect(() => checkChunkSizes(m, () => 4)).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }))
    expect(() => checkChunkSizes(m, () => undefined)).toThrow(expect.objectContaining({ code: 'BAD_MANIFEST' }))
  })
})
