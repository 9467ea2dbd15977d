import { readFileSync } from 'node:fs'

/** This build's version, from package.json (read once at start-up). */
export const SOFTWARE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
})()
