import { describe, expect, it } from 'vitest'
import type { Taxonomy } from '../ipc/bindings'
import { bytes, clock, flagMessage, localNow, searchCategories } from './format'

const taxonomy: Taxonomy = {
  version: 1,
  categories: [
    {
      code: 'san', name: '散', description: '作风散漫', children: [
        { code: 'san.absent', name: '脱岗离岗', description: '上班时间擅自离岗', children: [] },
        { code: 'san.late-early', name: '迟到早退', description: '', children: [] },
      ],
    },
    { code: 'man', name: '慢', description: '', children: [{ code: 'man.notify', name: '未一次性告知', description: '', children: [] }] },
  ],
}

describe('formatting', () => {
  it('reads the wall-clock time of an RFC 3339 time in its own offset', () => {
    expect(clock('2026-11-22T09:05:00+08:00')).toBe('09:05')
    expect(clock(null)).toBe('')
  })

  it('writes now with the laptop offset, as the Rust side parses it', () => {
    const s = localNow(new Date(2026, 10, 22, 9, 5, 7))
    expect(s).toMatch(/^2026-11-22T09:05:07[+-]\d{2}:\d{2}$/)
  })

  it('shows sizes in B, KB and MB', () => {
    expect(bytes(512)).toBe('512 B')
    expect(bytes(2048)).toBe('2.0 KB')
    expect(bytes(3 * 1024 * 1024)).toBe('3.0 MB')
  })
})

describe('the category picker search', () => {
  it('finds a leaf by name, by its group, or by its description', () => {
    expect(searchCategories(taxonomy, '脱岗').map((c) => c.code)).toEqual(['san.absent'])
    expect(searchCategories(taxonomy, '散').map((c) => c.code)).toEqual(['san.absent', 'san.late-early'])
    expect(searchCategories(taxonomy, '擅自').map((c) => c.label)).toEqual(['散 / 脱岗离岗'])
  })

  it('lists every leaf for an empty query and none for a word no leaf has', () => {
    expect(searchCategories(taxonomy, '')).toHaveLength(3)
    expect(searchCategories(taxonomy, '公车')).toEqual([])
  })
})

describe('evidence flags', () => {
  it('names the day a photo was taken when it is not the visit day', () => {
    expect(flagMessage({ flag: 'taken_outside_visit_day', taken_on: '2026-11-01', visit_on: '2026-11-22' }))
      .toEqual({ key: 'flag.taken_outside_visit_day', params: { date: '2026-11-01' } })
    expect(flagMessage({ flag: 'no_capture_time' }).key).toBe('flag.no_capture_time')
  })
})
