#!/usr/bin/env bash
# walkthroughs/state.sh, run from an empty directory: the whole sandbox state (as `npm start`,
# with a small population); the police look up a demo person through X-Road; then the data
# embassy's continuity drill destroys the population register, restores it from the embassy
# alone (checked against the ledger's key) and checks X-Road, the Data Tracker and the ledger again.
. "$(dirname "$0")/lib.sh"
: "${RIIK_PORT_BASE:=8800}"

start up riik up --data data --persons 200 --port-base "$RIIK_PORT_BASE"
retry 300 grep -q '^ready ' up.log # the first start initialises everything
grep '^ready ' up.log

curl -sf -X POST "$(state services.police.queries)" -H 'content-type: application/json' \
  -d '{"personalCode":"'"$(state 'demoCards[0].personalCode')"'","purpose":"Kriminaalmenetlus 1-24-1234","officer":"38001085718"}'
echo

# A registrar registers a birth over X-Road (the population register's vital-events service);
# the Social Insurance Board hears of it as an event and offers the family benefits unasked.
mother="$(state 'demoCards.find((c) => /^[46]/.test(c.personalCode)).personalCode')"
riik registrar birth --data data --official 47503122214 --mother "$mother" \
  --given-name Mari --surname Maasikas --sex female --date 2026-11-20 --place "Tallinn, Harju maakond"
offers() {
  curl -sf "$(state "services['ss-ria'].url")/r1/EE/GOV/70001975/benefits/family-benefits/persons/$mother/offers" \
    -H 'X-Road-Client: EE/GOV/70006317/portal' -H "X-Road-UserId: EE$mother" -H 'X-Road-Issue: peretoetused'
}
offered() { offers | grep -q '"benefit":"childbirth-allowance"'; }
retry 60 offered
offers
echo

# The shipper sends the register's changes to the embassy: wait until it holds every one
# (the shipper's /v1/status, what `riik embassy status` shows), then drill.
shipped() { curl -sf "$(state services.embassy.status)/v1/status" | grep -q '"lagChanges":0'; }
retry 120 shipped
riik embassy drill --data data
