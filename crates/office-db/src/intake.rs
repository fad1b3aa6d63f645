//! What the office checks in a batch's changes before it stores any of them: that every record
//! reads as its kind, that its time is one the laptop could have written, and that the laptop
//! writes only its own records. Pure functions: the stores look up who holds what, in the
//! transaction that stores the batch, and hand it here.
//!
//! **A record belongs to the laptop that created it.** Each laptop makes its records' ids
//! (UUIDv7) and appends only to its own change series, so an honest laptop never writes to
//! another laptop's finding, photo or unit. A change that does (or attaches a photo to
//! another laptop's finding) is refused with `foreign_record`, and nothing of its batch is
//! stored. The office's own ids are the exception: a plan the office assigned (督查任务) reaches
//! every laptop of its inspector under the office's id, and each of them logs it as a plan
//! record of its own and sends it back. Those changes are kept in the change log, where the
//! laptop's chain of custody needs them, but never change the office's `record`: the plan is
//! the office's, and it is held in its `plan_assigned` event.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use mingcha_core::change::{ChangeRecord, EntityKind};
use mingcha_core::id::DeviceId;
use mingcha_core::record::Record;

use crate::error::{RepoError, Result};

/// How long before its enrollment a laptop's changes may be dated: 180 days. A laptop is set
/// up and used offline long before the office enrolls it (a team's first weeks in the field, a
/// laptop handed over at the start of a season), so its first batch carries months of work;
/// a change dated earlier than that is a clock that was wrong, or a time made up.
pub const OFFLINE_BEFORE_ENROLLMENT: Duration = Duration::days(180);

/// How far ahead of the office's clock a change may be dated: one day, for a laptop whose
/// clock or time zone is off. A later date would sort a change after everything sent since.
pub const CLOCK_AHEAD: Duration = Duration::days(1);

