import { describe, expect, it } from 'vitest'
import {
  actionLabel, bytes, changedLabel, cnDate, cnDateTime, flagLabel, isoDate, lightLabel, noticeTitle, problemCount,
  roleLabel, shortDateTime, stageLabel, stateLabel,
} from './format'

describe('dates', () => {
  it('writes a time with an offset on its own wall clock', () => {
    expect(cnDateTime('2026-11-10T09:20:00+08:00')).toBe('2026年11月10日 09:20')
    expect(cnDateTime('2026-11-10T09:20:59.123+08:00')).toBe('2026年11月10日 09:20')
    expect(cnDateTime('2026-01-05T23:05:00-05:00')).toBe('2026年1月5日 23:05')
    expect(shortDateTime('2026-11-10T09:20:00+08:00')).toBe('2026-11-10 09:20')
  })

  it('writes a time without an offset as it is (a camera clock)', () => {
    expect(cnDateTime('2026-11-10T09:21:04')).toBe('2026年11月10日 09:21')
  })

  it('writes a UTC time in the browser zone', () => {
    const d = new Date('2026-11-10T01:20:00Z')
    const pad = (n: number) => String(n).padStart(2, '0')
    expect(cnDateTime('2026-11-10T01:20:00Z')).toBe(
      `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`,
    )
  })

  it('writes a date as a date', () => {
    expect(cnDate('2026-11-30')).toBe('2026年11月30日')
    expect(cnDateTime('2026-11-30')).toBe('2026年11月30日')
    expect(cnDate('2026-11-10T09:20:00+08:00')).toBe('2026年11月10日')
    expect(shortDateTime('2026-11-30')).toBe('2026-11-30')
  })

  it('passes through what it cannot read, and nothing for nothing', () => {
    expect(cnDate(null)).toBe('')
    expect(cnDateTime(undefined)).toBe('')
    expect(cnDateTime('soon')).toBe('soon')
  })

  it('gives today as YYYY-MM-DD', () => {
    expect(isoDate(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05')
  })

  it('titles a notice by its month', () => {
    expect(noticeTitle(new Date(2026, 10, 3))).toBe('关于2026年11月作风效能明查暗访情况的通报')
  })
})

describe('labels', () => {
  it('names the lights', () => {
    expect(lightLabel('red')).toBe('红灯')
    expect(lightLabel('yellow')).toBe('黄灯')
    expect(lightLabel('green')).toBe('正常')
    expect(lightLabel(null)).toBe('—')
  })

  it('names stages, review states and roles', () => {
    expect(['pending', 'assigned', 'reported', 'verified', 'closed'].map(stageLabel)).toEqual(['待交办', '已交办', '已反馈', '已复核', '已销号'])
    expect(['new', 'returned', 'resent', 'accepted', 'merged'].map(stateLabel)).toEqual(['新', '退回', '重报', '已采纳', '已合并'])
    expect(['admin', 'reviewer', 'viewer', 'unit'].map(roleLabel)).toEqual(['管理员', '审核员', '查看', '单位联系人'])
    expect(stageLabel('later')).toBe('later')
  })

  it('names the evidence flags', () => {
    expect(flagLabel({ flag: 'no_capture_time' })).toBe('无拍摄时间')
    expect(flagLabel({ flag: 'taken_outside_visit_day', taken_on: '2026-11-09', visit_on: '2026-11-10' })).toBe('拍摄日期非检查当日')
    expect(flagLabel({ flag: 'damaged', reason: 'truncated' })).toBe('文件损坏')
  })

  it('names what a resent finding changed, and history actions', () => {
    expect(changedLabel(['description', 'evidence'])).toBe('问题表述、证据')
    expect(changedLabel(['something_new'])).toBe('something_new')
    expect(actionLabel('assign')).toBe('交办')
    expect(actionLabel('custom')).toBe('custom')
  })

  it('counts bytes and notice problems', () => {
    expect(bytes(512)).toBe('512 B')
    expect(bytes(2048)).toBe('2.0 KB')
    expect(bytes(3 * 1024 * 1024)).toBe('3.0 MB')
    expect(problemCount(3)).toBe(3)
    expect(problemCount(['a', 'b'])).toBe(2)
    expect(problemCount(undefined)).toBe(0)
  })
})
