# Sourced by every walkthrough: stop on the first failure, and stop every service the
# walkthrough started when it ends, however it ends.
set -euo pipefail
started=()
trap 'if ((${#started[@]})); then kill "${started[@]}" 2>/dev/null || true; wait; fi' EXIT

# serve NAME URL COMMAND…: runs COMMAND in the background (output in NAME.log) and returns
# once URL/healthz answers; fails if COMMAND exits first or 60 s pass.
serve() {
  local name=$1 url=$2 deadline=$((SECONDS + 60))
  shift 2
  "$@" >"$name.log" 2>&1 &
  started+=($!)
  until curl -sf -o /dev/null "$url/healthz"; do
    if ! kill -0 "$!" 2>/dev/null || ((SECONDS > deadline)); then
      echo "$name did not come up at $url (see $name.log)" >&2
      return 1
    fi
    sleep 0.1 # poll interval; the deadline above bounds the wait
  done
  echo "$name ready at $url"
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
