#!/usr/bin/env node
// React's development build makes every console frame several times slower.
process.env.NODE_ENV ??= 'production'
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