/// Refuse a batch with a change dated outside what this laptop could have written, or with a
/// record that does not read as its kind (or names another record than its change).
pub fn check_changes(changes: &[ChangeRecord], enrolled_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
    // Checked: the bounds of `DateTime` itself are the bounds when these run past them.
    let earliest = enrolled_at.checked_sub_signed(OFFLINE_BEFORE_ENROLLMENT).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let latest = now.checked_add_signed(CLOCK_AHEAD).unwrap_or(DateTime::<Utc>::MAX_UTC);
    for c in changes {
        if c.at < earliest || c.at > latest {
            return Err(RepoError::ChangeTimeOutOfRange {
                entity: c.entity,
                id: c.entity_id.clone(),
                seq: c.seq,
                at: c.at,
                earliest,
                latest,
            });
        }
        Record::parse(c.entity, &c.entity_id, &c.payload).map_err(|e| RepoError::UnreadableRecord {
            entity: c.entity,
            id: c.entity_id.clone(),
            seq: c.seq,
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

/// One record, as the `record` table keys it.
pub type RecordKey = (EntityKind, String);

/// What the stores must look up for a batch's new changes: the records they write or attach
/// to, and the plan ids among them (which may be the office's).
#[derive(Debug, Default)]
pub struct Touched {
    pub records: HashSet<RecordKey>,
    pub plans: BTreeSet<String>,
}

/// The records `fresh` (the batch's changes the office does not hold yet) write or attach to.
pub fn touched<'a>(fresh: impl IntoIterator<Item = &'a ChangeRecord>) -> Touched {
    let mut t = Touched::default();
    for c in fresh {
        t.records.insert((c.entity, c.entity_id.clone()));
        if let Some(target) = attached_to(c) {
            t.records.insert(target);
        }
        if c.entity == EntityKind::Plan {
            t.plans.insert(c.entity_id.clone());
        }
    }
    t
}

/// Who holds what `touched` names, as the store read it in the batch's transaction.
#[derive(Debug, Default)]
pub struct Holders {
    /// The laptop that made each record the office holds.
    pub owners: HashMap<RecordKey, DeviceId>,
    /// The plan ids the office issued (in its `plan_assigned` events).
    pub office_plans: HashSet<String>,
}

/// Where one accepted change goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Into the change log and the record's latest state.
    Record,
    /// Into the change log only: the record is the office's (a plan it assigned).
    LogOnly,
}

/// Decide, for each of `device`'s new changes in order, where it lands; refuse the whole
/// batch at the first change that writes to, or attaches to, another laptop's record.
pub fn landings(device: DeviceId, fresh: &[&ChangeRecord], holders: &Holders) -> Result<Vec<Landing>> {
    let foreign = |key: &RecordKey| holders.owners.get(key).is_some_and(|owner| *owner != device);
    fresh
        .iter()
        .map(|c| {
            if c.entity == EntityKind::Plan && holders.office_plans.contains(&c.entity_id) {
                return Ok(Landing::LogOnly);
            }
            let own = (c.entity, c.entity_id.clone());
            for key in std::iter::once(own).chain(attached_to(c)) {
                if foreign(&key) {
                    return Err(RepoError::ForeignRecord { entity: key.0, id: key.1, seq: c.seq });
                }
            }
            Ok(Landing::Record)
        })
        .collect()
}

/// The record `c`'s payload is attached to. A payload that does not read has none here: the
/// manifest check refuses it before any store is asked.
fn attached_to(c: &ChangeRecord) -> Option<RecordKey> {
    Record::parse(c.entity, &c.entity_id, &c.payload).ok()?.attached_to()
}

#[cfg(test)]
mod tests {
    use mingcha_core::change::ChangeOp;
    use mingcha_core::id::ChangeId;
    use serde_json::json;

    use super::*;

    fn device(n: u8) -> DeviceId {
        DeviceId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
    }

    fn change(seq: u64, entity: EntityKind, id: &str, payload: serde_json::Value, at: DateTime<Utc>) -> ChangeRecord {
        ChangeRecord {
            id: ChangeId::from_uuid(uuid::Uuid::now_v7()),
            seq,
            device_id: device(1),
            entity,
            entity_id: id.to_owned(),
            op: ChangeOp::Create,
            payload,
            at,
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const UNIT: &str = "0192f4a0-0000-7000-8000-000000000003";

    fn unit(at: DateTime<Utc>) -> ChangeRecord {
        let payload = json!({"id": UNIT, "name": "城南区政务服务中心", "region": null, "created_at": at});
        change(1, EntityKind::Unit, UNIT, payload, at)
    }

    #[test]
    fn times_are_bounded_by_enrollment_and_the_office_clock() {
        let enrolled = t("2026-11-10T00:00:00Z");
        let now = t("2026-12-01T00:00:00Z");
        for ok in ["2026-05-14T00:00:00Z", "2026-11-30T00:00:00Z", "2026-12-02T00:00:00Z"] {
            assert!(check_changes(&[unit(t(ok))], enrolled, now).is_ok(), "{ok}");
        }
        for late in ["2026-05-13T23:59:59Z", "2026-12-02T00:00:01Z", "2099-01-01T00:00:00Z"] {
            let e = check_changes(&[unit(t(late))], enrolled, now).unwrap_err();
            // Its HTTP status (422) is the server's: `error::tests` in mingcha-server.
            assert_eq!(e.code(), "change_time_out_of_range", "{late}");
        }
    }

    #[test]
    fn bounds_past_the_ends_of_time_are_the_ends_of_time() {
        let at = t("2026-11-10T00:00:00Z");
        assert!(check_changes(&[unit(at)], DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC).is_ok());
        let e = check_changes(&[unit(at)], DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC).unwrap_err();
        assert_eq!(e.code(), "change_time_out_of_range");
    }

    #[test]
    fn an_unreadable_record_is_named() {
        let now = t("2026-11-10T00:00:00Z");
        let mut c = unit(now);
        c.payload = json!({"name": "某某区"});
        let e = check_changes(&[c], now, now).unwrap_err();
        assert_eq!(e.code(), "unreadable_record");
        assert!(e.to_string().contains(&format!("unit {UNIT}")), "{e}");
    }

    #[test]
    fn a_laptop_writes_its_own_records_and_only_logs_the_office_plans() {
        let now = t("2026-11-10T00:00:00Z");
        let mine = unit(now);
        let plan = "0192f4a0-0000-7000-8000-0000000000aa";
        let mut office_plan = unit(now);
        (office_plan.entity, office_plan.entity_id) = (EntityKind::Plan, plan.to_owned());
        let mut holders = Holders::default();
        holders.office_plans.insert(plan.to_owned());
        assert_eq!(landings(device(1), &[&mine, &office_plan], &holders).unwrap(), [Landing::Record, Landing::LogOnly]);

        holders.owners.insert((EntityKind::Unit, UNIT.to_owned()), device(2));
        let e = landings(device(1), &[&office_plan, &mine], &holders).unwrap_err();
        assert_eq!(e.code(), "foreign_record");
        assert!(matches!(e, RepoError::ForeignRecord { entity: EntityKind::Unit, seq: 1, .. }));
        holders.owners.insert((EntityKind::Unit, UNIT.to_owned()), device(1));
        assert!(landings(device(1), &[&mine], &holders).is_ok(), "its own record");
    }
}
