// The console's client for /api/console/ and /api/feedback/ (docs/console-api.md): JSON in and
// out, the session cookie of this origin, the anti-forgery header on every write, and errors as
// one typed ConsoleError the pages can show.
import type {
  Account, AccountPatch, Assignment, AuditPage, AuditQuery, Batch, CategoryLeaf, Dashboard, DashboardQuery, EnrollToken,
  FeedbackLink, FeedbackSummary, FindingQuery, FindingView, Inspector, Ledger, LedgerFilters, Lights, Me,
  NewAccount, NewNotice, Notice, NoticeSettings, ProblemDetail, TemplateInfo, Device, Unit, UnitProblemView,
  UploadedFile, Verification, PhotoCheck, Page, PageAt,
} from './types'

export class ConsoleError extends Error {
  readonly code: string
  readonly status: number

  constructor(code: string, message: string, status: number) {
    super(message)
    this.name = 'ConsoleError'
    this.code = code
    this.status = status
  }
}

export function isConsoleError(e: unknown): e is ConsoleError {
  return e instanceof ConsoleError
}

/** Called when the server says the session is gone (401 not_signed_in); main.ts shows the login. */
let onSignedOut: (() => void) | null = null
export function setSignedOutHandler(f: (() => void) | null) {
  onSignedOut = f
}

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export interface RequestOptions {
  /** A raw body (an upload) instead of JSON. */
  raw?: Blob | ArrayBuffer
  headers?: Record<string, string>
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers }
  if (WRITE.has(method)) headers['X-Mingcha-Console'] = '1'
  let payload: BodyInit | undefined
  if (opts.raw !== undefined) {
    payload = opts.raw
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json'
    payload = JSON.stringify(body)
  } else if (WRITE.has(method)) {
    // Every write carries a JSON body, `{}` when there is nothing to say.
    headers['Content-Type'] = 'application/json'
    payload = '{}'
  }
  let res: Response
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' })
  } catch (e) {
    throw new ConsoleError('network', e instanceof Error ? e.message : String(e), 0)
  }
  const text = await res.text()
  if (!res.ok) {
    const err = errorFrom(res.status, text)
    if (err.code === 'not_signed_in' && onSignedOut) onSignedOut()
    throw err
  }
  if (!text) return {} as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ConsoleError('bad_response', `not JSON: ${text.slice(0, 80)}`, res.status)
  }
}

/** The `{code, message}` of an error answer; a body that is not one keeps the HTTP status. */
export function errorFrom(status: number, text: string): ConsoleError {
  try {
    const j = JSON.parse(text) as { code?: unknown; message?: unknown }
    if (j && typeof j.code === 'string') {
      return new ConsoleError(j.code, typeof j.message === 'string' ? j.message : '', status)
    }
  } catch {
    // not JSON: a proxy's page, say
  }
  const fallback = status === 401 ? 'not_signed_in' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : `http_${status}`
  return new ConsoleError(fallback, text.slice(0, 200) || `HTTP ${status}`, status)
}

/** A query string (with its `?`) of the set values, in the given order; empty when none are set. */
export function queryString(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue
    const s = String(v).trim()
    if (s !== '') q.append(k, s)
  }
  const s = q.toString()
  return s ? `?${s}` : ''
}

/** The ledger's filters as a query string, in the contract's order. */
export function ledgerQuery(f: LedgerFilters, at: PageAt = {}): string {
  return queryString({
    unit: f.unit, category: f.category, from: f.from, to: f.to, method: f.method, stage: f.stage, light: f.light, q: f.q,
    limit: at.limit, after: at.after,
  })
}

/** The MIME type a file is sent with: the browser's, or one by its extension when it has none. */
export function mediaType(file: { name: string; type: string }): string {
  if (file.type) return file.type
  const ext = file.name.toLowerCase().split('.').pop() ?? ''
  const known: Record<string, string> = {
    jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', pdf: 'application/pdf',
    docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  }
  return known[ext] ?? 'application/octet-stream'
}

function upload(path: string, file: File): Promise<UploadedFile> {
  return request<UploadedFile>('POST', path, undefined, {
    raw: file,
    headers: { 'Content-Type': mediaType(file), 'X-File-Name': encodeURIComponent(file.name) },
  })
}

const C = '/api/console'
const enc = encodeURIComponent

/** Tolerates `addressees` as a list: the console edits it as one line. */
function settingsIn(s: NoticeSettings): NoticeSettings {
  const a = (s as { addressees: unknown }).addressees
  return { ...s, addressees: Array.isArray(a) ? a.join('、') : String(a ?? '') }
}

