// Autosave: every change is queued, the latest wins, and it is written after a short pause
// in typing (or at once on flush: leaving the page, closing the window). Saves never overlap,
// so an older text can never land after a newer one.

export type SaveState = 'idle' | 'pending' | 'saving' | 'saved' | 'error'

export interface Autosaver<T> {
  change(value: T): void
  flush(): Promise<void>
  state(): SaveState
  lastError(): unknown
}

export function autosaver<T>(
  save: (value: T) => Promise<void>,
  delayMs: number,
  onState: (s: SaveState) => void = () => {},
): Autosaver<T> {
  let queued: { value: T } | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  let running: Promise<void> | null = null
  let current: SaveState = 'idle'
  let error: unknown = null
  const set = (s: SaveState) => {
    current = s
    onState(s)
  }

  async function drain(): Promise<void> {
    while (queued) {
      const { value } = queued
      queued = null
      set('saving')
      try {
        await save(value)
        error = null
        set(queued ? 'pending' : 'saved')
      } catch (e) {
        error = e
        // Keep the value so the next change or flush retries it.
        if (!queued) queued = { value }
        set('error')
        return
      }
    }
  }

  function run(): Promise<void> {
    if (!running) {
      running = drain().finally(() => {
        running = null
      })
    }
    return running
  }

  return {
    change(value: T) {
      queued = { value }
      set('pending')
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => {
        timer = null
        void run()
      }, delayMs)
    },
    async flush() {
      if (timer) {
        clearTimeout(timer)
        timer = null
      }
      if (running) await running
      if (queued) await run()
    },
    state: () => current,
    lastError: () => error,
  }
}
