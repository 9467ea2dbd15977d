/** How each action is named in dialogs and messages. */
import type { ActionKind } from './console-reducer.js'

export function pickerTitle(action: ActionKind, app: string): string {
  switch (action) {
    case 'move': return `Move ${app} to which node?`
    case 'promote': return `Promote which replica of ${app} to master?`
    case 'pin': return `Pin ${app} to which node?`
    case 'drill': return `Failover drill on ${app}: which failure?`
    case 'unpin': return `Unpin ${app}?`
  }
}

export function confirmQuestion(action: ActionKind, app: string, target: string | null, master: string | null): string {
  switch (action) {
    case 'move': return `Move ${app} from ${master ?? 'nowhere'} to ${target}? Its connections pause briefly.`
    case 'promote': return `Promote ${target} to master of ${app} (now ${master ?? 'none'})?`
    case 'pin': return `Pin ${app} to ${target}? It moves there now if it runs elsewhere; if ${target} fails it fails over, and comes back once ${target} is alive again.`
    case 'drill': return `Run a ${target} failover drill on ${app}? Its master ${master ?? ''} will be made to fail, then restored.`
    // The load balancer is not built yet (README, "Limits known today"): nothing moves an app by load.
    case 'unpin': return `Unpin ${app}? It stays on ${master ?? 'its node'}: Shoal does not move apps by load yet, so only a move, a promote or a failover changes where it runs.`
  }
}

export function operationTitle(action: ActionKind, app: string, target: string | null): string {
  if (action === 'drill') return `drill ${target} on ${app}`
  if (action === 'unpin') return `unpin ${app}`
  return `${action} ${app} → ${target}`
}
