import os from 'node:os'

/** True for an address that means "every interface" when bound, and nothing useful when dialled. */
export function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]'
}

/**
 * The addresses a node tells the others to reach its fronts at, in the order they should try
 * them: the operator's list (--advertise) if given; else the address it binds (--host), unless
 * that is every interface; else each IPv4 address of its interfaces. Other nodes use one only
 * once a front link shows it leads to this node (node/routes.ts), so a wrong one costs a try,
 * not a misrouted request.
 */
export function advertisedAddresses(opts: { advertise?: string[]; host?: string }): string[] {
  if (opts.advertise !== undefined && opts.advertise.length > 0) return opts.advertise
  if (opts.host !== undefined && !isWildcard(opts.host)) return [opts.host]
  return interfaceAddresses()
}

function interfaceAddresses(): string[] {
  const out: string[] = []
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') out.push(a.address)
  }
  return out.slice(0, 8)
}
