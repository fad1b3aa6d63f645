//! `mingcha-server`: the central office server (being built).

fn main() {}
