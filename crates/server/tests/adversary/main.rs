#![allow(clippy::unwrap_used)]
//! The office, walked by everyone who should learn or change nothing there: a unit contact
//! (单位联系人), the holder of a one-time link, a viewer, a second enrolled laptop and an
//! anonymous client. Each module goes through every route its caller can reach and asserts two
//! things a user would notice: the refusal (with its code), and the absence of identity bytes
//! (an inspector's name, a laptop's name, an office staff account, a return comment) in
//! everything that came back. 暗访 depends on the second: the unit inspected must never learn
//! who inspected it.

// `on_both_backends!` runs a module's test functions on SQLite and PostgreSQL.
#[macro_use]
#[allow(unused_macros)]
#[path = "../support/mod.rs"]
mod support;

mod anonymous;
/// The office the unit contact, the link holder and the viewer walk.
mod covert_office;
mod link_holder;
mod second_laptop;
mod unit_contact;
mod viewer;
