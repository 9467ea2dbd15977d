/** The signals an operator stops a following command with: Ctrl-C, and `kill` / `timeout` / systemd. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const

/**
 * Hands each value of a streamed control call to `onValue` until the stream ends (`'ended'`) or
 * the first SIGINT or SIGTERM arrives (`'stopped'`: the stream is cancelled, which settles the
 * `next()` it waits in). The caller closes the control connection after.
 */
export async function followUntilStopped<T>(stream: AsyncIterableIterator<T>, onValue: (value: T) => void): Promise<'ended' | 'stopped'> {
  let stopped = false
  const stop = () => {
    stopped = true
    stream.return?.().catch(() => {})
  }
  for (const s of STOP_SIGNALS) process.on(s, stop)
  try {
    for await (const value of stream) onValue(value)
    return stopped ? 'stopped' : 'ended'
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, stop)
  }
}
