// Minimal typings for the Holepunch modules Shoal uses (they ship none).

declare module 'compact-encoding' {
  export interface State {
    start: number
    end: number
    buffer: Uint8Array
    cache?: unknown
  }
  export interface Encoding<T> {
    preencode(state: State, value: T): void
    encode(state: State, value: T): void
    decode(state: State): T
  }
  export function state(start?: number, end?: number, buffer?: Uint8Array | null): State
  export function encode<T>(enc: Encoding<T>, value: T): Buffer
  export function decode<T>(enc: Encoding<T>, buffer: Uint8Array): T
  export function array<T>(enc: Encoding<T>): Encoding<T[]>
  export function frame<T>(enc: Encoding<T>): Encoding<T>
  export const uint: Encoding<number>
  export const uint8: Encoding<number>
  export const uint16: Encoding<number>
  export const uint32: Encoding<number>
  export const uint64: Encoding<number>
  export const int: Encoding<number>
  export const float64: Encoding<number>
  export const bool: Encoding<boolean>
  export const string: Encoding<string>
  export const utf8: Encoding<string>
  export const buffer: Encoding<Buffer | null>
  export const raw: Encoding<Uint8Array>
  export const fixed32: Encoding<Buffer>
  export const fixed64: Encoding<Buffer>
  export const none: Encoding<null>
  const cenc: {
    state: typeof state
    encode: typeof encode
    decode: typeof decode
    array: typeof array
    frame: typeof frame
    uint: Encoding<number>
    uint8: Encoding<number>
    uint16: Encoding<number>
    uint32: Encoding<number>
    uint64: Encoding<number>
    int: Encoding<number>
    float64: Encoding<number>
    bool: Encoding<boolean>
    string: Encoding<string>
    utf8: Encoding<string>
    buffer: Encoding<Buffer | null>
    raw: Encoding<Uint8Array>
    fixed32: Encoding<Buffer>
    fixed64: Encoding<Buffer>
    none: Encoding<null>
  }
  export default cenc
}

declare module 'b4a' {
  const b4a: {
    from(s: string | Uint8Array | ArrayBuffer, enc?: string): Buffer
    toString(b: Uint8Array, enc?: string): string
    alloc(n: number, fill?: number): Buffer
    allocUnsafe(n: number): Buffer
    equals(a: Uint8Array, b: Uint8Array): boolean
    compare(a: Uint8Array, b: Uint8Array): number
    concat(list: Uint8Array[]): Buffer
    isBuffer(x: unknown): x is Buffer
  }
  export default b4a
}

declare module 'sodium-universal' {
  const sodium: {
    crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
    crypto_generichash_batch(out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array): void
    crypto_generichash_BYTES: number
    randombytes_buf(out: Uint8Array): void
    sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean
  }
  export default sodium
}

declare module 'protomux' {
  import type { Encoding } from 'compact-encoding'
  export interface Message<T = unknown> {
    send(value: T): boolean
  }
  export interface Channel {
    opened: boolean
    closed: boolean
    userData: unknown
    open(handshake?: unknown): void
    close(): void
    cork(): void
    uncork(): void
    addMessage<T>(opts: { encoding?: Encoding<T>; onmessage?: (value: T, channel: Channel) => void }): Message<T>
    messages: Message[]
  }
  export interface ChannelOptions {
    protocol: string
    id?: Uint8Array | null
    handshake?: Encoding<unknown>
    unique?: boolean
    userData?: unknown
    onopen?: (handshake: unknown, channel: Channel) => void | Promise<void>
    onclose?: (isRemote: boolean, channel: Channel) => void
    ondestroy?: (channel: Channel) => void
    ondrain?: (channel: Channel) => void
  }
  export default class Protomux {
    static from(stream: unknown, opts?: unknown): Protomux
    stream: unknown
    isIdle(): boolean
    createChannel(opts: ChannelOptions): Channel | null
    pair(opts: { protocol: string; id?: Uint8Array | null }, notify: (id: Uint8Array | null) => void | Promise<void>): void
    unpair(opts: { protocol: string; id?: Uint8Array | null }): void
    opened(opts: { protocol: string; id?: Uint8Array | null }): boolean
    destroy(err?: Error): void
    cork(): void
    uncork(): void
  }
}

declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'
  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }
  export interface DHTOptions {
    bootstrap?: Array<string | { host: string; port: number }>
    host?: string
    port?: number
    keyPair?: KeyPair
    ephemeral?: boolean
    firewalled?: boolean
  }
  export default class HyperDHT extends EventEmitter {
    constructor(opts?: DHTOptions)
    static keyPair(seed?: Uint8Array): KeyPair
    static bootstrapper(port: number, host: string, opts?: unknown): HyperDHT
    static hash(data: Uint8Array): Buffer
    ready(): Promise<void>
    fullyBootstrapped(): Promise<void>
    address(): { host: string; port: number }
    destroy(opts?: { force?: boolean }): Promise<void>
    destroyed: boolean
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht'
  export default function createTestnet(
    size?: number,
    opts?: { host?: string; port?: number; teardown?: (fn: () => Promise<void>) => void }
  ): Promise<{ nodes: HyperDHT[]; bootstrap: Array<{ host: string; port: number }>; destroy(): Promise<void> }>
}

declare module 'hyperswarm' {
  import type { EventEmitter } from 'node:events'
  import type HyperDHT from 'hyperdht'
  import type { KeyPair } from 'hyperdht'
  export interface SwarmConnection extends EventEmitter {
    remotePublicKey: Buffer
    publicKey: Buffer
    handshakeHash: Buffer
    rawStream?: { remoteHost?: string; remotePort?: number }
    destroyed: boolean
    write(data: Uint8Array): boolean
    end(): void
    destroy(err?: Error): void
  }
  export interface PeerInfo {
    publicKey: Buffer
    client: boolean
    ban(flag?: boolean): void
  }
  export interface Discovery {
    flushed(): Promise<void>
    destroy(): Promise<void>
    refresh(opts?: { client?: boolean; server?: boolean }): Promise<void>
  }
  export default class Hyperswarm extends EventEmitter {
    constructor(opts?: {
      keyPair?: KeyPair
      dht?: HyperDHT
      bootstrap?: Array<string | { host: string; port: number }>
      maxPeers?: number
      firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean
    })
    keyPair: KeyPair
    dht: HyperDHT
    connections: Set<SwarmConnection>
    join(topic: Uint8Array, opts?: { client?: boolean; server?: boolean }): Discovery
    leave(topic: Uint8Array): Promise<void>
    joinPeer(publicKey: Uint8Array): void
    leavePeer(publicKey: Uint8Array): void
    flush(): Promise<boolean>
    listen(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', fn: (conn: SwarmConnection, info: PeerInfo) => void): this
    on(event: string, fn: (...args: any[]) => void): this
  }
}

declare module '@hyperswarm/secret-stream' {
  import type { Duplex } from 'node:stream'
  import type { EventEmitter } from 'node:events'
  import type { KeyPair } from 'hyperdht'
  export default class NoiseSecretStream extends EventEmitter {
    constructor(isInitiator: boolean, rawStream: Duplex, opts?: { keyPair?: KeyPair })
    remotePublicKey: Buffer | null
    publicKey: Buffer | null
    destroyed: boolean
    write(data: Uint8Array): boolean
    end(): void
    destroy(err?: Error): void
    setKeepAlive(ms: number): void
    setTimeout(ms: number): void
  }
}
