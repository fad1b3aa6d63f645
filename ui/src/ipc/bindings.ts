// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit:
// run `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-desktop bindings`.

export type Answer = { item_code: string, result: ItemResult, note: string | null, };

export type AnswerItem = { visit: string, template: string, item: string, result: ItemResult, note: string | null, };

export type AppState = { data_dir: string, 
/**
 * A store exists in the data folder (else: the first-start walk-through).
 */
initialised: boolean, unlocked: boolean, version: string, };

export type Category = { 
/**
 * Stable code, e.g. `san.absent`. Children are `<parent>.<name>`.
 */
code: string, 
/**
 * The Chinese name inspectors use, e.g. 脱岗离岗; unique across the taxonomy.
 */
name: string, description: string, children?: Array<Category>, };

export type ChecklistResponse = { id: ResponseId, visit_id: VisitId, template_code: string, template_version: number, answers: Array<Answer>, created_at: string, };

export type DecisionKind = "returned" | "accepted";

export type DeviceId = string;

export type DiscoveryMethod = "open" | "covert" | "follow_up" | "public_report";

export type Enrollment = { server_url: string, device_id: string, 
/**
 * The office's id for this inspector, and the name it knows them by.
 */
office_inspector_id: string, inspector_name: string, 
/**
 * The office's public key (hex): its receipts are checked against it.
 */
server_key: string, 
/**
 * What the office already held from this device (0 for a new one).
 */
acked_seq: number, };

export type EvidenceFlag = { "flag": "no_capture_time" } | { "flag": "taken_outside_visit_day", taken_on: string, visit_on: string, } | { "flag": "damaged", reason: string, };

export type EvidenceId = string;

export type EvidenceTarget = { "kind": "finding", finding_id: FindingId, } | { "kind": "visit", visit_id: VisitId, } | { "kind": "checklist_item", response_id: ResponseId, item_code: string, };

export type EvidenceView = { meta: PhotoMeta, damaged: string | null, flags: Array<EvidenceFlag>, id: EvidenceId, target: EvidenceTarget, sha256: Sha256Hex, size: number, media_type: string, 
/**
 * The file name as it came off the camera or phone.
 */
original_name: string, imported_at: string, };

export type FileResult = { path: string, } & ({ "outcome": "imported", evidence_id: EvidenceId, sha256: Sha256Hex, media_type: string, flags: Array<EvidenceFlag>, } | { "outcome": "already_present", evidence_id: EvidenceId | null, sha256: Sha256Hex | null, note: string, } | { "outcome": "failed", code: string, reason: string, });

export type FindingDetail = { finding: FindingView, evidence: Array<EvidenceView>, decisions: Array<OfficeDecision>, 
/**
 * The office's comment when it returned the finding (退回), to fix and resend.
 */
return_comment: string | null, };

export type FindingId = string;

export type FindingInput = { visit: string, spot: string | null, 
/**
 * RFC 3339; now when left out.
 */
observed_at: string | null, 
/**
 * A taxonomy leaf code; may be left out when the checklist item suggests one.
 */
category: string | null, severity: Severity, description: string, persons_involved: string | null, 
/**
 * (template code, item code) of the 不符合 item it comes from.
 */
checklist_item: [string, string] | null, };

export type FindingPatch = { description: string | null, category: string | null, severity: Severity | null, 
/**
 * An empty text clears it.
 */
persons_involved: string | null, };

export type FindingStatus = "draft" | "submitted" | "returned" | "accepted";

export type FindingView = { unit_name: string, spot_name: string | null, 
/**
 * "散 / 脱岗离岗"
 */
category_label: string, evidence_count: number, id: FindingId, visit_id: VisitId, unit_id: UnitId, spot_id: SpotId | null, 
/**
 * When the inspector saw it, in the local time of the place.
 */
observed_at: string, method: DiscoveryMethod, 
/**
 * A taxonomy leaf code, e.g. `san.absent`.
 */
category: string, severity: Severity, description: string, 
/**
 * 涉及人员: optional, sensitive; notices may leave it out.
 */
persons_involved: Sensitive | null, checklist_item: ItemLink | null, status: FindingStatus, created_at: string, updated_at: string, };

export type Gps = { lat: number, lon: number, alt: number | null, };

export type Identity = { inspector_id: InspectorId, inspector_name: string, device_id: DeviceId, };

export type InspectionKind = "open" | "covert";

export type InspectorId = string;

export type IpcError = { code: string, message: string, };

export type ItemLink = { response_id: ResponseId, item_code: string, };

export type ItemResult = "conforming" | "non_conforming" | "not_applicable";

export type ItemView = { section: string, answer: Answer | null, 
/**
 * Unique within the template, e.g. `ws-03`.
 */
code: string, 
/**
 * What must hold, e.g. 工作人员按规定亮牌上岗.
 */
text: string, 
/**
 * 检查要点: how to look and what counts as 不符合.
 */
guidance: string, 
/**
 * What to photograph or record.
 */
evidence_hint: string, 
/**
 * Weight in the score, 1–5.
 */
weight: number, 
/**
 * The taxonomy leaf a 不符合 here usually means, to prefill a finding.
 */
category?: string | null, };

export type OfficeDecision = { event_seq: number, finding_id: string, kind: DecisionKind, comment: string | null, by: string, at: string, };

