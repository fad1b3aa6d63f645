// Generated from the Rust types by crates/server/src/console/bindings.rs (ts-rs). Do not edit:
// run `MINGCHA_WRITE_BINDINGS=1 cargo test -p mingcha-server console::bindings`.

export type Count = { name: string, count: number, };

export type Dashboard = { total: number, open: number, overdue: number, yellow: number, closed: number, 
/**
 * The [`TOP_UNITS`] units with most problems.
 */
by_unit: Array<Count>, 
/**
 * How many units have problems in the period (`by_unit` may show fewer).
 */
units: number, by_category: Array<Count>, by_month: Array<Count>, 
/**
 * The [`TOP_UNITS`] units with most red lights.
 */
red_by_unit: Array<Count>, 
/**
 * How many units have a red light.
 */
red_units: number, 
/**
 * The [`TOP_REPEATS`] longest runs.
 */
repeats: Array<Repeat>, 
/**
 * How many runs there are in all.
 */
repeats_total: number, };

export type EvidenceFlag = { "flag": "no_capture_time" } | { "flag": "taken_outside_visit_day", taken_on: string, visit_on: string, } | { "flag": "damaged", reason: string, };

export type EvidenceView = { id: string, sha256: string, media_type: string, name: string, taken_at: string | null, gps: Gps | null, flags: Array<EvidenceFlag>, flag_labels: Array<string>, 
/**
 * The watermarked copy made on the device for notices, if one was made.
 */
disclosure_sha256: string | null, disclosure_watermark: string | null, url: string, };

export type FindingView = { id: string, batch_id: string, inspector: string, device: string, unit: string, unit_id: string, spot: string | null, observed_at: string, method: string, category: string, category_label: string, severity: string, description: string, persons: string | null, checklist_item: string | null, state: ReviewState, state_label: string, comment: string | null, versions: Array<Wording>, changed: Array<string>, merged_into: string | null, merged: Array<string>, problem_id: string | null, 
/**
 * The device deleted it after sending it.
 */
deleted: boolean, evidence: Array<EvidenceView>, };

export type Gps = { lat: number, lon: number, alt: number | null, };

export type LedgerRow = { 
/**
 * 序号, from 1 in the order shown.
 */
seq: number, 
/**
 * The problem's id.
 */
id: string, finding_id: string, 
/**
 * 单位
 */
unit: string, 
/**
 * 问题描述
 */
description: string, 
/**
 * 发现时间, in the local time of the place.
 */
found_at: string, 
/**
 * 发现方式: 明查 or 暗访.
 */
method: string, 
/**
 * The taxonomy code, e.g. `san.absent`.
 */
category: string, 
/**
 * 问题类别 as printed, e.g. `散 / 脱岗离岗`.
 */
category_label: string, 
/**
 * 责任单位/责任人, e.g. `城南区政务服务中心 / 王科长`; empty before 交办.
 */
responsible: string, 
/**
 * 整改措施
 */
measures: string, 
/**
 * 整改时限
 */
deadline: string | null, 
/**
 * 整改情况: the unit's latest report.
 */
rectification: string, 
/**
 * 复核情况: the office's latest verification.
 */
verification: string, 
/**
 * 销号: the date it was closed, if it was.
 */
closed: string | null, stage: LedgerStage, stage_label: string, 
/**
 * 亮灯, while the unit still has something to do.
 */
light: Light | null, };

export type LedgerStage = "pending" | "assigned" | "reported" | "verified" | "closed";

export type Light = "green" | "yellow" | "red";

export type Lights = { yellow: Page<LedgerRow>, red: Page<LedgerRow>, units: Array<UnitLights>, };

export type Page<T> = { rows: Array<T>, total: number, next: string | null, };

export type Repeat = { unit: string, what: string, count: number, first: string, last: string, 
/**
 * The first [`PROBLEMS_SHOWN`] of the run's problems, in the order they were found.
 */
problems: Array<string>, };

export type ReviewState = "new" | "returned" | "resent" | "accepted" | "merged";

export type Source = "device" | "office";

export type UnitLights = { unit: string, red: number, yellow: number, };

export type Wording = { text: string, by: string, at: string, source: Source, };

