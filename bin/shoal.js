#!/usr/bin/env node
import { main } from '../dist/cli/main.js'

// Commands that ran a node have closed it when main resolves: exit even if a library still
// holds a handle open. (stdout and stderr are synchronous for files and pipes on Linux.)
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`shoal: ${err?.message ?? err}`)
    process.exit(1)
  }
)
