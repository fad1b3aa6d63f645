// Small formatting helpers shared by the screens.
import type { Category, EvidenceFlag, Taxonomy } from '../ipc/bindings'

/** "09:05" from an RFC 3339 time, in the time's own offset (the inspector's wall clock). */
export function clock(rfc3339: string | null | undefined): string {
  if (!rfc3339) return ''
  const m = /T(\d{2}):(\d{2})/.exec(rfc3339)
  return m ? `${m[1]}:${m[2]}` : ''
}

/** Now as RFC 3339 with the laptop's offset: what the Rust side expects for a time. */
export function localNow(d: Date = new Date()): string {
  const pad = (n: number) => String(Math.trunc(Math.abs(n))).padStart(2, '0')
  const off = -d.getTimezoneOffset()
  const sign = off >= 0 ? '+' : '-'
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` +
    `${sign}${pad(off / 60)}:${pad(off % 60)}`
  )
}

/** Today as YYYY-MM-DD on the laptop's calendar. */
export function localDate(d: Date = new Date()): string {
  return localNow(d).slice(0, 10)
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

export interface CategoryOption {
  value: string
  label: string
  children?: CategoryOption[]
}

/** The taxonomy as cascader options: groups (四风 …) with their leaves. */
export function categoryOptions(t: Taxonomy): CategoryOption[] {
  const option = (c: Category): CategoryOption =>
    c.children?.length ? { value: c.code, label: c.name, children: c.children.map(option) } : { value: c.code, label: c.name }
  return t.categories.map(option)
}

/** Leaves whose name, code, group or description contains the query: the picker's search. */
export function searchCategories(t: Taxonomy, query: string): { code: string; label: string }[] {
  const q = query.trim().toLowerCase()
  const out: { code: string; label: string }[] = []
  for (const group of t.categories) {
    for (const leaf of group.children ?? []) {
      const hay = `${group.name} ${leaf.name} ${leaf.code} ${leaf.description}`.toLowerCase()
      if (!q || hay.includes(q)) out.push({ code: leaf.code, label: `${group.name} / ${leaf.name}` })
    }
  }
  return out
}

/** An evidence flag as an i18n key and its parameters. */
export function flagMessage(f: EvidenceFlag): { key: string; params: Record<string, string> } {
  switch (f.flag) {
    case 'no_capture_time':
      return { key: 'flag.no_capture_time', params: {} }
    case 'taken_outside_visit_day':
      return { key: 'flag.taken_outside_visit_day', params: { date: f.taken_on } }
    case 'damaged':
      return { key: 'flag.damaged', params: { reason: f.reason } }
  }
}