export const api = {
  // session
  login: (username: string, password: string) => request<Me>('POST', `${C}/login`, { username, password }),
  logout: () => request<object>('POST', `${C}/logout`, {}),
  me: () => request<Me>('GET', `${C}/me`),
  changePassword: (old: string, next: string) => request<object>('POST', `${C}/password`, { old, new: next }),

  // accounts and devices
  accounts: () => request<Account[]>('GET', `${C}/accounts`),
  createAccount: (a: NewAccount) => request<Account>('POST', `${C}/accounts`, a),
  updateAccount: (username: string, p: AccountPatch) => request<Account>('PATCH', `${C}/accounts/${enc(username)}`, p),
  inspectors: () => request<Inspector[]>('GET', `${C}/inspectors`),
  createInspector: (name: string) => request<Inspector>('POST', `${C}/inspectors`, { name }),
  enrollToken: (name: string) => request<EnrollToken>('POST', `${C}/inspectors/${enc(name)}/token`, {}),
  revokeDevice: (id: string) => request<Device>('POST', `${C}/devices/${enc(id)}/revoke`, {}),
  audit: (q: AuditQuery = {}) =>
    request<AuditPage>('GET', `${C}/audit${queryString({ actor: q.actor, action: q.action, from: q.from, to: q.to, page: q.page, per_page: q.per_page })}`),

  // units and taxonomy
  units: () => request<Unit[]>('GET', `${C}/units`),
  categories: () => request<CategoryLeaf[]>('GET', `${C}/categories`),

  // chain of custody: the checks of one photo (any office role but a unit contact)
  verifyPhoto: (sha256: string) => request<PhotoCheck>('GET', `${C}/photos/${enc(sha256)}/verify`),

  // review
  batches: () => request<Batch[]>('GET', `${C}/batches`),
  findings: (q: FindingQuery = {}, at: PageAt = {}) =>
    request<Page<FindingView>>('GET', `${C}/findings${queryString({ state: q.state, batch: q.batch, inspector: q.inspector, unit: q.unit, limit: at.limit, after: at.after })}`),
  finding: (id: string) => request<FindingView>('GET', `${C}/findings/${enc(id)}`),
  accept: (id: string) => request<FindingView>('POST', `${C}/findings/${enc(id)}/accept`, {}),
  returnFinding: (id: string, comment: string) => request<FindingView>('POST', `${C}/findings/${enc(id)}/return`, { comment }),
  reword: (id: string, text: string) => request<FindingView>('POST', `${C}/findings/${enc(id)}/wording`, { text }),
  merge: (id: string, into: string) => request<FindingView>('POST', `${C}/findings/${enc(id)}/merge`, { into }),

  // ledger and rectification
  problems: (f: LedgerFilters = {}, at: PageAt = {}) =>
    request<Ledger>('GET', `${C}/problems${ledgerQuery(f, at)}`),
  ledgerXlsxUrl: (f: LedgerFilters = {}) => `${C}/ledger.xlsx${ledgerQuery(f)}`,
  problem: (id: string) => request<ProblemDetail>('GET', `${C}/problems/${enc(id)}`),
  /** The same route, as a unit reads it. */
  unitProblem: (id: string) => request<UnitProblemView>('GET', `${C}/problems/${enc(id)}`),
  assign: (id: string, a: Assignment) => request<ProblemDetail>('POST', `${C}/problems/${enc(id)}/assign`, a),
  upload: (file: File) => upload(`${C}/uploads`, file),
  feedback: (id: string, text: string, files: string[]) =>
    request<ProblemDetail>('POST', `${C}/problems/${enc(id)}/feedback`, { text, files }),
  /** 整改反馈 by the unit's contact: answered with the unit's view. */
  unitFeedback: (id: string, text: string, files: string[]) =>
    request<UnitProblemView>('POST', `${C}/problems/${enc(id)}/feedback`, { text, files }),
  verify: (id: string, v: Verification) => request<ProblemDetail>('POST', `${C}/problems/${enc(id)}/verify`, v),
  close: (id: string, comment?: string) =>
    request<ProblemDetail>('POST', `${C}/problems/${enc(id)}/close`, comment ? { comment } : {}),
  link: (id: string) => request<FeedbackLink>('POST', `${C}/problems/${enc(id)}/link`, {}),
  lights: () => request<Lights>('GET', `${C}/lights`),

  // the unit's one-time link (no session)
  feedbackSummary: (token: string) => request<FeedbackSummary>('GET', `/api/feedback/${enc(token)}`),
  feedbackUpload: (token: string, file: File) => upload(`/api/feedback/${enc(token)}/uploads`, file),
  feedbackSubmit: (token: string, text: string, files: string[]) =>
    request<object>('POST', `/api/feedback/${enc(token)}`, { text, files }),

  // notices
  settings: async () => settingsIn(await request<NoticeSettings>('GET', `${C}/settings`)),
  saveSettings: async (s: NoticeSettings) => settingsIn(await request<NoticeSettings>('PUT', `${C}/settings`, s)),
  notices: () => request<Notice[]>('GET', `${C}/notices`),
  createNotice: (n: NewNotice) => request<Notice>('POST', `${C}/notices`, n),
  noticeDocxUrl: (id: string) => `${C}/notices/${enc(id)}/docx`,

  // dashboard
  dashboard: (q: DashboardQuery = {}) =>
    request<Dashboard>('GET', `${C}/dashboard${queryString({ from: q.from, to: q.to, window: q.window })}`),

  // templates and taxonomy
  templates: () => request<TemplateInfo[]>('GET', `${C}/templates`),
  template: (code: string) => request<unknown>('GET', `${C}/templates/${enc(code)}`),
  publishTemplate: (t: unknown) => request<{ code: string; version: number }>('POST', `${C}/templates`, t),
  taxonomy: () => request<unknown>('GET', `${C}/taxonomy`),
  publishTaxonomy: (t: unknown) => request<{ version: number }>('POST', `${C}/taxonomy`, t),
}
