// http-counter: a tiny stateful HTTP app for Shoal. No dependencies.
//
//   POST /records   appends the request body as a record; answers 201 only once the record
//                   is on disk (written and fsync'ed), so an acknowledged write survives a crash
//   GET  /records   every record, as JSON
//   GET  /count     {"count": N}
//   GET  /health    200 once the data is loaded
//
// Environment: PORT (listen on 127.0.0.1:PORT), SHOAL_DATA (data folder), SHOAL_NODE, SHOAL_APP.
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'

const MAX_BODY = 64 * 1024
const port = Number(process.env.PORT ?? 8080)
const dataDir = process.env.SHOAL_DATA ?? path.resolve('data')
const file = path.join(dataDir, 'records.jsonl')

fs.mkdirSync(dataDir, { recursive: true })
const records = loadRecords()
const fd = fs.openSync(file, 'a')
// Make the file's directory entry durable too, or a crash could lose the whole file.
const dirFd = fs.openSync(dataDir, 'r')
fs.fsyncSync(dirFd)
fs.closeSync(dirFd)

function loadRecords() {
  let text = ''
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    if (err.code !== 'ENOENT') throw err
  }
  const out = []
  for (const line of text.split('\n')) {
    if (!line) continue
    try {
      out.push(JSON.parse(line))
    } catch {
      // A torn last line (crash mid-write) was never acknowledged: drop it.
    }
  }
  return out
}

// Group commit: writes that arrive while an fsync runs share the next one.
let queue = []
let flushing = false
function append(record) {
  return new Promise((resolve, reject) => {
    queue.push({ record, resolve, reject })
    if (!flushing) flush()
  })
}
function flush() {
  const batch = queue
  queue = []
  if (batch.length === 0) {
    flushing = false
    return
  }
  flushing = true
  const bytes = batch.map((b) => JSON.stringify(b.record) + '\n').join('')
  fs.write(fd, bytes, (err) => {
    if (err) return settle(batch, err)
    fs.fdatasync(fd, (err2) => settle(batch, err2))
  })
}
function settle(batch, err) {
  for (const b of batch) {
    if (err) b.reject(err)
    else {
      records.push(b.record)
      b.resolve(b.record)
    }
  }
  flush()
}

function send(res, status, value) {
  const body = JSON.stringify(value) + '\n'
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

let nextId = records.length
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost')
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true })
  if (req.method === 'GET' && url.pathname === '/count') return send(res, 200, { count: records.length, node: process.env.SHOAL_NODE ?? null })
  if (req.method === 'GET' && (url.pathname === '/records' || url.pathname === '/')) {
    return send(res, 200, { count: records.length, node: process.env.SHOAL_NODE ?? null, records })
  }
  if (req.method === 'POST' && (url.pathname === '/records' || url.pathname === '/')) {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_BODY) {
        send(res, 413, { error: `body larger than ${MAX_BODY} bytes` })
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => {
      const record = { id: nextId++, at: new Date().toISOString(), body: Buffer.concat(chunks).toString('utf8') }
      append(record).then(
        (r) => send(res, 201, r),
        (err) => send(res, 500, { error: String(err) })
      )
    })
    return
  }
  send(res, 404, { error: 'try GET /records, GET /count or POST /records' })
})
server.keepAliveTimeout = 65_000
server.listen(port, '127.0.0.1', () => console.log(`http-counter: ${records.length} records, listening on 127.0.0.1:${port}`))

// Finish acknowledged work, then exit: Shoal sends SIGTERM before it moves the app.
process.on('SIGTERM', () => {
  console.log('http-counter: SIGTERM, closing')
  server.close()
  server.closeIdleConnections()
  const wait = () => (flushing || queue.length ? setTimeout(wait, 5) : process.exit(0))
  wait()
})
