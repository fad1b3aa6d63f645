import { describe, expect, it } from 'vitest'
import { keyAction } from './checklistKeys'

describe('the checklist keyboard', () => {
  it('moves with the arrows and stops at both ends', () => {
    expect(keyAction('ArrowDown', 0, 3, false)).toEqual({ kind: 'move', to: 1 })
    expect(keyAction('ArrowDown', 2, 3, false)).toEqual({ kind: 'move', to: 2 })
    expect(keyAction('ArrowUp', 0, 3, false)).toEqual({ kind: 'move', to: 0 })
    expect(keyAction('End', 0, 3, false)).toEqual({ kind: 'move', to: 2 })
  })

  it('answers 1/2/3 as 符合/不符合/不适用 and moves on', () => {
    expect(keyAction('1', 0, 3, false)).toEqual({ kind: 'answer', result: 'conforming', next: 1 })
    expect(keyAction('2', 1, 3, false)).toEqual({ kind: 'answer', result: 'non_conforming', next: 2 })
    expect(keyAction('3', 2, 3, false)).toEqual({ kind: 'answer', result: 'not_applicable', next: 2 })
  })

  it('opens the note on Enter', () => {
    expect(keyAction('Enter', 1, 3, false)).toEqual({ kind: 'note' })
  })

  it('leaves keys alone while the inspector types in a field, and on an empty list', () => {
    expect(keyAction('1', 0, 3, true)).toEqual({ kind: 'none' })
    expect(keyAction('ArrowDown', 0, 0, false)).toEqual({ kind: 'none' })
    expect(keyAction('x', 0, 3, false)).toEqual({ kind: 'none' })
  })
})
