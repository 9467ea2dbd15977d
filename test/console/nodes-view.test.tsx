/** The Nodes list as an operator reads it: every column readable, widths shared sensibly. */
import { describe, expect, it, onTestFinished } from 'vitest'
import { render } from 'ink-testing-library'
import type { NodeStatus } from '../../src/control/types.js'
import { NodesView } from '../../src/console/NodesView.js'

const node = (name: string, zone: string, self = false): NodeStatus => ({
  id: `${name}-id`, name, zone, status: 'alive', rttMs: self ? 0 : 1.2, cpu: 0.3, mem: 0.5, apps: 2, addresses: [], self, incarnation: 1, capacity: 1, version: '0', httpPort: 0, dataPort: null, portOffset: 0, rssBytes: 0
})
const racks = [node('alpha', 'rack-1', true), node('beta', 'rack-2'), node('gamma', 'rack-3')]

function frame(nodes: readonly NodeStatus[], width: number): string[] {
  const ui = render(<NodesView nodes={nodes} history={new Map()} cursor={0} width={width} height={8} />)
  onTestFinished(() => ui.unmount())
  return (ui.lastFrame() ?? '').split('\n')
}

describe('NodesView column widths', () => {
  for (const width of [80, 100, 120]) {
    it(`shows zones like rack-1 whole at ${width} columns`, () => {
      const lines = frame(racks, width)
      expect(lines[0]).toMatch(/NODE\s+ZONE\s+STATUS/)
      expect(lines.find((l) => l.includes('alpha*'))).toMatch(/alpha\*\s+rack-1\s+alive/)
      expect(lines.find((l) => l.includes('beta'))).toMatch(/beta\s+rack-2\s+alive/)
      expect(lines.find((l) => l.includes('gamma'))).toMatch(/gamma\s+rack-3\s+alive/)
      expect(lines.join('\n')).not.toContain('rack…')
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(width)
    })
  }

  it('short names take a short column; spare width goes to the load bars, not to NODE', () => {
    const header = frame(racks, 120)[0]!
    const zoneAt = header.indexOf('ZONE')
    // "  " cursor mark + "alpha*" + a gap: ZONE starts well before column 20.
    expect(zoneAt).toBeLessThan(20)
    const row = frame(racks, 120).find((l) => l.includes('alpha*'))!
    const cpuBar = /[█▏▎▍▌▋▊▉·]+/.exec(row)![0]
    expect(cpuBar.length).toBeGreaterThan(9)
  })

  it('a long name is shown whole when there is room, and cut (not the zone) when there is not', () => {
    const long = [node('worker-eu-west-17', 'rack-1', true), node('beta', 'rack-2')]
    expect(frame(long, 120).find((l) => l.includes('worker'))).toMatch(/worker-eu-west-17\*\s+rack-1\s+alive/)
    expect(frame(long, 80).find((l) => l.includes('worker'))).toMatch(/worker-eu-west-17\*\s+rack-1\s+alive/)
  })
})
