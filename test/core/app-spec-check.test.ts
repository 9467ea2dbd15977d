import { describe, expect, it } from 'vitest'
import { checkSpec } from '../../src/core/app-spec-check.js'
import type { AppSpec } from '../../src/core/app-types.js'

const spec = (over: Partial<AppSpec> = {}) => ({ name: 'shop', cmd: 'run', env: {}, httpHosts: [], tcpPort: 0, replicas: 2, health: '', ...over })
const nodes = [
  { name: 'web-1', httpPort: 8080, dataPort: 7946, portOffset: 0 },
  { name: 'web-2', httpPort: 18541, portOffset: 10 }
]

describe('app spec checks', () => {
  it('refuse a TCP port that lands on a node’s own HTTP or data port, naming the node and the offset', () => {
    const refusal = (tcpPort: number) => {
      try {
        checkSpec(spec({ tcpPort }), [], { isNew: true, nodes })
        return null
      } catch (err) {
        return { code: (err as { code?: string }).code, message: (err as Error).message }
      }
    }
    expect(refusal(8080)).toEqual({ code: 'BAD_SPEC', message: "TCP port 8080 would be on web-1, which is web-1's HTTP port" })
    expect(refusal(7946)).toEqual({ code: 'BAD_SPEC', message: "TCP port 7946 would be on web-1, which is web-1's data port" })
    expect(refusal(18531)).toEqual({ code: 'BAD_SPEC', message: "TCP port 18531 would be 18541 on web-2 (its --port-offset is 10), which is web-2's HTTP port" })
    expect(refusal(65530)).toEqual({ code: 'BAD_SPEC', message: 'TCP port 65530 would be 65540 on web-2 (its --port-offset is 10): past 65535' })
    expect(refusal(7000)).toBeNull()
  })

  it('take host names and *. wildcards, nothing else', () => {
    for (const ok of ['shop.example.com', '*.example.com', 'localhost']) expect(() => checkSpec(spec({ httpHosts: [ok] }), [], { isNew: true })).not.toThrow()
    for (const bad of ['*foo.example.com', 'a.*.example.com', '*', '*.', 'shop_1.example.com']) {
      expect(() => checkSpec(spec({ httpHosts: [bad] }), [], { isNew: true })).toThrow(`"${bad}" is not a host name`)
    }
  })

  it('refuse a TCP port or host another app has', () => {
    const other = { ...spec({ name: 'other', tcpPort: 7000, httpHosts: ['a.test'] }), zone: '', pin: '', partitionPolicy: '', createdAt: 1, seed: '', hlc: { wall: 1, logical: 0 }, writer: 'x', deleted: false } as unknown as AppSpec
    expect(() => checkSpec(spec({ tcpPort: 7000 }), [other], { isNew: true })).toThrow('TCP port 7000 is already taken by other')
    expect(() => checkSpec(spec({ httpHosts: ['a.test'] }), [other], { isNew: true })).toThrow('host a.test is already routed to other')
    expect(() => checkSpec(spec({ tcpPort: 7000 }), [{ ...other, deleted: true }], { isNew: true })).not.toThrow()
  })
})
