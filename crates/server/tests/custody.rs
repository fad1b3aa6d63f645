#![allow(clippy::unwrap_used)]
//! The chain of custody at the office, on SQLite and on PostgreSQL: batches must continue the
//! device's chain (a fork, a replay or a broken chain is refused and stores nothing), each
//! receipt proves its batch's place in the office's log, the signed daily heads stay
//! consistent, and `verify` catches one flipped bit anywhere it matters, every time, naming
//! what changed.

#[macro_use]
mod support;

use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::custody::{self, Hash, SignedTreeHead};
use mingcha_core::sync::{BatchState, SignedManifest, SignedReceipt};
use mingcha_server::blobs::BlobStore;
use mingcha_server::custody::verify::{Report, Scope};
use mingcha_server::key::sha256_hex;
use mingcha_server::repo::NewBatch;
use serde_json::json;
use support::{App, Device, sha256};

on_both_backends!(
    a_full_exchange_verifies_end_to_end_and_each_receipt_proves_its_entry,
    a_fork_a_replay_and_a_broken_chain_are_refused_and_store_nothing,
    daily_heads_are_signed_per_day_and_each_contains_the_one_before,
    one_flipped_bit_anywhere_is_caught_every_time_and_named,
);

/// A day's batch: a unit, a finding and its photo, as a laptop logs them.
fn day_batch(device: &Device, after: u64, photo: &[u8]) -> SignedManifest {
    let s = after;
    let (unit, visit) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let finding = uuid::Uuid::now_v7().to_string();
    let evidence_id = uuid::Uuid::now_v7().to_string();
    let evidence = json!({
        "id": evidence_id, "target": {"kind": "finding", "finding_id": finding},
        "sha256": sha256(photo), "size": photo.len(), "media_type": "image/jpeg", "original_name": "IMG_0001.JPG",
        "imported_at": "2026-11-10T01:20:00Z",
    });
    device.batch(
        after,
        vec![
            device.change(s + 1, EntityKind::Unit, &unit, unit_payload(&unit, "城南区政务服务中心")),
            device.change(
                s + 2,
                EntityKind::Finding,
                &finding,
                json!({
                    "id": finding, "visit_id": visit, "unit_id": unit, "spot_id": null,
                    "observed_at": "2026-11-10T09:20:00+08:00", "method": "covert", "category": "san.absent",
                    "severity": "serious", "description": "3号窗口工作人员上班时间脱岗二十分钟",
                    "persons_involved": null, "checklist_item": null, "status": "submitted",
                    "created_at": "2026-11-10T01:20:00Z", "updated_at": "2026-11-10T01:20:00Z",
                }),
            ),
            device.change(
                s + 3,
                EntityKind::Evidence,
                &evidence_id,
                json!({"sha256": sha256(photo), "size": photo.len(), "evidence": evidence}),
            ),
        ],
    )
}

/// A unit as a laptop logs it.
fn unit_payload(id: &str, name: &str) -> serde_json::Value {
    json!({"id": id, "name": name, "region": null, "created_at": "2026-11-10T01:00:00Z"})
}

/// A unit change of `device` at `seq`, under a fresh id.
fn new_unit(device: &Device, seq: u64, name: &str) -> mingcha_core::change::ChangeRecord {
    let id = uuid::Uuid::now_v7().to_string();
    device.change(seq, EntityKind::Unit, &id, unit_payload(&id, name))
}

/// Offer, upload and commit through the API; the receipt.
async fn send(app: &App, device: &Device, batch: &SignedManifest, photos: &[&[u8]]) -> SignedReceipt {
    let state: BatchState = device.offer(app, batch).await.json();
    for p in photos {
        if state.missing.iter().any(|b| b.sha256.as_str() == sha256(p)) {
            assert_eq!(device.put(app, &sha256(p), 0, p).await.status, 200);
        }
    }
    let res = device.commit(app, batch).await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()
}

