#!/usr/bin/env bash
# schemathesis in all four phases (examples, coverage, fuzzing, stateful), positive and
# negative data, against a real gunicorn: first with DEBUG off (production settings), then
# with DEBUG on (the demo). Each run seeds its own partner, cases and keys
# (bench/schemathesis_seed.py) and checks every answer: no 5xx, a documented status, the
# documented content type, headers and body. The figures are counted from gunicorn's access
# log, independently of schemathesis's own report.
#
#   bench/schemathesis_all.sh                         # SQLite under var/schemathesis/
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bo_x CACHE_URL=redis://127.0.0.1:6379/3 \
#     bench/schemathesis_all.sh                       # as production runs it
#
# MAX_EXAMPLES (default 250: about 6,000 requests a run) bounds the generated cases per
# operation and phase; PORT (default: a free one) is where gunicorn listens; DEBUG_MODES
# (default "false true") the runs. A 5xx in the server's log with an OperationalError is the
# database going away under the run (a shared PostgreSQL restarted): run again.
# Exits non-zero if any run found a failure or a 5xx.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

OUT=${OUT:-$PWD/var/schemathesis}
PORT=${PORT:-$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
MAX_EXAMPLES=${MAX_EXAMPLES:-250}
DEBUG_MODES=${DEBUG_MODES:-"false true"}
BASE="http://127.0.0.1:${PORT}"
mkdir -p "$OUT"
rm -f "$OUT/db.sqlite3"

export DATABASE_URL=${DATABASE_URL:-"sqlite:///$OUT/db.sqlite3"}
export VAR_DIR="$OUT/var"
export SECRET_KEY="schemathesis-$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
export PAYMENTS_SIGNING_SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
# No payments system listens here: instructions stay in the outbox, as no worker runs.
export PAYMENTS_ENDPOINT_URL="http://127.0.0.1:9/"
export ALLOWED_HOSTS=127.0.0.1
# Outside the demo, as production: its own audit chain key; requests arrive as the load
# balancer forwards them after TLS (X-Forwarded-Proto: https, in the seeded config's headers).
export DEMO=false
export AUDIT_CHAIN_KEY="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export HOST=127.0.0.1 PORT WEB_CONCURRENCY=${WEB_CONCURRENCY:-2}

.venv/bin/python manage.py migrate --noinput -v 0

status=0
for debug in $DEBUG_MODES; do
    run="$OUT/debug-$debug"
    rm -rf "$run" && mkdir -p "$run"
    export DEBUG=$debug
    .venv/bin/python bench/schemathesis_seed.py "$run"

    .venv/bin/gunicorn -c config/gunicorn.conf.py >"$run/gunicorn.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    for _ in $(seq 60); do
        curl -fsS "$BASE/healthz/" >/dev/null 2>&1 && break
        sleep 1
    done

    set +e
    # From the run's directory: schemathesis keeps its cache (.schemathesis/) where it runs.
    (cd "$run" && "$ROOT/.venv/bin/schemathesis" --config-file "$run/schemathesis.toml" run "$BASE/api/schema/?format=json" \
        --url "$BASE" \
        --phases examples,coverage,fuzzing,stateful \
        --mode all \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
        --max-examples "$MAX_EXAMPLES" \
        --seed 13 \
        --workers 2 \
        --suppress-health-check all \
        --continue-on-failure \
        --report junit --report-dir "$run" \
        >"$run/schemathesis.txt" 2>&1)
    checks=$?
    set -e
    kill $server && wait $server 2>/dev/null || true
    trap - EXIT

    # gunicorn's access log: host "METHOD /path HTTP/1.1" status bytes ...
    requests=$(grep -cE '"[A-Z]+ /api/v1/' "$run/gunicorn.log" || true)
    server_errors=$(grep -E '"[A-Z]+ /api/v1/' "$run/gunicorn.log" | grep -cE '" 5[0-9]{2} ' || true)
    by_status=$(grep -E '"[A-Z]+ /api/v1/' "$run/gunicorn.log" | grep -oE '" [0-9]{3} ' | tr -d '" ' |
        sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
    echo "DEBUG=$debug: $requests requests under /api/v1/, $server_errors answered 5xx; by status: $by_status"
    echo "  schemathesis: $(grep -A1 '^Test cases:' "$run/schemathesis.txt" | tail -1 | sed 's/^ *//'); $(tail -1 "$run/schemathesis.txt" | tr -d '=')"
    echo "  its output: $run/schemathesis.txt (JUnit beside it); the server's log: $run/gunicorn.log"
    if [ "$checks" -ne 0 ] || [ "$server_errors" -ne 0 ]; then
        status=1
    fi
done
exit $status
