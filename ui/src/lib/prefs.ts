// Preferences that belong to this laptop's UI, not to the store: language and idle lock.
import { LOCALE_KEY, type Locale } from '../i18n'

const IDLE_KEY = 'mingcha.idleMinutes'

/** Minutes without input before the app locks itself; 0 turns it off. Default 10. */
export function idleMinutes(): number {
  const v = Number(localStorage.getItem(IDLE_KEY) ?? '10')
  return Number.isFinite(v) && v >= 0 ? v : 10
}

export function setIdleMinutes(n: number) {
  localStorage.setItem(IDLE_KEY, String(Math.max(0, Math.round(n))))
}

export function setLocale(l: Locale) {
  localStorage.setItem(LOCALE_KEY, l)
}
