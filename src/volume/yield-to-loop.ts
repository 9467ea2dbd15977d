/** Lets the event loop run whatever is waiting (I/O callbacks, timers) before going on. */
export const yieldToLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve))
