#!/usr/bin/env bash
# Load test of `zhengce serve` on loopback (bounded: fixed duration, 127.0.0.1 only).
#
#   benches/load/run.sh [path/to/zhengce]      (default: target/release/zhengce; needs Debian `wrk`)
#
# 1. Sustainable: 16 connections for 10 s each on POST /api/v1/match (the SME fixture), once with
#    `Accept-Encoding: identity` and once accepting gzip/br (the server answers gzip), and
#    GET /api/v1/policies?q=… → requests/s and latency percentiles.
# 2. Overload: 512 connections against a server started with --max-in-flight 32: the excess must be
#    shed fast with 503 (counted as non-2xx by wrk), no crash, memory bounded (VmHWM of the server).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/release/zhengce}
PORT=${PORT:-18080}
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)"; exit 2; }

start() {
    "$BIN" serve --addr "127.0.0.1:$PORT" --db "$DIR/load.db" "$@" >"$DIR/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return; sleep 0.2; done
    echo "server did not become ready"; cat "$DIR/serve.log"; exit 1
}

cat >"$DIR/match.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept-Encoding"] = "identity"
local f = io.open("tests/fixtures/profiles/wenshang-garment-sme.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

sed 's/"identity"/"gzip, br"/' "$DIR/match.lua" >"$DIR/match-gzip.lua"

start
echo "== sustainable: POST /api/v1/match?at=2025-06-01, 2 threads, 16 connections, 10 s (identity)"
wrk -t2 -c16 -d10s --latency -s "$DIR/match.lua" "http://127.0.0.1:$PORT/api/v1/match?at=2025-06-01" | tee "$DIR/match.txt"
echo "== sustainable: the same, Accept-Encoding: gzip, br"
wrk -t2 -c16 -d10s --latency -s "$DIR/match-gzip.lua" "http://127.0.0.1:$PORT/api/v1/match?at=2025-06-01" | tee "$DIR/match-gzip.txt"
echo "== sustainable: GET /api/v1/policies?q=招大学生有补贴吗, 16 connections, 10 s"
wrk -t2 -c16 -d10s --latency "http://127.0.0.1:$PORT/api/v1/policies?q=%E6%8B%9B%E5%A4%A7%E5%AD%A6%E7%94%9F%E6%9C%89%E8%A1%A5%E8%B4%B4%E5%90%97" | tee "$DIR/search.txt"
echo "server peak memory: $(grep VmHWM /proc/$PID/status)"
kill $PID; wait $PID 2>/dev/null || true

start --max-in-flight 32
echo "== overload: 512 connections, max-in-flight 32, 10 s (excess answered 503 at once)"
wrk -t2 -c512 -d10s --latency -s "$DIR/match.lua" "http://127.0.0.1:$PORT/api/v1/match?at=2025-06-01" | tee "$DIR/over.txt"
curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && echo "server alive after overload"
echo "server peak memory: $(grep VmHWM /proc/$PID/status)"
kill -TERM $PID; wait $PID 2>/dev/null || true
grep -q "已停止" "$DIR/serve.log" && echo "graceful shutdown logged"
