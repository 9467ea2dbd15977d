#!/usr/bin/env node
// React's development build makes every console frame several times slower.
process.env.NODE_ENV ??= 'production'
// Ink draws only a final frame when the CI variable says it runs in CI; the console is
// interactive by definition (a terminal, or an SSH session served by `up`), so it must draw.
const command = process.argv[2]
if (command === 'console' || command === 'demo' || (command === 'up' && process.argv.some((a) => a.startsWith('--ssh-port')))) {
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
}
// Whoever reads our output may go first (`shoal up | tee log` gets the same Ctrl-C): a node must
// still leave gracefully, not die of a write to a closed pipe.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err?.code !== 'EPIPE') throw err
  })
}
const { main } = await import('../dist/cli/main.js')

// Commands that ran a node have closed it when main resolves: exit even if a library still
// holds a handle open. (stdout and stderr are synchronous for files and pipes on Linux.)
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`shoal: ${err?.message ?? err}`)
    process.exit(1)
  }
)
