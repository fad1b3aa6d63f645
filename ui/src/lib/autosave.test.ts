import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { autosaver, type SaveState } from './autosave'

describe('autosave', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('writes once after a pause in typing, with the latest text', async () => {
    const saved: string[] = []
    const a = autosaver<string>(async (v) => void saved.push(v), 400)
    a.change('脱')
    a.change('脱岗')
    a.change('脱岗二十分钟')
    expect(saved).toEqual([])
    await vi.advanceTimersByTimeAsync(400)
    expect(saved).toEqual(['脱岗二十分钟'])
    expect(a.state()).toBe('saved')
  })

  it('flush writes at once, so leaving the page loses nothing', async () => {
    const saved: string[] = []
    const a = autosaver<string>(async (v) => void saved.push(v), 10_000)
    a.change('未一次性告知')
    await a.flush()
    expect(saved).toEqual(['未一次性告知'])
  })

  it('never lets an older text land after a newer one', async () => {
    const saved: string[] = []
    let release: () => void = () => {}
    const a = autosaver<string>(
      (v) => new Promise<void>((done) => {
        release = () => {
          saved.push(v)
          done()
        }
      }),
      10,
    )
    a.change('first')
    await vi.advanceTimersByTimeAsync(10) // 'first' is being written
    a.change('second')
    await vi.advanceTimersByTimeAsync(10) // queued behind it, not beside it
    release()
    await vi.advanceTimersByTimeAsync(0)
    release()
    await a.flush()
    expect(saved).toEqual(['first', 'second'])
  })

  it('keeps a failed value and retries it on flush', async () => {
    const states: SaveState[] = []
    let fail = true
    const saved: string[] = []
    const a = autosaver<string>(async (v) => {
      if (fail) throw { code: 'io', message: 'disk full' }
      saved.push(v)
    }, 10, (s) => states.push(s))
    a.change('群众排队')
    await vi.advanceTimersByTimeAsync(10)
    expect(a.state()).toBe('error')
    expect(a.lastError()).toEqual({ code: 'io', message: 'disk full' })
    fail = false
    await a.flush()
    expect(saved).toEqual(['群众排队'])
    expect(states.at(-1)).toBe('saved')
  })
})
