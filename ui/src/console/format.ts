// Words and dates as the office writes them.
import type { EvidenceFlag, FindingState, Light, Role, Stage } from './types'

const pad = (n: number) => String(n).padStart(2, '0')

interface Parts {
  y: number
  mo: number
  d: number
  h?: number
  mi?: number
}

/**
 * The calendar parts of an RFC 3339 time or a date. A time with an offset like `+08:00` is
 * shown as written (the wall clock where it happened); a UTC time (`Z`) in this browser's zone.
 */
function parts(s: string | null | undefined): Parts | null {
  if (!s) return null
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s.trim())
  if (!m) return null
  if (m[6] && m[6].toUpperCase() === 'Z') {
    const t = new Date(s)
    if (Number.isNaN(t.getTime())) return null
    return { y: t.getFullYear(), mo: t.getMonth() + 1, d: t.getDate(), h: t.getHours(), mi: t.getMinutes() }
  }
  const p: Parts = { y: +m[1], mo: +m[2], d: +m[3] }
  if (m[4] !== undefined) {
    p.h = +m[4]
    p.mi = +m[5]
  }
  return p
}

/** 2026年11月10日 */
export function cnDate(s: string | null | undefined): string {
  const p = parts(s)
  return p ? `${p.y}年${p.mo}月${p.d}日` : (s ?? '')
}

/** 2026年11月10日 09:20 (the date alone for a date). */
export function cnDateTime(s: string | null | undefined): string {
  const p = parts(s)
  if (!p) return s ?? ''
  const date = `${p.y}年${p.mo}月${p.d}日`
  return p.h === undefined ? date : `${date} ${pad(p.h)}:${pad(p.mi ?? 0)}`
}

/** 2026-11-10 09:20: the compact form for dense tables. */
export function shortDateTime(s: string | null | undefined): string {
  const p = parts(s)
  if (!p) return s ?? ''
  const date = `${p.y}-${pad(p.mo)}-${pad(p.d)}`
  return p.h === undefined ? date : `${date} ${pad(p.h)}:${pad(p.mi ?? 0)}`
}

/** Today (or the given day) as YYYY-MM-DD on this browser's calendar. */
export function isoDate(d: Date = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export const LIGHT_LABELS: Record<Light, string> = { green: '正常', yellow: '黄灯', red: '红灯' }

export function lightLabel(l: Light | null | undefined): string {
  return l ? LIGHT_LABELS[l] ?? l : '—'
}

export const STAGE_LABELS: Record<Stage, string> = {
  pending: '待交办', assigned: '已交办', reported: '已反馈', verified: '已复核', closed: '已销号',
}

export function stageLabel(s: Stage | string): string {
  return STAGE_LABELS[s as Stage] ?? s
}

export const STATE_LABELS: Record<FindingState, string> = {
  new: '新', returned: '退回', resent: '重报', accepted: '已采纳', merged: '已合并',
}

export function stateLabel(s: FindingState | string): string {
  return STATE_LABELS[s as FindingState] ?? s
}

export const ROLE_LABELS: Record<Role, string> = {
  admin: '管理员', reviewer: '审核员', viewer: '查看', unit: '单位联系人',
}

export function roleLabel(r: Role | string): string {
  return ROLE_LABELS[r as Role] ?? r
}

const FIELD_LABELS: Record<string, string> = {
  description: '问题表述', category: '问题类别', severity: '严重程度', persons: '涉及人员', evidence: '证据',
  spot: '点位', observed_at: '发现时间', unit: '单位', method: '发现方式', checklist_item: '检查项',
}

/** The fields an inspector changed in a resent finding, in words: 问题表述、证据 */
export function changedLabel(fields: string[]): string {
  return fields.map((f) => FIELD_LABELS[f] ?? f).join('、')
}

export function flagLabel(f: EvidenceFlag): string {
  switch (f.flag) {
    case 'no_capture_time':
      return '无拍摄时间'
    case 'taken_outside_visit_day':
      return '拍摄日期非检查当日'
    case 'damaged':
      return '文件损坏'
    default:
      return String((f as { flag: string }).flag)
  }
}

const ACTION_LABELS: Record<string, string> = {
  accept: '采纳', accepted: '采纳', assign: '交办', assigned: '交办', feedback: '整改反馈', reported: '整改反馈',
  verify: '复核', verified: '复核', verify_pass: '复核通过', verify_fail: '复核未通过', close: '销号', closed: '销号',
  link: '生成反馈链接', wording: '修改表述', return: '退回', merge: '合并', notice: '通报',
}

export function actionLabel(a: string): string {
  return ACTION_LABELS[a] ?? a
}

/** The prefilled title of a notice for the month of `d`. */
export function noticeTitle(d: Date = new Date()): string {
  return `关于${d.getFullYear()}年${d.getMonth() + 1}月作风效能明查暗访情况的通报`
}

/** A byte count as people read it. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** A notice's problem count, whether the server sends a number or the ids. */
export function problemCount(p: number | string[] | null | undefined): number {
  if (Array.isArray(p)) return p.length
  return typeof p === 'number' ? p : 0
}
