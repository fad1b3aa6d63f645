// The one place the UI talks to the Rust side. Every call is typed by the generated
// bindings; every failure arrives as an IpcError {code, message}, and the UI branches on code.
import { convertFileSrc, invoke } from '@tauri-apps/api/core'
import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type {
  AnswerItem, AppState, Enrollment, FindingDetail, FindingInput, FindingPatch, FindingView, Identity,
  IpcError, PlanInput, Profile, Progress, ResponseView, SearchInput, SearchPage, Summary, SyncEvent,
  SyncStatus, SyncSummary, Taxonomy, TemplateSummary, Today, UnitInput, UnitSummary, VisitDetail, VisitInput,
} from './bindings'

export type * from './bindings'

/** Normalise whatever a failed call threw into an IpcError. */
export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    return { code: String((e as IpcError).code), message: String((e as IpcError).message) }
  }
  return { code: 'internal', message: String(e) }
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args)
  } catch (e) {
    throw asIpcError(e)
  }
}

export const api = {
  appState: () => call<AppState>('app_state'),
  createStore: (profile: Profile) => call<Identity>('create_store', { profile }),
  unlock: (passphrase: string) => call<Identity>('unlock', { passphrase }),
  lock: () => call<void>('lock'),
  identity: () => call<Identity>('identity'),
  changePassphrase: (old: string, next: string) => call<void>('change_passphrase', { old, new: next }),
  loadDemo: () => call<void>('load_demo'),
  firstScreen: () => call<void>('first_screen'),

  today: () => call<Today>('today_view'),
  units: () => call<UnitSummary[]>('units'),
  addUnit: (unit: UnitInput) => call<UnitSummary>('add_unit', { unit }),
  templates: () => call<TemplateSummary[]>('templates'),
  taxonomy: () => call<Taxonomy>('taxonomy'),
  addPlan: (plan: PlanInput) => call<void>('add_plan', { plan }),
  startVisit: (visit: VisitInput) => call<VisitDetail>('start_visit', { visit }),
  endVisit: (visit: string, leftAt?: string) => call<VisitDetail>('end_visit', { visit, leftAt: leftAt ?? null }),
  visit: (visit: string) => call<VisitDetail>('visit_detail', { visit }),
  openChecklist: (visit: string, template: string) => call<ResponseView>('open_checklist', { visit, template }),
  answerItem: (answer: AnswerItem) => call<ResponseView>('answer_item', { answer }),

  addFinding: (finding: FindingInput) => call<FindingView>('add_finding', { finding }),
  editFinding: (finding: string, patch: FindingPatch) => call<FindingView>('edit_finding', { finding, patch }),
  deleteFinding: (finding: string) => call<void>('delete_finding', { finding }),
  finding: (finding: string) => call<FindingDetail>('finding_detail', { finding }),
  search: (query: SearchInput) => call<SearchPage>('search_findings', { query }),
  importEvidence: (finding: string, paths: string[]) => call<Summary>('import_evidence', { finding, paths }),

  enroll: (server: string, token: string) => call<Enrollment>('enroll', { server, token }),
  syncStatus: () => call<SyncStatus>('sync_status'),
  syncNow: () => call<SyncSummary>('sync_now'),
  officeReachable: (server: string) => call<boolean>('office_reachable', { server }),
}

export const events = {
  syncProgress: (f: (e: SyncEvent) => void): Promise<UnlistenFn> => listen<SyncEvent>('sync-progress', (e) => f(e.payload)),
  importProgress: (f: (e: Progress) => void): Promise<UnlistenFn> => listen<Progress>('import-progress', (e) => f(e.payload)),
}

/** The URL of a preview the Rust side serves from the data folder. */
export function previewUrl(sha256: string, size: 'thumb' | 'screen'): string {
  return convertFileSrc(`${sha256}/${size}`, 'evidence')
}