export type PhotoMeta = { 
/**
 * DateTimeOriginal: the local time on the camera's clock.
 */
taken_at: string | null, 
/**
 * OffsetTimeOriginal as the camera wrote it (`+08:00`), when it wrote one.
 */
taken_offset: string | null, gps: Gps | null, make: string | null, model: string | null, 
/**
 * EXIF orientation 1–8; previews are turned upright by it.
 */
orientation: number | null, width: number | null, height: number | null, };

export type PlanId = string;

export type PlanInput = { title: string, kind: InspectionKind, 
/**
 * YYYY-MM-DD
 */
starts_on: string, ends_on: string, units: Array<string>, checklists: Array<string>, };

export type PlanView = { 
/**
 * Names of the target units, or empty while they are secret.
 */
target_names: Array<string>, targets_hidden: boolean, id: PlanId, title: string, kind: InspectionKind, starts_on: string, ends_on: string, 
/**
 * The team (督查组), by name: members on other laptops are not records here.
 */
team: Array<string>, target_units: Array<UnitId>, 
/**
 * Codes of the checklist templates this plan uses.
 */
checklists: Array<string>, created_at: string, };

export type Profile = { inspector_name: string, device_name: string, passphrase: string, };

export type Progress = { "event": "planned", files: number, bytes: number, } | { "event": "file", done: number, bytes_done: number, path: string, };

export type ResponseId = string;

export type ResponseView = { response: ChecklistResponse, template_name: string, score: Score, items: Array<ItemView>, };

export type Score = { total_items: number, answered: number, non_conforming: number, conforming_weight: number, applicable_weight: number, };

export type SearchInput = { 
/**
 * Chinese or other words, all of which must occur.
 */
text: string | null, unit: string | null, 
/**
 * A category leaf or group code.
 */
category: string | null, status: FindingStatus | null, 
/**
 * YYYY-MM-DD, inclusive.
 */
from: string | null, to: string | null, offset: number | null, };

export type SearchPage = { findings: Array<FindingView>, more: boolean, };

export type Sensitive = string;

export type Severity = "minor" | "serious" | "grave";

export type Sha256Hex = string;

export type Spot = { id: SpotId, unit_id: UnitId, name: string, created_at: string, };

export type SpotId = string;

export type Summary = { imported: number, already_present: number, failed: number, files: Array<FileResult>, };

export type SyncEvent = { "event": "batch", batch_id: string, changes: number, resumed: boolean, } | { "event": "uploading", blobs: number, bytes: number, } | { "event": "blob_bytes", bytes: number, } | { "event": "blob_done", sha256: Sha256Hex, sent: boolean, } | { "event": "blob_failed", failure: SyncFailure, } | { "event": "committed", batch_id: string, stored: number, already_there: number, } | { "event": "pulled", events: number, };

export type SyncFailure = { 
/**
 * What failed: `blob <sha256>` or `batch <id>`.
 */
what: string, code: string, reason: string, };

export type SyncStatus = { 
/**
 * None until the laptop is enrolled.
 */
server: string | null, enrolled_at: string | null, acked_seq: number, 
/**
 * Changes not yet acknowledged by the office.
 */
unsynced_changes: number, 
/**
 * A batch built and perhaps sent, waiting for its receipt.
 */
open_batch: string | null, last_sync_at: string | null, };

export type SyncSummary = { server: string, 
/**
 * Batches committed in this run.
 */
batches: number, 
/**
 * Changes the office stored for the first time, and those it held already (a replay).
 */
changes_stored: number, changes_already_there: number, blobs_uploaded: number, blobs_already_there: number, bytes_sent: number, 
/**
 * Office events (returned or accepted findings, templates, the taxonomy, assigned plans)
 * newly applied.
 */
events_applied: number, 
/**
 * What could not be taken from them in full, one line each (a checklist template an
 * assigned plan names that this laptop does not have, an unreadable file). Also kept
 * with the event in the store.
 */
notes: Array<string>, 
/**
 * The last change the office has acknowledged, and how many are still waiting.
 */
acked_seq: number, unsynced_changes: number, failures: Array<SyncFailure>, };

export type Taxonomy = { version: number, categories: Array<Category>, };

export type TemplateSummary = { code: string, version: number, name: string, items: number, source: string, };

export type Today = { date: string, plans: Array<PlanView>, visits: Array<VisitView>, sync: SyncStatus, 
/**
 * Findings written here and not yet sent (草稿), and those the office returned (退回).
 */
drafts: number, returned: number, };

export type UnitId = string;

export type UnitInput = { name: string, region: string | null, spots: Array<string>, };

export type UnitSummary = { spots: Array<Spot>, findings: number, id: UnitId, 
/**
 * Full official name, unique in a store (e.g. 某某区政务服务中心).
 */
name: string, 
/**
 * Region or parent body, free text (e.g. 某某区).
 */
region: string | null, created_at: string, };

export type VisitDetail = { visit: VisitView, checklists: Array<ResponseView>, findings: Array<FindingView>, 
/**
 * The plan's checklist templates (code, name), to start one.
 */
templates: Array<TemplateSummary>, };

export type VisitId = string;

export type VisitInput = { unit: string, spot: string | null, plan: string | null, kind: InspectionKind, 
/**
 * RFC 3339; now when left out.
 */
arrived_at: string | null, notes: string | null, };

export type VisitView = { unit_name: string, findings: number, id: VisitId, plan_id: PlanId | null, unit_id: UnitId, spot_id: SpotId | null, kind: InspectionKind, date: string, arrived_at: string | null, left_at: string | null, inspectors: Array<string>, notes: string | null, created_at: string, };