/// Offer and commit through the repository at `now` (the API reads the clock; this does not).
async fn send_at(
    app: &App,
    device: &Device,
    batch: &SignedManifest,
    photos: &[&[u8]],
    now: DateTime<Utc>,
) -> SignedReceipt {
    let canonical = String::from_utf8(batch.manifest.canonical_bytes()).unwrap();
    let new = NewBatch {
        manifest_sha256: sha256_hex(canonical.as_bytes()),
        canonical,
        manifest: batch.manifest.clone(),
        signature: batch.signature.clone(),
    };
    app.repo().open_batch(&new, now).await.unwrap();
    for p in photos {
        let sha = app.server.office.blobs.put(p.to_vec()).await.unwrap();
        app.repo().record_blob(&sha, p.len() as u64, now).await.unwrap();
    }
    let key = app.server.office.key().unwrap();
    app.repo().commit(device.id, batch.manifest.batch_id, &key, now).await.unwrap()
}

async fn verify(app: &App, scope: &Scope) -> Report {
    let key = app.server.office.key().unwrap().verifying_key();
    mingcha_server::custody::verify_scope(app.repo(), app.server.office.blobs.as_ref(), &key, scope).await.unwrap()
}

fn assert_holds(report: &Report) {
    assert!(report.holds, "verify should hold:\n{}", report.lines(false).join("\n"));
}

