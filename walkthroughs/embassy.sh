#!/usr/bin/env bash
# walkthroughs/embassy.sh, run from an empty directory: a sandbox state replicates its
# population register to the data embassy; the continuity drill destroys the register,
# restores it from the embassy alone (checked against the ledger's key) and checks it again.
. "$(dirname "$0")/lib.sh"
: "${RIIK_PORT_BASE:=8800}"

start up riik up --data data --persons 200 --port-base "$RIIK_PORT_BASE"
retry 300 grep -q '^ready ' up.log
# The shipper sends the register's first snapshot once the state is up: wait until the
# embassy holds every change (the shipper's /v1/status, what `riik embassy status` shows).
shipped() { curl -sf "$(state services.embassy.status)/v1/status" | grep -q '"lagChanges":0'; }
retry 120 shipped
riik embassy drill --data data
