//! Benchmarks. Placeholder until written.
use clap::Subcommand;
#[derive(Debug, Subcommand)]
pub enum BenchCommand { Store }
pub fn run(_c: BenchCommand) -> anyhow::Result<()> { Ok(()) }
