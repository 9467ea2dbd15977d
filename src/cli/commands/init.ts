import { newClusterKey } from '../../mesh/admission.js'
import { parse } from '../args.js'

export const summary = 'print a new cluster key'

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean', default: false } })
  const key = newClusterKey().toString('hex')
  if (values.json) {
    console.log(JSON.stringify({ clusterKey: key }))
    return 0
  }
  console.log(key)
  console.error(
    [
      '',
      'This is your cluster key: anyone who has it can join the cluster, so keep it secret.',
      'Start a node on each server with it:',
      `  shoal up --home ~/.shoal --cluster ${key} --name NAME`
    ].join('\n')
  )
  return 0
}
