#!/usr/bin/env bash
# Load test: gatescope's HTTP API in front of a warm Go function, with capture
# off and on, beside a plain Go net/http server, all measured in one run with
# wrk against 127.0.0.1; then 2,000 req/s for 30 s with hey to check that
# capture drops nothing. Bounded: every run has a fixed duration.
#
#   bash bench/load.sh            # DURATION=10s RATE_SECONDS=30 by default
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
RATE_SECONDS=${RATE_SECONDS:-30}
command -v wrk >/dev/null || { echo "load.sh needs wrk (apt-get install wrk)"; exit 2; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

go build -o "$WORK/gatescope" ./cmd/gatescope
go build -o "$WORK/plain" ./bench/plain
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

serve() { # serve CAPTURE → sets API UI
  local api=127.0.0.1:$(port) ui=127.0.0.1:$(port)
  "$WORK/gatescope" serve --template bench/testdata/template.yaml --api-addr "$api" --ui-addr "$ui" \
    --db "$WORK/gs-$1.db" --capture="$1" --retain 0 --log-level warn >"$WORK/serve-$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 600); do curl -fs -o /dev/null "http://$ui/api/health" && break; sleep 0.2; done
  curl -fs -o /dev/null "http://$api/noop"
  API=http://$api UI=http://$ui
}

# wrk_run NAME URL CONNS → prints "req/s p50 p99"
wrk_run() {
  local out
  out=$(wrk -t "$(( $3 < 2 ? 1 : 2 ))" -c "$3" -d "$DURATION" --latency "$2")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  printf '%-22s c=%-3s %10s req/s   p50 %-9s p99 %s\n' "$1" "$3" "$rps" "$p50" "$p99"
}

plain=127.0.0.1:$(port)
"$WORK/plain" "$plain" & PIDS+=($!)
sleep 0.5

echo "== throughput (wrk, $DURATION each, one run)"
for c in 1 16; do wrk_run "plain net/http" "http://$plain/noop" $c; done
serve false
for c in 1 16; do wrk_run "gatescope capture off" "$API/noop" $c; done
serve true
for c in 1 16; do wrk_run "gatescope capture on" "$API/noop" $c; done

echo "== gateway overhead (gateway total minus the function invoke), from the last 1000 captured exchanges"
sleep 0.5
curl -fs "$UI/api/exchanges?limit=1000" | python3 -c '
import json, sys
xs = json.load(sys.stdin)["exchanges"]
over = sorted(x["durationMs"] - (x["timings"]["invokeEndMs"] - x["timings"]["invokeStartMs"]) for x in xs)
inv = sorted(x["timings"]["invokeEndMs"] - x["timings"]["invokeStartMs"] for x in xs)
q = lambda v, p: v[min(len(v) - 1, int(p * len(v)))]
print(f"overhead p50 {q(over,.5)*1000:.0f} us  p99 {q(over,.99)*1000:.0f} us   invoke p50 {q(inv,.5)*1000:.0f} us  (n={len(xs)})")'

if command -v go >/dev/null && [ "$RATE_SECONDS" -gt 0 ]; then
  echo "== 2,000 req/s for ${RATE_SECONDS}s with capture on (hey: 20 workers x 100 req/s)"
  before=$(curl -fs "$UI/api/stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("total", d.get("Total", 0)))')
  go run github.com/rakyll/hey@v0.1.5 -z "${RATE_SECONDS}s" -q 100 -c 20 "$API/noop" >"$WORK/hey.txt"
  grep -E "Requests/sec|Status code|\[200\]" "$WORK/hey.txt" | sed 's/^ */  /'
  sleep 1
  curl -fs "$UI/api/stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  captured:", d.get("captured"), " dropped:", d.get("dropped"), " stored total:", d.get("total", d.get("Total")))'
fi
