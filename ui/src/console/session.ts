// Who is signed in, and what the role may do. The server decides (403 forbidden); the console
// only hides what a role cannot use.
import { computed, ref } from 'vue'
import { api, ConsoleError } from './api'
import type { Me, Role } from './types'

export const me = ref<Me | null>(null)
/** Whether /me has been asked since the page loaded (or since logout). */
export const checked = ref(false)

/** Asks the server who this browser is signed in as; null when nobody. */
export async function loadMe(): Promise<Me | null> {
  try {
    me.value = await api.me()
  } catch (e) {
    if (!(e instanceof ConsoleError) || (e.code !== 'not_signed_in' && e.status !== 401)) throw e
    me.value = null
  }
  checked.value = true
  return me.value
}

export function signedOut() {
  me.value = null
  checked.value = true
}

export const role = computed<Role | null>(() => me.value?.role ?? null)
/** Review, notices, rectification: admin and reviewer. */
export const canWrite = computed(() => role.value === 'admin' || role.value === 'reviewer')
export const isAdmin = computed(() => role.value === 'admin')
/**
 * Reads as a unit: a unit contact, or a viewer bound to a unit. The server answers them their
 * unit's problems only, each as a UnitProblemView, and refuses the office's pages.
 */
export const readsAsUnit = computed(() => role.value === 'unit' || (role.value === 'viewer' && !!me.value?.unit))
/** 整改反馈: the office on the unit's behalf, or the unit's contact (never a viewer). */
export const canReport = computed(() => canWrite.value || role.value === 'unit')

/** Where a role starts. */
export function homeFor(r: Role | null | undefined): string {
  if (r === 'unit' || r === 'viewer') return '/ledger'
  return '/review'
}
