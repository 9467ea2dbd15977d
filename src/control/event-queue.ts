/**
 * A push-to-pull adapter: producers `push` values, `end` or `fail`; one consumer iterates.
 * `onReturn` runs when the consumer stops early (e.g. `break`), to cancel the producer.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly values: T[] = []
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null
  private done = false
  private error: unknown = null

  constructor(private readonly onReturn: () => void = () => {}) {}

  push(value: T): void {
    if (this.done) return
    if (this.waiting !== null) {
      const w = this.waiting
      this.waiting = null
      w.resolve({ value, done: false })
    } else this.values.push(value)
  }

  end(): void {
    if (this.done) return
    this.done = true
    this.waiting?.resolve({ value: undefined as never, done: true })
    this.waiting = null
  }

  fail(err: unknown): void {
    if (this.done) return
    this.done = true
    this.error = err
    this.waiting?.reject(err)
    this.waiting = null
  }

  next(): Promise<IteratorResult<T>> {
    if (this.values.length > 0) return Promise.resolve({ value: this.values.shift()!, done: false })
    if (this.error !== null) return Promise.reject(this.error)
    if (this.done) return Promise.resolve({ value: undefined as never, done: true })
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }))
  }

  /** Stops iterating: a `next()` already waiting settles as done (the consumer may be parked in it). */
  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true
      this.onReturn()
    }
    this.values.length = 0
    this.waiting?.resolve({ value: undefined as never, done: true })
    this.waiting = null
    return Promise.resolve({ value: undefined as never, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }
}
