// The shapes of docs/console-api.md, as the console reads and sends them.
// Declared from the Rust types (crates/server/src/console/bindings.rs); the rest below is still
// written by hand.
export type {
  Count, Dashboard, EvidenceFlag, EvidenceView, FindingView, Gps, LedgerRow, LedgerStage, Lights, Page, Repeat,
  ReviewState, Source, UnitLights, Wording,
} from './bindings'
import type { EvidenceView, FindingView, LedgerRow, Page, ReviewState, Wording } from './bindings'
/** A finding's review state (the Rust `ReviewState`). */
export type FindingState = ReviewState
export type Method = '明查' | '暗访'
/** One wording of a finding's description. */
export type Version = Wording
/** One evidence file of a finding, as the review screen shows it. */
export type Evidence = EvidenceView

export type Role = 'admin' | 'reviewer' | 'viewer' | 'unit'

export interface Me {
  username: string
  display_name: string
  role: Role
  unit: string | null
}

export interface Account {
  username: string
  display_name: string
  role: Role
  unit: string | null
  disabled: boolean
  created_at: string
}

export interface NewAccount {
  username: string
  display_name: string
  role: Role
  password: string
  unit?: string
}

export interface AccountPatch {
  display_name?: string
  role?: Role
  disabled?: boolean
  password?: string
  unit?: string
}

export interface Device {
  id: string
  name: string
  enrolled_at: string
  revoked_at: string | null
  acked_seq: number
}

export interface Inspector {
  id: string
  name: string
  created_at: string
  devices: Device[]
}

export interface EnrollToken {
  /** mc1.<secret>.<certificate SHA-256>: what the inspector enters, as is. */
  token: string
  inspector: string
  expires_at: string
  /** The certificate the laptop will pin; null behind a TLS proxy. */
  tls_fingerprint: string | null
}

/** One row of the audit log (审计日志). */
export interface AuditRow {
  seq: number
  at: string
  actor: string
  action: string
  target: string | null
  client: string | null
  detail: Record<string, unknown>
}

export interface AuditPage {
  total: number
  rows: AuditRow[]
}

export interface AuditQuery {
  actor?: string
  action?: string
  from?: string
  to?: string
  page?: number
  per_page?: number
}

export interface Unit {
  id: string
  name: string
  region: string | null
}

export interface CategoryLeaf {
  code: string
  label: string
  group: string
}

// ---- review ----




export interface Batch {
  batch_id: string
  inspector: string
  device: string
  committed_at: string
  findings: number
  undecided: number
}

export interface FindingQuery {
  state?: 'open' | FindingState
  batch?: string
  inspector?: string
  unit?: string
}


/** Which page to read: how many rows (1–500, 50 if unsaid), after which cursor. */
export interface PageAt {
  limit?: number
  after?: string | null
}

// ---- ledger ----

export type Stage = 'pending' | 'assigned' | 'reported' | 'verified' | 'closed'
export type Light = 'green' | 'yellow' | 'red'


/** The ledger's filters, every one optional; empty strings mean "not set". */
export interface LedgerFilters {
  unit?: string
  category?: string
  from?: string
  to?: string
  method?: Method | ''
  stage?: Stage | ''
  light?: Light | ''
  q?: string
}

export type Ledger = Page<LedgerRow>

export interface UploadedFile {
  sha256: string
  name: string
  media_type: string
  size: number
  url: string
}

export interface HistoryEntry {
  at: string
  by: string
  action: string
  text: string
}

export interface FeedbackEntry {
  at: string
  by: string
  text: string
  files: UploadedFile[]
}

export interface ProblemDetail {
  row: LedgerRow
  finding: FindingView
  history: HistoryEntry[]
  feedback: FeedbackEntry[]
  revisit_finding: string | null
}

export interface Assignment {
  unit: string
  person?: string
  deadline: string
  measures?: string
}

export interface Verification {
  pass: boolean
  comment: string
  revisit_finding?: string
}

export interface FeedbackLink {
  token: string
  url: string
  expires_at: string
}


/**
 * A problem's facts as its unit is told them (and all a one-time link shows): no inspector,
 * laptop, batch, persons, photos, internal comment or staff name.
 */
export interface ProblemFacts {
  /** 单位: where it was found. */
  unit: string
  spot: string | null
  found_at: string
  method: Method
  category_label: string
  description: string
  /** 责任单位/责任人 */
  responsible: string
  deadline: string | null
  measures: string
  stage: Stage
  stage_label: string
  light: Light | null
  closed: string | null
}

/** What the unit's one-time link shows. */
export type FeedbackSummary = ProblemFacts

/** One step of a problem as a unit reads it: signed by a role, never a person. */
export interface UnitHistoryEntry {
  at: string
  by: '督查室' | '责任单位'
  action: string
  text: string
}

/** GET /api/console/problems/{id} for a unit contact (or a viewer bound to a unit). */
export interface UnitProblemView extends ProblemFacts {
  id: string
  seq: number
  reports: { at: string; text: string; files: UploadedFile[] }[]
  replies: { at: string; pass: boolean; comment: string }[]
  history: UnitHistoryEntry[]
}

// ---- notices ----

export interface NoticeSettings {
  issuer: string
  issuer_short: string
  signer: string
  addressees: string
}

export interface Notice {
  id: string
  number: string
  title: string
  created_at: string
  by: string
  problems: number | string[]
}

export interface NewNotice {
  title: string
  addressees: string
  intro: string
  problem_ids: string[]
  name_persons: boolean
  include_photos: boolean
}

// ---- dashboard ----




export interface DashboardQuery {
  from?: string
  to?: string
  window?: number
}

// ---- templates ----

export interface TemplateInfo {
  code: string
  name: string
  version: number
  published_at: string | null
  source: 'builtin' | 'office'
}

/** GET /api/console/photos/{sha256}/verify: the chain-of-custody checks of one photo. */
export interface PhotoCheck {
  scope: string
  holds: boolean
  checks: { ok: boolean; kind: string; message: string }[]
}
