// tcp-echo: a TCP app for Shoal. Echoes every byte back; a client's half-close (FIN) is
// answered by closing too. Counts connections in $SHOAL_DATA/connections (written on exit).
// No dependencies.
import net from 'node:net'
import fs from 'node:fs'
import path from 'node:path'

const port = Number(process.env.PORT ?? 7000)
const dataDir = process.env.SHOAL_DATA ?? path.resolve('data')
const counterFile = path.join(dataDir, 'connections')
fs.mkdirSync(dataDir, { recursive: true })
let total = Number((() => {
  try {
    return fs.readFileSync(counterFile, 'utf8')
  } catch {
    return '0'
  }
})()) || 0

const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
  total++
  socket.on('error', () => socket.destroy())
  socket.pipe(socket)
})
server.listen(port, '127.0.0.1', () => console.log(`tcp-echo: listening on 127.0.0.1:${port} (${total} connections so far)`))

let saved = total
function save() {
  // Only when it changed: every write is a change Shoal snapshots and replicates.
  if (total === saved) return
  fs.writeFileSync(counterFile + '.tmp', String(total))
  fs.renameSync(counterFile + '.tmp', counterFile)
  saved = total
}
setInterval(save, 1000).unref()
process.on('SIGTERM', () => {
  save()
  server.close()
  process.exit(0)
})
