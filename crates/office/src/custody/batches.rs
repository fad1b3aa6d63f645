//! The checks of each batch (manifest, signature, chain, receipt), of each change row against
//! the change its device signed, and of each device's chain head.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;
use mingcha_core::change::ChangeRecord;
use mingcha_core::custody::{self, Hash};
use mingcha_core::sync::{Manifest, SignedReceipt};

use super::{
    Checks, Damage, HeldChange, HeldDevice, Holdings, Subject, canonical, parse_public_key, sha256_hex, short, verifies,
};

/// Batches: the manifest as signed, the receipt as signed. Answers each batch as read.
pub(super) fn batches<'h>(h: &'h Holdings, office_key: &VerifyingKey, c: &mut Checks) -> HashMap<&'h str, Batch> {
    let devices: HashMap<&str, &HeldDevice> = h.devices.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut batches: HashMap<&str, Batch> = HashMap::new();
    for b in &h.batches {
        let about = vec![Subject::Batch(b.id.clone())];
        let name = format!("batch {} of device {}", short(&b.id), short(&b.device_id));
        let digest_ok = sha256_hex(&b.manifest) == b.manifest_sha256;
        let manifest = canonical::<Manifest>(&b.manifest);
        match (&manifest, digest_ok) {
            (Ok(_), true) => {
                c.push(true, "manifest", about.clone(), format!("{name}: the stored manifest hashes to its digest"))
            }
            (Err(why), _) => c.push(false, "manifest", about.clone(), format!("{name}: the stored manifest {why}")),
            (Ok(_), false) => c.push(
                false,
                "manifest",
                about.clone(),
                format!(
                    "{name}: the stored manifest does not hash to its digest {} (it was altered)",
                    short(&b.manifest_sha256)
                ),
            ),
        }
        let manifest = manifest.ok().filter(|_| digest_ok);
        if let Some(m) = &manifest {
            let key = devices.get(b.device_id.as_str()).and_then(|d| parse_public_key(&d.public_key));
            let signed = key.is_some_and(|k| verifies(&k, &m.signing_message(), &b.signature));
            c.push(
                signed,
                "signature",
                about.clone(),
                if signed {
                    format!("{name}: the manifest's signature verifies with the device's key")
                } else {
                    format!("{name}: the manifest's signature does NOT verify with the device's key")
                },
            );
            let chain_ok =
                m.check().is_ok() && m.device_id.to_string() == b.device_id && m.batch_id.to_string() == b.id;
            c.push(
                chain_ok,
                "chain",
                about.clone(),
                if chain_ok {
                    format!(
                        "{name}: changes {}–{} link from {} to {}",
                        m.after_seq + 1,
                        m.last_seq(),
                        m.chain_before.short(),
                        m.chain_head.short()
                    )
                } else {
                    format!("{name}: the manifest's changes do not link from its chain_before to its chain_head")
                },
            );
        }
        let receipt = match b.receipt.as_deref().map(canonical::<SignedReceipt>) {
            None => {
                c.push(false, "receipt", about.clone(), format!("{name}: committed, but no receipt is stored"));
                None
            }
            Some(Err(why)) => {
                c.push(false, "receipt", about.clone(), format!("{name}: the stored receipt {why}"));
                None
            }
            Some(Ok(r)) => {
                let signed = verifies(office_key, &r.receipt.signing_message(), &r.signature);
                let names = r.receipt.manifest_sha256 == b.manifest_sha256 && r.receipt.batch_id.to_string() == b.id;
                let head = manifest.as_ref().is_none_or(|m| m.chain_head == r.receipt.chain_head);
                let (ok, msg) = match (signed, names, head) {
                    (true, true, true) => {
                        (true, "the receipt is signed by the office and names this manifest and chain head".to_owned())
                    }
                    (false, _, _) => {
                        (false, "the stored receipt's signature does NOT verify with the office's key".to_owned())
                    }
                    (_, false, _) => (false, "the stored receipt names another manifest".to_owned()),
                    (_, _, false) => (false, "the stored receipt's chain head is not the manifest's".to_owned()),
                };
                c.push(ok, "receipt", about.clone(), format!("{name}: {msg}"));
                Some(r)
            }
        };
        batches.insert(b.id.as_str(), Batch { manifest, receipt });
    }
    batches
}

