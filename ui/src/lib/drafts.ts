// Drafts of findings not yet created. They hold what a finding says (unit, persons involved),
// so they stay in this window's memory only: WebKit keeps localStorage on disk in plain text,
// outside the encrypted store, where a lost laptop would give it away. A draft lasts while the
// app runs (across screens and a lock); a restart loses it, as an unsaved document would.

const OLD_PREFIX = 'mingcha.draft.'
const drafts = new Map<string, string>()

export function keepDraft(key: string, value: unknown): void {
  drafts.set(key, JSON.stringify(value))
}

export function draft<T>(key: string): T | null {
  const kept = drafts.get(key)
  return kept === undefined ? null : (JSON.parse(kept) as T)
}

export function dropDraft(key: string): void {
  drafts.delete(key)
}

/** Remove the drafts an earlier version kept in localStorage; returns how many. */
export function forgetStoredDrafts(storage: Storage | undefined = globalThis.localStorage): number {
  if (!storage) return 0
  const old: string[] = []
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i)
    if (k?.startsWith(OLD_PREFIX)) old.push(k)
  }
  old.forEach((k) => storage.removeItem(k))
  return old.length
}
