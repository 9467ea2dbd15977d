import { describe, expect, it } from 'vitest'
import { compareLineages, type Lineage } from '../../src/core/snapshot-graph.js'

/** Builds nodes from "child<-parent" strings; "a" alone is a root. */
function lineage(head: string | null, links: string[]): Lineage {
  return {
    head,
    nodes: links.map((l) => {
      const [id, parent] = l.split('<-')
      return { id: id!, parent: parent ?? null }
    })
  }
}

const base = ['a', 'b<-a', 'c<-b']
const cases: Array<[string, Lineage, Lineage, ReturnType<typeof compareLineages>]> = [
  ['both empty', lineage(null, []), lineage(null, []), { kind: 'same' }],
  ['same head', lineage('c', base), lineage('c', base), { kind: 'same', common: 'c' }],
  ['local empty', lineage(null, []), lineage('c', base), { kind: 'fast-forward' }],
  ['remote empty', lineage('c', base), lineage(null, []), { kind: 'ahead' }],
  ['remote ahead of us', lineage('b', ['a', 'b<-a']), lineage('c', base), { kind: 'fast-forward', common: 'b' }],
  ['we are ahead', lineage('c', base), lineage('a', ['a']), { kind: 'ahead', common: 'a' }],
  ['diverged after b', lineage('d', [...base, 'd<-b']), lineage('c', base), { kind: 'diverged', common: 'b' }],
  ['diverged at root', lineage('x', ['a', 'x<-a']), lineage('y', ['a', 'y<-a']), { kind: 'diverged', common: 'a' }],
  ['unrelated', lineage('c', base), lineage('z', ['y', 'z<-y']), { kind: 'unrelated' }],
  // Local pruned b; the remote still knows c<-b<-a, so the link is found through it.
  ['pruned locally, link known remotely', lineage('c', ['a', 'c<-b']), lineage('d', [...base, 'd<-c']), { kind: 'fast-forward', common: 'c' }],
  ['diverged, fork found through remote links', lineage('e', ['e<-b']), lineage('c', base), { kind: 'diverged', common: 'b' }],
  ['long fast-forward', lineage('a', ['a']), lineage('f', ['a', 'b<-a', 'c<-b', 'd<-c', 'e<-d', 'f<-e']), { kind: 'fast-forward', common: 'a' }],
  ['chain broken by pruning on both sides', lineage('c', ['c<-b']), lineage('d', ['d<-a']), { kind: 'unrelated' }],
  ['cycle in bad data terminates', lineage('p', ['p<-q', 'q<-p']), lineage('r', ['r']), { kind: 'unrelated' }]
]

describe('compareLineages', () => {
  it.each(cases)('%s', (_name, local, remote, expected) => {
    expect(compareLineages(local, remote)).toEqual(expected)
  })

  it('is symmetric for ahead / fast-forward', () => {
    const older = lineage('b', ['a', 'b<-a'])
    const newer = lineage('c', base)
    expect(compareLineages(older, newer).kind).toBe('fast-forward')
    expect(compareLineages(newer, older).kind).toBe('ahead')
  })
})
