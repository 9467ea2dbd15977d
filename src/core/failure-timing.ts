/**
 * How long a suspect member has to refute before it is declared dead. It grows with the log of
 * the cluster size, as in memberlist, because suspicion takes longer to reach everyone (and so
 * to reach the suspect) in a larger cluster.
 */
export function suspicionTimeoutMs(baseMs: number, members: number): number {
  return Math.round(baseMs * Math.max(1, Math.log10(Math.max(1, members))))
}
