#!/usr/bin/env bash
# Runs only the store and roster suites against SQLite and a real PostgreSQL server (including the kill -9
# crash test). CI runs the same tests inside the single `cargo test --workspace` of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
. .ci/postgres.sh
cargo test -p zhengce-store -p zhengce-roster --locked -- --nocapture
