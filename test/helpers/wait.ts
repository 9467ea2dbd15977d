/**
 * Polls `check` until it returns a truthy value or the deadline passes. `what` names what is
 * awaited; as a function it is read at the timeout, so it can tell what was last seen.
 */
export async function waitFor<T>(check: () => T | Promise<T>, what: string | (() => string), timeoutMs = 15_000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v) return v as NonNullable<T>
      last = undefined
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}${last ? `: ${String(last)}` : ''}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** What `shoal apps --json` says of one app, as far as waiting for replication needs. */
interface AppSeen {
  state: string
  replicas: Array<{ snapshot: string | null }>
}

/**
 * Waits until `read()` shows the app running with `replicas` replicas that each hold a snapshot.
 * On a timeout the error carries the last record seen.
 */
export async function waitForReplicated(read: () => Promise<AppSeen | undefined>, replicas: number, timeoutMs = 30_000): Promise<void> {
  let seen: AppSeen | undefined
  await waitFor(
    async () => {
      const a = (seen = await read())
      return a?.state === 'running' && a.replicas.length === replicas && a.replicas.every((r) => r.snapshot !== null)
    },
    () => `the app running with ${replicas} replicas that hold a snapshot (last seen: ${JSON.stringify(seen)})`,
    timeoutMs
  )
}
