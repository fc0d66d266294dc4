# Sourced by every walkthrough: stop on the first failure, and stop every service the
# walkthrough started when it ends, however it ends.
set -euo pipefail
# `riik` is the repository's own command (npm install links it into node_modules/.bin).
PATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin:$PATH"
started=()
trap 'if ((${#started[@]})); then kill "${started[@]}" 2>/dev/null || true; wait; fi' EXIT

# start NAME COMMAND…: runs COMMAND in the background, its output in NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$name.log" 2>&1 &
  started+=($!)
}

# retry SECONDS COMMAND…: runs COMMAND until it succeeds, for SECONDS at most.
retry() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2 # poll interval; the deadline above bounds the wait
  done
}

# serve NAME URL COMMAND…: starts COMMAND and returns once URL/healthz answers.
serve() {
  local name=$1 url=$2
  shift 2
  start "$name" "$@"
  retry 120 healthy "$name" "$url" || {
    echo "$name did not answer at $url/healthz within 120 s (see $name.log)" >&2
    return 1
  }
  echo "$name ready at $url"
}

# healthy NAME URL: whether URL/healthz answers; ends the walkthrough once NAME has exited.
healthy() {
  curl -sf -o /dev/null "$2/healthz" && return 0
  kill -0 "${started[-1]}" 2>/dev/null || {
    echo "$1 exited (see $1.log)" >&2
    exit 1
  }
  return 1
}

# state PATH: a value from data/state.json, which `riik up --data data` writes.
state() { node -p "JSON.parse(fs.readFileSync('data/state.json')).$1"; }