/// Changes: each row is the change its device signed, and links into the device's chain; then
/// each device's chain head is where its last stored change ends.
pub(super) fn changes(h: &Holdings, batches: &HashMap<&str, Batch>, c: &mut Checks) {
    let mut last_link: HashMap<&str, (i64, Option<Hash>)> = HashMap::new();
    for row in &h.changes {
        let name = change_name(&row.device_id, row.seq, &row.entity, &row.entity_id, &row.op);
        let about = vec![Subject::Change(row.id.clone()), Subject::Batch(row.batch_id.clone())];
        let parsed = change_of(row);
        let signed = batches
            .get(row.batch_id.as_str())
            .and_then(|b| b.manifest.as_ref())
            .and_then(|m| m.changes.iter().find(|ch| ch.id.to_string() == row.id));
        match (&parsed, signed) {
            (Err(why), _) => c.push(false, "change", about.clone(), format!("{name}: {why}")),
            (Ok(_), None) => c.push(
                false,
                "change",
                about.clone(),
                format!("{name}: its batch {}'s manifest cannot be read or does not carry it", short(&row.batch_id)),
            ),
            (Ok(mine), Some(theirs)) => {
                let same_bytes = h.payload_normalized
                    || serde_json::to_vec(&theirs.payload).ok().as_deref() == Some(&row.payload[..]);
                // Both stores keep times to the microsecond.
                let mut theirs = theirs.clone();
                theirs.at = micros(theirs.at);
                let ok = *mine == theirs && same_bytes;
                c.push(
                    ok,
                    "change",
                    about.clone(),
                    if ok {
                        format!("{name} equals the change its device signed in batch {}", short(&row.batch_id))
                    } else {
                        format!("{name} differs from the manifest its device signed (batch {})", short(&row.batch_id))
                    },
                );
            }
        }
        // The link: from the previous change's stored link (genesis before seq 1).
        let stored = row.chain.as_deref().map(str::parse::<Hash>);
        let prev = match last_link.get(row.device_id.as_str()) {
            Some((seq, link)) if *seq == row.seq - 1 => *link,
            _ if row.seq == 1 => Some(Hash::GENESIS),
            _ => None,
        };
        // The link covers the change as signed; the row was compared with it just above.
        match (stored.clone(), prev, signed.ok_or(())) {
            (None, _, _) => c.push(
                true,
                "chain",
                about.clone(),
                format!("{name}: stored before the chain of custody began (no link to check)"),
            ),
            (Some(Err(_)), _, _) => {
                c.push(false, "chain", about.clone(), format!("{name}: its stored chain link is damaged"))
            }
            (Some(Ok(link)), Some(prev), Ok(ch)) => {
                let ok = custody::link(&prev, ch) == link;
                c.push(
                    ok,
                    "chain",
                    about.clone(),
                    if ok {
                        format!("{name}: its chain link {} recomputes from the change before it", link.short())
                    } else {
                        format!("{name}: its chain link {} does NOT recompute from the change before it", link.short())
                    },
                );
            }
            (Some(Ok(_)), None, _) => c.push(
                true,
                "chain",
                about.clone(),
                format!("{name}: the change before it predates the chain; this one anchors it"),
            ),
            (Some(Ok(_)), _, Err(_)) => {
                c.push(false, "chain", about.clone(), format!("{name}: its chain link cannot be recomputed"))
            }
        }
        last_link.insert(row.device_id.as_str(), (row.seq, stored.and_then(|s| s.ok())));
    }
    for d in &h.devices {
        let about = vec![Subject::Device(d.id.clone())];
        let last = last_link.get(d.id.as_str());
        let held_to = last.map_or(0, |(s, _)| *s);
        let head = d.chain_head.as_deref().map(str::parse::<Hash>);
        let (ok, msg) = match (head, last) {
            (None, _) => (true, "enrolled before the chain of custody; not anchored yet".to_owned()),
            (Some(Err(_)), _) => (false, "its stored chain head is damaged".to_owned()),
            (Some(Ok(h)), None) => (h == Hash::GENESIS, format!("holds no changes; chain head {}", h.short())),
            (Some(Ok(h)), Some((_, link))) => (
                Some(h) == *link && held_to == d.acked_seq,
                format!("chain of {held_to} change(s) ends at {}, the head the office accepted", h.short()),
            ),
        };
        let msg = if ok { msg } else { format!("{msg} — it does NOT match its last stored change {held_to}") };
        c.push(ok, "chain", about, format!("device {}: {msg}", short(&d.id)));
    }
}

/// A description of a change for messages: "change 7 of device 0192… (finding f1 update)".
fn change_name(device: &str, seq: i64, entity: &str, entity_id: &str, op: &str) -> String {
    format!("change {seq} of device {} ({entity} {} {op})", short(device), short(entity_id))
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

fn change_of(row: &HeldChange) -> Result<ChangeRecord, Damage> {
    let payload: serde_json::Value = std::str::from_utf8(&row.payload)
        .map_err(|_| Damage::Field("its payload is not valid UTF-8".to_owned()))
        .and_then(|t| serde_json::from_str(t).map_err(|_| Damage::Field("its payload is not valid JSON".to_owned())))?;
    Ok(ChangeRecord {
        id: row.id.parse().map_err(|_| Damage::Field(format!("its id `{}` is damaged", row.id)))?,
        seq: u64::try_from(row.seq).map_err(|_| Damage::Field("its seq is negative".to_owned()))?,
        device_id: row.device_id.parse().map_err(|_| Damage::Field("its device id is damaged".to_owned()))?,
        entity: row.entity.parse().map_err(|_| Damage::Field(format!("its entity `{}` is damaged", row.entity)))?,
        entity_id: row.entity_id.clone(),
        op: row.op.parse().map_err(|_| Damage::Field(format!("its op `{}` is damaged", row.op)))?,
        payload,
        at: DateTime::parse_from_rfc3339(&row.changed_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| Damage::Field("its time is damaged".to_owned()))?,
    })
}

/// A parsed batch, or why it could not be read.
pub(super) struct Batch {
    pub(super) manifest: Option<Manifest>,
    pub(super) receipt: Option<SignedReceipt>,
}
