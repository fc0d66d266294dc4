#!/usr/bin/env bash
# walkthroughs/quick-start.sh, run from an empty directory: the whole sandbox state (as
# `npm start`, with a small population), then the police look up a demo person through X-Road.
. "$(dirname "$0")/lib.sh"
: "${RIIK_PORT_BASE:=8800}"

start up riik up --data data --persons 200 --port-base "$RIIK_PORT_BASE"
retry 300 grep -q '^ready ' up.log # the first start initialises everything
grep '^ready ' up.log

curl -sf -X POST "$(state services.police.queries)" -H 'content-type: application/json' \
  -d '{"personalCode":"'"$(state 'demoCards[0].personalCode')"'","purpose":"Kriminaalmenetlus 1-24-1234","officer":"38001085718"}'
echo
