/**
 * The words `shoal COMMAND --help` prints: each command's synopsis, as the README's CLI table
 * writes it, and what each flag means. Which flags a command takes comes from its parse()
 * options, so a flag missing here still shows up (and the help test says it is undocumented).
 */

export interface FlagText {
  /** What the value stands for (`DIR`, `N`); absent for a flag that takes none. */
  value?: string
  text: string
}

export interface CommandUsage {
  /** What follows `shoal` on the command line. */
  synopsis: string
  /** One sentence; top-level commands use their module's `summary` instead. */
  what?: string
  /** This command's own meaning of a flag, over COMMON_FLAGS. */
  flags?: Record<string, FlagText>
  /** A command whose first argument names a subcommand (`app add`): their paths. */
  subcommands?: string[]
}

/** Flags that mean the same for every command that takes them. */
export const COMMON_FLAGS: Record<string, FlagText> = {
  home: { value: 'DIR', text: "the node's home folder (default $SHOAL_HOME, else ~/.shoal)" },
  json: { text: 'print JSON instead of text' }
}

export const USAGE: Record<string, CommandUsage> = {
  init: { synopsis: 'init [--json]' },
  bootstrap: {
    synopsis: 'bootstrap --host H [--port P]',
    flags: {
      host: { value: 'H', text: 'the address to listen on, which other nodes reach it at' },
      port: { value: 'P', text: 'UDP port (default 49737; 0 lets the OS choose)' }
    }
  },
  up: {
    synopsis:
      'up --home DIR --cluster KEY [--name N] [--zone Z] [--bootstrap h:p,…] [--host ADDR] [--advertise ADDR,…] [--http-port P] [--data-port P | --no-data-port] [--replication-limit MB] [--port-offset N] [--capacity W] [--ssh-port P --authorized-keys FILE] [--partition-policy available|majority] [--prefer-tunnel] [--no-standby | --standby-every S]',
    flags: {
      home: { value: 'DIR', text: "this node's home folder: identity, apps, snapshots (default $SHOAL_HOME, else ~/.shoal)" },
      cluster: { value: 'KEY', text: 'the cluster key from shoal init (default $SHOAL_CLUSTER)' },
      name: { value: 'N', text: "this node's name (default: the host name)" },
      zone: { value: 'Z', text: 'the zone (rack, site) this node is in: copies of an app spread over zones' },
      bootstrap: { value: 'h:p,…', text: "private DHT bootstrap nodes (default: hyperswarm's public ones)" },
      host: { value: 'ADDR', text: 'the address to bind (default: every interface)' },
      advertise: { value: 'ADDR,…', text: 'addresses other nodes reach this one at, in the order to try' },
      'http-port': { value: 'P', text: 'port for HTTP to every app, routed by Host (default 0: the OS chooses)' },
      'data-port': { value: 'P', text: 'port for direct replication between nodes (default 0: the OS chooses)' },
      'no-data-port': { text: 'no data port: replication goes over the mesh (slower)' },
      'replication-limit': { value: 'MB', text: 'cap each transfer this node sends at MB megabytes per second' },
      'port-offset': { value: 'N', text: "add N to every app's TCP port on this node" },
      capacity: { value: 'W', text: 'how much work this node takes relative to others (default 1)' },
      'ssh-port': { value: 'P', text: 'serve the console over SSH on this port (with --authorized-keys)' },
      'authorized-keys': { value: 'FILE', text: 'the keys let in over SSH (a shoal-read-only line makes a key read-only)' },
      'partition-policy': { value: 'available|majority', text: 'default for apps in a split: keep serving (available), or promote only with a majority in sight' },
      'prefer-tunnel': { text: 'forward requests through mesh tunnels even when an address answers' },
      'no-standby': { text: 'keep no checked-out standby copy of replicated apps (saves disk, slower takeover)' },
      'standby-every': { value: 'S', text: 'refresh each standby copy at most every S seconds (default 30)' }
    }
  },
  status: { synopsis: 'status [--json]' },
  events: {
    synopsis: 'events [--history N] [--json]',
    flags: { history: { value: 'N', text: 'first replay the N most recent events (default 20)' } }
  },
  apps: { synopsis: 'apps [--json]' },
  app: {
    synopsis: 'app add|rm|scale …',
    subcommands: ['app add', 'app rm', 'app scale']
  },
  'app add': {
    synopsis: 'app add NAME --cmd CMD [--data DIR] [--http-host HOST]… [--tcp-port P] [--replicas N] [--zone Z] [--pin NODE] [--health http:/PATH|tcp|none] [--env K=V]… [--partition-policy available|majority]',
    what: 'add an app from any node',
    flags: {
      cmd: { value: 'CMD', text: 'the command that runs the app (under /bin/sh -c, with PORT and SHOAL_DATA set)' },
      data: { value: 'DIR', text: "a folder on this node to start the app's data from" },
      'http-host': { value: 'HOST', text: 'a host name routed to the app by every node' },
      'tcp-port': { value: 'P', text: 'a TCP port every node forwards to the app' },
      replicas: { value: 'N', text: 'copies of the data, the master included (default 2)' },
      zone: { value: 'Z', text: 'the zone the master should be in' },
      pin: { value: 'NODE', text: 'keep the app on this node' },
      health: { value: 'http:/PATH|tcp|none', text: 'how to tell the app is up: a 2xx from PATH, a connection to PORT, or none (default: tcp)' },
      env: { value: 'K=V', text: 'an environment variable for the app' },
      'partition-policy': { value: 'available|majority', text: "in a split: keep serving (available), or promote only with a majority in sight (default: the node's)" }
    }
  },
  'app rm': { synopsis: 'app rm NAME', what: "remove an app (each node keeps its data in <home>/apps/NAME until you delete it)" },
  'app scale': { synopsis: 'app scale NAME N', what: 'change the number of copies of an app (the master counts)' },
  logs: {
    synopsis: 'logs APP [-f] [--lines N]',
    flags: {
      follow: { text: 'keep printing new lines until Ctrl-C' },
      lines: { value: 'N', text: 'how many of the latest lines to print first (default 100)' }
    }
  },
  snapshots: { synopsis: 'snapshots APP [--json]' },
  snapshot: { synopsis: 'snapshot checkout APP SNAP DIR', subcommands: ['snapshot checkout'] },
  'snapshot checkout': { synopsis: 'snapshot checkout APP SNAP DIR [--json]', what: 'materialise a snapshot this node holds into a new folder' },
  move: { synopsis: 'move APP NODE [--json]' },
  promote: { synopsis: 'promote APP NODE [--json]' },
  pin: { synopsis: 'pin APP NODE [--json]' },
  unpin: { synopsis: 'unpin APP' },
  stash: { synopsis: 'stash ls | checkout ID DIR | drop ID [--yes]', subcommands: ['stash ls', 'stash checkout', 'stash drop'] },
  'stash ls': { synopsis: 'stash ls [--json]', what: 'the stashes on every node: writes kept from a master that lost a failover' },
  'stash checkout': { synopsis: 'stash checkout ID DIR [--json]', what: 'materialise a stash this node holds into a new folder' },
  'stash drop': {
    synopsis: 'stash drop ID [--yes] [--json]',
    what: 'remove a stash wherever it is held',
    flags: { yes: { text: 'do not ask for confirmation' } }
  },
  drill: {
    synopsis: 'drill failover APP --mode crash|partition|graceful [--duration S] [--probe-path /records] [--whole-node] [--json]',
    flags: {
      mode: { value: 'crash|partition|graceful', text: 'kill the master, cut it off, or move it away in a planned promote' },
      duration: { value: 'S', text: 'how long the fault lasts, in seconds (default 10)' },
      'probe-path': { value: 'PATH', text: 'the path the probe writes to through the other nodes (default /records)' },
      'whole-node': { text: 'run a crash or partition drill even though it hits other apps on the master’s node' }
    }
  },
  console: {
    synopsis: 'console [--read-only]',
    flags: { 'read-only': { text: 'only look: every action is refused' } }
  },
  demo: {
    synopsis: 'demo [--http-port P] [--ssh-port P] [--no-console]',
    flags: {
      'http-port': { value: 'P', text: "the first node's HTTP port; the others take the next ones (default 8081)" },
      'ssh-port': { value: 'P', text: 'the console over SSH on the first node (default 2222)' },
      'no-console': { text: 'do not open the console: print how to reach the cluster and wait for Ctrl-C' }
    }
  }
}
