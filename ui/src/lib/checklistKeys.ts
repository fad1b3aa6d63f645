// The checklist's keyboard: what a key does at the current item. Kept pure so it can be
// tested without a window: arrows move, 1/2/3 answer, Enter opens the note, and an answer
// moves on to the next item (so a fast inspector types 1 1 2 1 … down the list).
import type { ItemResult } from '../ipc/bindings'

export type KeyAction =
  | { kind: 'move'; to: number }
  | { kind: 'answer'; result: ItemResult; next: number }
  | { kind: 'note' }
  | { kind: 'none' }

const RESULTS: Record<string, ItemResult> = { '1': 'conforming', '2': 'non_conforming', '3': 'not_applicable' }

export function keyAction(key: string, current: number, count: number, typingInField: boolean): KeyAction {
  if (typingInField || count === 0) return { kind: 'none' }
  const clamp = (i: number) => Math.max(0, Math.min(count - 1, i))
  switch (key) {
    case 'ArrowDown':
    case 'j':
      return { kind: 'move', to: clamp(current + 1) }
    case 'ArrowUp':
    case 'k':
      return { kind: 'move', to: clamp(current - 1) }
    case 'Home':
      return { kind: 'move', to: 0 }
    case 'End':
      return { kind: 'move', to: count - 1 }
    case 'Enter':
      return { kind: 'note' }
  }
  const result = RESULTS[key]
  if (result) return { kind: 'answer', result, next: clamp(current + 1) }
  return { kind: 'none' }
}
