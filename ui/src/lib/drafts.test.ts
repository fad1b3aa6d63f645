import { beforeEach, describe, expect, it } from 'vitest'
import { draft, dropDraft, forgetStoredDrafts, keepDraft } from './drafts'

describe('finding drafts', () => {
  beforeEach(() => localStorage.clear())

  it('are kept in memory and never written to localStorage', () => {
    keepDraft('v1.free', { description: '3号窗口工作人员脱岗', persons: '王某' })
    expect(draft<{ description: string }>('v1.free')?.description).toBe('3号窗口工作人员脱岗')
    expect(localStorage.length).toBe(0)
    dropDraft('v1.free')
    expect(draft('v1.free')).toBeNull()
  })

  it('left in localStorage by an earlier version are removed, and nothing else is', () => {
    localStorage.setItem('mingcha.draft.v1.free', JSON.stringify({ description: '窗口无人' }))
    localStorage.setItem('mingcha.draft.v2.work-discipline:5', '{}')
    localStorage.setItem('mingcha.locale', 'zh-CN')
    expect(forgetStoredDrafts()).toBe(2)
    expect(localStorage.length).toBe(1)
    expect(localStorage.getItem('mingcha.locale')).toBe('zh-CN')
  })
})