fn day(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

async fn a_full_exchange_verifies_end_to_end_and_each_receipt_proves_its_entry(app: App) {
    let (li, enrolled) = app.enrolled("李明").await;
    let (zhou, _) = app.enrolled("周强").await;
    let (p1, p2) = (b"\xff\xd8 photo one \xff\xd9".repeat(50), b"\xff\xd8 photo two \xff\xd9".repeat(70));
    let first = day_batch(&li, 0, &p1);
    let r1 = send(&app, &li, &first, &[&p1]).await;
    let theirs = day_batch(&zhou, 0, &p2);
    let r2 = send(&app, &zhou, &theirs, &[&p2]).await;
    let finding = first.manifest.changes[1].entity_id.clone();
    let mut edited = first.manifest.changes[1].payload.clone();
    edited["description"] = json!("改过的描述");
    let mut edit = li.change(4, EntityKind::Finding, &finding, edited);
    edit.op = ChangeOp::Update;
    let second = li.batch(3, vec![edit]);
    let r3 = send(&app, &li, &second, &[]).await;

    // The receipt names the chain head the office accepted and proves the batch's log entry.
    for (batch, r) in [(&first, &r1), (&theirs, &r2), (&second, &r3)] {
        let key = mingcha_server::key::parse_public_key(&enrolled.server_key).unwrap();
        assert!(mingcha_server::key::verifies(&key, &r.receipt.signing_message(), &r.signature));
        assert_eq!(r.receipt.chain_head, batch.manifest.chain_head);
        let entry = batch.manifest.log_entry(&r.receipt.manifest_sha256, r.receipt.committed_at);
        assert!(r.receipt.log.proves(&entry), "the receipt's proof shows the entry in the log");
    }
    assert_eq!([r1.receipt.log.index, r2.receipt.log.index, r3.receipt.log.index], [0, 1, 2]);
    assert_eq!(r3.receipt.log.tree_size, 3);
    let mut wrong = second.manifest.log_entry(&r3.receipt.manifest_sha256, r3.receipt.committed_at);
    wrong.last_seq += 1;
    assert!(!r3.receipt.log.proves(&wrong), "another entry is not proven");

    // The heads and proofs a device can fetch agree with the receipts.
    let heads: Vec<SignedTreeHead> = li.send(&app, "GET", "/api/v1/custody/heads", b"").await.json();
    assert_eq!(heads.len(), 1);
    assert_eq!((heads[0].head.tree_size, heads[0].head.root), (3, r3.receipt.log.root));
    let p: serde_json::Value = li.send(&app, "GET", "/api/v1/custody/proof?index=0&size=3", b"").await.json();
    let proof: Vec<Hash> = serde_json::from_value(p["proof"].clone()).unwrap();
    let entry = first.manifest.log_entry(&r1.receipt.manifest_sha256, r1.receipt.committed_at);
    assert!(custody::verify_inclusion(&entry.leaf_hash(), 0, 3, &proof, &r3.receipt.log.root));
    let c: serde_json::Value = li.send(&app, "GET", "/api/v1/custody/proof?from=1&to=3", b"").await.json();
    let proof: Vec<Hash> = serde_json::from_value(c["proof"].clone()).unwrap();
    assert!(custody::verify_consistency(1, 3, &r1.receipt.log.root, &r3.receipt.log.root, &proof));
    assert_eq!(li.send(&app, "GET", "/api/v1/custody/proof?index=3&size=3", b"").await.error(400).code, "bad_request");
    assert_eq!(app.send("GET", "/api/v1/custody/heads", b"").await.error(401).code, "unsigned_request");

    let all = verify(&app, &Scope::Everything).await;
    assert_holds(&all);
    let photo = verify(&app, &Scope::Photo(sha256(&p1))).await;
    assert_holds(&photo);
    let text = photo.lines(false).join("\n");
    assert!(text.contains(&format!("blob {}…: its", &sha256(&p1)[..12])), "{text}");
    assert!(!text.contains(&sha256(&p2)[..12]), "the other photo is not in this photo's checks:\n{text}");
    assert!(!text.contains(&zhou.id.to_string()), "nor the other device's batch:\n{text}");
    let of_finding = verify(&app, &Scope::Finding(finding.clone())).await;
    assert_holds(&of_finding);
    let text = of_finding.lines(false).join("\n");
    assert!(text.contains(&format!("change 4 of device {}", li.id)), "the edit is among its checks:\n{text}");
    assert!(text.contains(&format!("blob {}…", &sha256(&p1)[..12])), "and its photo:\n{text}");
    assert_holds(&verify(&app, &Scope::Batch(second.manifest.batch_id.to_string())).await);
    let nothing = verify(&app, &Scope::Photo("e".repeat(64))).await;
    assert!(!nothing.holds, "an unknown photo is not verified");
    assert!(nothing.checks.is_empty(), "nor reported as the log's checks holding: {:?}", nothing.checks);
    // A digest copied by its first characters, as listings print it, names the same photo.
    let by_prefix = verify(&app, &Scope::Photo(sha256(&p1)[..12].to_owned())).await;
    assert_holds(&by_prefix);
    assert_eq!(by_prefix.checks.len(), photo.checks.len());

    // The command line says the same, and exits 0.
    let out = admin(&app, &["verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("checks hold") && !stdout.contains('✗'), "{stdout}");
}

fn admin(app: &App, args: &[&str]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_mingcha-server"));
    c.arg("--data").arg(&app.server.office.config.data_dir).env_remove("MINGCHA_DATABASE_URL");
    if let Some(u) = &app.server.office.config.database_url {
        c.args(["--database-url", u]);
    }
    c.args(args).output().unwrap()
}

async fn a_fork_a_replay_and_a_broken_chain_are_refused_and_store_nothing(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let photo = b"the photo".to_vec();
    let first = day_batch(&device, 0, &photo);
    let receipt = send(&app, &device, &first, &[&photo]).await;
    let before = app.counts().await;

    // A chain head that does not follow from the changes.
    let mut broken = device.manifest(3, vec![new_unit(&device, 4, "甲")]);
    broken.chain_head = Hash([7; 32]);
    assert_eq!(device.offer(&app, &device.sign(broken)).await.error(422).code, "chain_broken");

    // A batch that continues from another chain state than the one the office accepted.
    let mut fork = device.manifest(3, vec![new_unit(&device, 4, "乙")]);
    fork.chain_before = Hash([9; 32]);
    fork.chain_head = custody::fold(fork.chain_before, &fork.changes);
    let e = device.offer(&app, &device.sign(fork)).await.error(409);
    let detail = e.detail.clone().unwrap();
    assert_eq!(e.code, "chain_fork");
    assert_eq!(
        (detail["expected"].clone(), detail["offered"].clone()),
        (json!(receipt.receipt.chain_head), json!(Hash([9; 32])))
    );
    assert!(e.message.contains(&receipt.receipt.chain_head.short()), "{}", e.message);

    // An overlap whose old change was altered after it was linked (same id, other content).
    let mut changes = first.manifest.changes.clone();
    changes[0].payload = unit_payload(&changes[0].entity_id, "城北区政务服务中心");
    changes.push(new_unit(&device, 4, "丙"));
    let altered =
        device.sign(mingcha_core::sync::Manifest::new(uuid::Uuid::now_v7(), device.id, 0, Hash::GENESIS, changes));
    let e = device.offer(&app, &altered).await.error(409);
    assert_eq!((e.code.as_str(), &e.detail.unwrap()["seq"]), ("chain_fork", &json!(1)));

    // Everything already held, under a new batch id (a laptop restored from a backup).
    let replay = device.batch(0, first.manifest.changes.clone());
    let e = device.offer(&app, &replay).await.error(409);
    let detail = e.detail.unwrap();
    assert_eq!((e.code.as_str(), &detail["acked_seq"]), ("chain_replay", &json!(3)));
    assert_eq!(detail["chain_head"], json!(receipt.receipt.chain_head));
    app.assert_nothing_stored_since(before).await;
    assert_holds(&verify(&app, &Scope::Everything).await);

    // The chain goes on from where the office stands.
    let next = device.batch(3, vec![new_unit(&device, 4, "丁")]);
    assert_eq!(send(&app, &device, &next, &[]).await.receipt.acked_seq, 4);
}

async fn daily_heads_are_signed_per_day_and_each_contains_the_one_before(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (a, b, c) = (b"a".repeat(10), b"b".repeat(10), b"c".repeat(10));
    // 23:30 in Beijing on 11-10 is 15:30 UTC; 00:10 on 11-11 is 16:10 UTC the same UTC day.
    let one = send_at(&app, &device, &day_batch(&device, 0, &a), &[&a], day("2026-11-10T15:30:00Z")).await;
    let two = send_at(&app, &device, &day_batch(&device, 3, &b), &[&b], day("2026-11-10T16:10:00Z")).await;
    let three = send_at(&app, &device, &day_batch(&device, 6, &c), &[&c], day("2026-11-11T02:00:00Z")).await;

    let heads = app.repo().custody_heads().await.unwrap();
    let days: Vec<(String, u64)> = heads.iter().map(|h| (h.head.day.to_string(), h.head.tree_size)).collect();
    assert_eq!(
        days,
        [("2026-11-10".into(), 1), ("2026-11-11".into(), 3)],
        "one head per Beijing day; only today's moves"
    );
    assert_eq!(heads[0].head.root, one.receipt.log.root);
    assert_eq!(heads[1].head.root, three.receipt.log.root);
    assert_eq!(two.receipt.log.tree_size, 2);
    let key = app.server.office.key().unwrap().verifying_key();
    for h in &heads {
        assert!(mingcha_server::key::verifies(&key, &h.head.signing_message(), &h.signature), "signed by the office");
    }
    let leaves = app.repo().custody_leaves().await.unwrap();
    let proof = custody::consistency_proof(1, &leaves).unwrap();
    assert!(custody::verify_consistency(1, 3, &heads[0].head.root, &heads[1].head.root, &proof));
    assert!(!custody::verify_consistency(1, 3, &two.receipt.log.root, &heads[1].head.root, &proof));
    assert_holds(&verify(&app, &Scope::Everything).await);
}

/// A small seeded generator (SplitMix64): the test prints its seed, and MINGCHA_FAULT_SEED
/// replays it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// Direct access to the office's tables, as an intruder (or a failing disk) would have it.
enum Db {
    Sqlite(std::sync::Mutex<rusqlite::Connection>),
    Postgres(tokio_postgres::Client),
}

impl Db {
    async fn open(app: &App) -> Self {
        match &app.server.office.config.database_url {
            None => Db::Sqlite(std::sync::Mutex::new(
                rusqlite::Connection::open(app.server.office.config.sqlite_path()).unwrap(),
            )),
            Some(url) => {
                let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                Db::Postgres(client)
            }
        }
    }

    /// The column's value as bytes (`key` is the row's key, as text).
    async fn read(&self, table: &str, column: &str, key_col: &str, key: &str) -> Vec<u8> {
        match self {
            Db::Sqlite(c) => c
                .lock()
                .unwrap()
                .query_row(&format!("SELECT {column} FROM {table} WHERE {key_col} = ?1"), [key], |r| {
                    Ok(match r.get_ref(0)? {
                        rusqlite::types::ValueRef::Text(b) | rusqlite::types::ValueRef::Blob(b) => b.to_vec(),
                        other => panic!("{other:?}"),
                    })
                })
                .unwrap(),
            Db::Postgres(c) => {
                let sql = format!("SELECT {column}::text FROM {table} WHERE {key_col}::text = $1");
                c.query_one(&sql, &[&key]).await.unwrap().get::<_, String>(0).into_bytes()
            }
        }
    }

    /// Write `bytes` to the column; `false` when the database refuses them (PostgreSQL keeps
    /// only valid UTF-8 text and valid JSON in a JSONB column).
    async fn write(&self, table: &str, column: &str, key_col: &str, key: &str, bytes: &[u8]) -> bool {
        match self {
            Db::Sqlite(c) => {
                let c = c.lock().unwrap();
                let sql = format!("UPDATE {table} SET {column} = ?1 WHERE {key_col} = ?2");
                let n = match std::str::from_utf8(bytes) {
                    Ok(text) => c.execute(&sql, rusqlite::params![text, key]),
                    Err(_) => c.execute(&sql, rusqlite::params![bytes, key]),
                };
                n.unwrap() == 1
            }
            Db::Postgres(c) => {
                let Ok(text) = std::str::from_utf8(bytes) else { return false };
                let cast = if column == "payload" { "::jsonb" } else { "" };
                let sql = format!("UPDATE {table} SET {column} = $1::text{cast} WHERE {key_col}::text = $2");
                c.execute(&sql, &[&text, &key]).await.is_ok_and(|n| n == 1)
            }
        }
    }

    /// Let the next writes through the log's append-only triggers (`on` false), or restore them.
    async fn guard_log(&self, on: bool, saved: &mut Vec<String>) {
        match self {
            Db::Sqlite(c) => {
                let c = c.lock().unwrap();
                if on {
                    for sql in saved.drain(..) {
                        c.execute_batch(&sql).unwrap();
                    }
                } else {
                    let mut stmt = c
                        .prepare(
                            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'custody_log'",
                        )
                        .unwrap();
                    let rows: Vec<(String, String)> =
                        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
                    for (name, sql) in rows {
                        c.execute_batch(&format!("DROP TRIGGER {name}")).unwrap();
                        saved.push(sql);
                    }
                }
            }
            Db::Postgres(c) => {
                let verb = if on { "ENABLE" } else { "DISABLE" };
                c.batch_execute(&format!("ALTER TABLE custody_log {verb} TRIGGER USER")).await.unwrap();
            }
        }
    }
}

async fn one_flipped_bit_anywhere_is_caught_every_time_and_named(app: App) {
    let seed = std::env::var("MINGCHA_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from_le_bytes(support::random::<8>()));
    println!("bit flips: MINGCHA_FAULT_SEED={seed}");
    let mut rng = Rng(seed);
    let rounds = 30;

    let (device, _) = app.enrolled("李明").await;
    let (a, b) = (b"\xff\xd8 first photo \xff\xd9".repeat(40), b"\xff\xd8 second photo \xff\xd9".repeat(40));
    let first = day_batch(&device, 0, &a);
    send_at(&app, &device, &first, &[&a], day("2026-11-10T03:00:00Z")).await;
    let second = day_batch(&device, 3, &b);
    send_at(&app, &device, &second, &[&b], day("2026-11-11T03:00:00Z")).await;
    assert_holds(&verify(&app, &Scope::Everything).await);

    let db = Db::open(&app).await;
    // The log refuses to be rewritten or shortened through SQL.
    let batch0 = first.manifest.batch_id.to_string();
    match &db {
        Db::Sqlite(c) => {
            let c = c.lock().unwrap();
            assert!(c.execute("UPDATE custody_log SET entry = 'x' WHERE idx = 0", []).is_err());
            assert!(c.execute("DELETE FROM custody_log", []).is_err());
            assert!(c.execute("DELETE FROM custody_head", []).is_err());
        }
        Db::Postgres(c) => {
            assert!(c.execute("UPDATE custody_log SET entry = 'x' WHERE idx = 0", &[]).await.is_err());
            assert!(c.execute("DELETE FROM custody_log", &[]).await.is_err());
            assert!(c.execute("DELETE FROM custody_head", &[]).await.is_err());
        }
    }

    // (table, column, key column, key, what the failure must name)
    let evidence_change = second.manifest.changes[2].clone();
    let targets: Vec<(&str, &str, &str, String, String)> = vec![
        (
            "change",
            "payload",
            "id",
            evidence_change.id.to_string(),
            format!("change {} of device {}", evidence_change.seq, device.id),
        ),
        ("batch", "manifest", "id", batch0.clone(), format!("batch {batch0}")),
        ("batch", "receipt", "id", batch0.clone(), format!("batch {batch0}")),
        ("custody_log", "entry", "idx", "1".into(), "log entry 1".into()),
        ("custody_head", "head", "day", "2026-11-10".into(), "signed head of 2026-11-10".into()),
    ];
    for (table, column, key_col, key, name) in &targets {
        let original = db.read(table, column, key_col, key).await;
        let mut saved = Vec::new();
        if *table == "custody_log" {
            db.guard_log(false, &mut saved).await;
        }
        let mut flips = 0;
        println!("flipping bits of {table}.{column}");
        while flips < rounds {
            let mut bytes = original.clone();
            let bit = rng.below(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            if !db.write(table, column, key_col, key, &bytes).await {
                continue; // the database itself refused these bytes: nothing was changed
            }
            let report = verify(&app, &Scope::Everything).await;
            assert!(!report.holds, "seed {seed}: bit {bit} of {table}.{column} went unnoticed");
            assert!(
                report.failures().any(|c| c.message.contains(name.as_str())),
                "seed {seed}: bit {bit} of {table}.{column}: no failure names {name}:\n{}",
                report.lines(false).join("\n")
            );
            assert!(db.write(table, column, key_col, key, &original).await, "restored");
            flips += 1;
        }
        if *table == "custody_log" {
            db.guard_log(true, &mut saved).await;
        }
        assert_holds(&verify(&app, &Scope::Everything).await);
    }

    // The photo file itself: its bytes no longer hash to its name.
    let sha = mingcha_core::evidence::Sha256Hex::parse(&sha256(&b)).unwrap();
    let path = app.server.office.blobs.path_of(&sha);
    let original = std::fs::read(&path).unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    let name = format!("blob {}…", &sha.as_str()[..12]);
    for _ in 0..rounds {
        let mut bytes = original.clone();
        let bit = rng.below(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&path, &bytes).unwrap();
        for scope in [Scope::Everything, Scope::Photo(sha.as_str().to_owned())] {
            let report = verify(&app, &scope).await;
            assert!(
                !report.holds && report.failures().any(|c| c.message.contains(&name)),
                "seed {seed}: bit {bit} of the photo: {}",
                report.lines(false).join("\n")
            );
        }
        std::fs::write(&path, &original).unwrap();
    }
    assert_holds(&verify(&app, &Scope::Everything).await);

    // The command line names it too, and exits non-zero.
    let mut bytes = original.clone();
    bytes[0] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let out = admin(&app, &["verify", "photo", sha.as_str()]);
    assert!(!out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(|l| l.starts_with('✗') && l.contains(&name)), "{stdout}");
    std::fs::write(&path, &original).unwrap();
}
