/**
 * The whole screen for one state of the console, with no hooks into the node: a tab bar, the
 * body (a list, details or help, with a dialog below it) and a status bar. It never draws more
 * than rows − 1 lines, so Ink redraws in place instead of clearing the terminal.
 */
import type { ReactElement } from 'react'
import { Box, Text } from 'ink'
import { AppsView } from './AppsView.js'
import { ConfirmDialog, confirmDialogHeight } from './ConfirmDialog.js'
import type { ConsoleState } from './console-reducer.js'
import { DetailsView } from './DetailsView.js'
import { DIALOG_CHROME } from './DialogBox.js'
import { EventsView } from './EventsView.js'
import { HelpOverlay } from './HelpOverlay.js'
import { NodesView } from './NodesView.js'
import { OPERATION_MAX_ROWS, OPERATION_ROWS } from './operation-panel-lines.js'
import { OperationPanel, operationPanelHeight } from './OperationPanel.js'
import type { ScreenRows } from './screen-rows.js'
import { StatusBar } from './StatusBar.js'
import { TabBar } from './TabBar.js'
import { PICKER_ROWS, TargetPicker } from './TargetPicker.js'
import type { AppDetailData } from './use-app-details.js'
import type { ClusterPoll } from './use-cluster-poll.js'
import type { TerminalSize } from './use-terminal-size.js'

export const MIN_COLUMNS = 40
export const MIN_ROWS = 10
/** Rows of the list kept above a dialog. */
const MIN_LIST_ROWS = 2

export interface ConsoleScreenProps {
  state: ConsoleState
  rows: ScreenRows
  poll: ClusterPoll
  appDetail: AppDetailData | null
  size: TerminalSize
  now: number
  /** Shown first in the help overlay (see App). */
  notes?: readonly string[]
}

export function ConsoleScreen({ state, rows, poll, appDetail, size, now, notes }: ConsoleScreenProps) {
  const { columns, rows: height } = size
  if (columns < MIN_COLUMNS || height < MIN_ROWS) {
    return <Text wrap="truncate-end">Terminal too small ({columns}×{height}); Shoal needs {MIN_COLUMNS}×{MIN_ROWS}. q quits.</Text>
  }
  const body = height - 3
  const dialog = dialogElement(state, rows, columns, body)
  const listHeight = Math.max(MIN_LIST_ROWS, body - (dialog?.height ?? 0))
  const dialogOpen = dialog !== null
  return (
    <Box flexDirection="column" width={columns} height={height - 1}>
      <TabBar view={state.view} nodes={poll.nodes} apps={poll.apps} readOnly={state.readOnly} width={columns} />
      <Box flexDirection="column" height={body} overflowY="hidden">
        {state.dialog.kind === 'help'
          ? <HelpOverlay height={body} readOnly={state.readOnly} notes={notes} />
          : <>
              {bodyElement(state, rows, poll, appDetail, columns, listHeight, now, !dialogOpen)}
              {dialog?.element}
            </>}
      </Box>
      <StatusBar state={state} pollError={poll.error} width={columns} />
    </Box>
  )
}

function bodyElement(state: ConsoleState, rows: ScreenRows, poll: ClusterPoll, appDetail: AppDetailData | null, width: number, height: number, now: number, showCursor: boolean) {
  if (!poll.loaded) return <Box height={height}><Text>{poll.error ? `Cannot reach the node: ${poll.error}` : 'Connecting to the node…'}</Text></Box>
  if (state.details) {
    return <DetailsView details={state.details} nodes={poll.nodes} apps={poll.apps} history={poll.history} appDetail={appDetail} width={width} height={height} now={now} />
  }
  switch (state.view) {
    case 'nodes': return <NodesView nodes={rows.nodes} history={poll.history} cursor={state.cursor.nodes} width={width} height={height} showCursor={showCursor} />
    case 'apps': return <AppsView apps={rows.apps} cursor={state.cursor.apps} width={width} height={height} now={now} showCursor={showCursor} />
    case 'events': return <EventsView events={rows.events} cursor={state.cursor.events} width={width} height={height} showCursor={showCursor} />
  }
}

function dialogElement(state: ConsoleState, rows: ScreenRows, width: number, body: number): { element: ReactElement; height: number } | null {
  const d = state.dialog
  switch (d.kind) {
    case 'picker': {
      const app = rows.selectedApp
      const replicas = new Set(app?.replicas.map((r) => r.node) ?? [])
      const note = d.action === 'drill' ? undefined : (o: string) => (o === app?.master ? '(master)' : replicas.has(o) ? '(replica)' : '')
      return { element: <TargetPicker action={d.action} app={d.app} options={d.options} index={d.index} note={note} width={width} />, height: Math.min(PICKER_ROWS, d.options.length) + DIALOG_CHROME }
    }
    case 'confirm': {
      const props = { action: d.action, app: d.app, target: d.target, master: rows.selectedApp?.master ?? null, width }
      return { element: <ConfirmDialog {...props} />, height: confirmDialogHeight(props) }
    }
    case 'operation': {
      if (!state.operation) return null
      // A finished operation may take more lines (a drill's report), never the whole list.
      const maxRows = Math.max(OPERATION_ROWS, Math.min(OPERATION_MAX_ROWS, body - DIALOG_CHROME - MIN_LIST_ROWS))
      return { element: <OperationPanel operation={state.operation} width={width} maxRows={maxRows} />, height: operationPanelHeight(state.operation, width, maxRows) }
    }
    default:
      return null
  }
}
