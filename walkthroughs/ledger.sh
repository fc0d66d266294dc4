#!/usr/bin/env bash
# walkthroughs/ledger.sh, run from an empty directory: a ledger with one witness, a keyless
# signature of a file, verified offline against the ledger's and the witness's keys.
. "$(dirname "$0")/lib.sh"
: "${LEDGER_PORT:=8440}" "${WITNESS_PORT:=8441}"

serve ledger "http://127.0.0.1:$LEDGER_PORT" riik ledger serve --dir ledger --port "$LEDGER_PORT" \
  --round-ms 100 --witness "http://127.0.0.1:$WITNESS_PORT"  # writes ledger/ledger.vkey
serve witness "http://127.0.0.1:$WITNESS_PORT" riik ledger witness serve --dir witness \
  --log ledger/ledger.vkey --port "$WITNESS_PORT"            # writes witness/witness.vkey

echo "Riigikogu otsus nr 1" >otsus.txt
riik ledger sign otsus.txt --url "http://127.0.0.1:$LEDGER_PORT"  # writes otsus.txt.ledgersig
riik ledger verify otsus.txt otsus.txt.ledgersig || echo "refused: exit $?"  # no anchor: VERIFY_NO_TRUST_ANCHOR, exit 3
riik ledger verify otsus.txt otsus.txt.ledgersig --key ledger/ledger.vkey \
  --witness-key witness/witness.vkey --witnesses 1
