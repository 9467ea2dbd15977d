/**
 * tsx scripts/profile-summary.ts FILE.cpuprofile…: where a process's busy time went, by kind of
 * work (the write system call, Node streams, Shoal's proxy, its tunnel and links, GC…), for the
 * CPU profiles `BENCH_PROFILE=DIR npm run bench:proxy` writes for every party. It is how the
 * notes on the proxy's cost were read: on a 2-vCPU VM, most of a front's time is spent inside
 * write() (the kernel delivers the bytes to the process reading them, and wakes it, there).
 */
import fs from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** The kind of work a sampled function does. */
function kind(fn: string, url: string): string {
  if (fn === '(idle)') return 'idle'
  if (fn === '(garbage collector)') return 'garbage collection'
  if (fn === '(program)') return 'native, outside JavaScript (reads, polling)'
  if (fn === 'writeBuffer' || fn === 'writev' || fn === 'writeUtf8String' || fn === 'writeLatin1String') return 'write() system call'
  if (url.includes('internal/streams')) return 'Node streams'
  if (url.includes('stream_base_commons') || url.startsWith('node:net')) return 'Node sockets'
  if (url.includes('/mesh/') || url.includes('/protocol/')) return 'Shoal tunnel, links, framing'
  if (url.includes('/proxy/')) return 'Shoal HTTP and TCP fronts'
  if (url.startsWith('node:')) return 'Node, other'
  return 'other'
}

function summarize(file: string): void {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
  const time = new Map<number, number>()
  p.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)))
  const byKind = new Map<string, number>()
  for (const n of p.nodes) {
    const k = kind(n.callFrame.functionName, n.callFrame.url)
    byKind.set(k, (byKind.get(k) ?? 0) + (time.get(n.id) ?? 0))
  }
  const busy = [...byKind].filter(([k]) => k !== 'idle').reduce((a, [, t]) => a + t, 0)
  console.log(`${file}: ${(busy / 1e6).toFixed(1)} s busy`)
  for (const [k, t] of [...byKind].filter(([k]) => k !== 'idle').sort((a, b) => b[1] - a[1])) {
    console.log(`  ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${k}`)
  }
}

const files = process.argv.slice(2)
if (files.length === 0) {
  console.error('usage: tsx scripts/profile-summary.ts FILE.cpuprofile…')
  process.exit(2)
}
for (const f of files) summarize(f)
