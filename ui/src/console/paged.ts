// A long list read a page at a time (docs/console-api.md, "Pages"): the first page on load,
// the next appended on 「加载更多」, the total shown as the office counted it.
import { ref, type Ref } from 'vue'
import type { Page, PageAt } from './types'

export interface Paged<T> {
  rows: Ref<T[]>
  total: Ref<number>
  next: Ref<string | null>
  loading: Ref<boolean>
  /** Read the first page again (after a filter changed or a write). */
  reload: () => Promise<void>
  /** Append the page after the last one read. */
  more: () => Promise<void>
}

export function usePaged<T>(read: (at: PageAt) => Promise<Page<T>>, failed: (e: unknown) => void): Paged<T> {
  const rows = ref([]) as Ref<T[]>
  const total = ref(0)
  const next = ref<string | null>(null)
  const loading = ref(false)
  // A reload started while a page was on its way wins: the older answer is dropped.
  let generation = 0

  async function fetch(after: string | null) {
    const mine = ++generation
    loading.value = true
    try {
      const page = await read({ after })
      if (mine !== generation) return
      rows.value = after ? [...rows.value, ...page.rows] : page.rows
      total.value = page.total
      next.value = page.next
    } catch (e) {
      if (mine !== generation) return
      if (!after) {
        rows.value = []
        total.value = 0
        next.value = null
      }
      failed(e)
    } finally {
      if (mine === generation) loading.value = false
    }
  }

  return {
    rows, total, next, loading,
    reload: () => fetch(null),
    more: () => (next.value ? fetch(next.value) : Promise.resolve()),
  }
}
