#!/usr/bin/env bash
# walkthroughs/signature.sh, run from an empty directory: two ID cards sign one ASiC-E
# container (XAdES B-LT, the second with an archive time-stamp), verified against the root.
. "$(dirname "$0")/lib.sh"
: "${PKI_PORT:=8800}"

riik pki init --dir pki --url "http://127.0.0.1:$PKI_PORT"
serve pki "http://127.0.0.1:$PKI_PORT" riik pki serve --dir pki --port "$PKI_PORT"  # the TSA and OCSP used
riik id issue --dir pki --code 38001085718 --given Mari-Liis --surname Männik \
  --pin1 1234 --pin2 12345 --out mari.json
riik id issue --dir pki --code 49403136526 --given Jaan --surname Tamm \
  --pin1 4321 --pin2 54321 --out jaan.json

echo "Otsus nr 1: riik läheb pilve." >otsus.txt
riik sign otsus.txt --card mari.json --pin2 12345 --role "Juhatuse liige" --out otsus.asice
riik sign --add otsus.asice --card jaan.json --pin2 54321 --lta  # another signer
riik verify otsus.asice --trust pki/ca/root.crt                  # exit 0 only when valid
riik verify otsus.asice || echo "refused: exit $?"               # no anchor: VERIFY_NO_TRUST_ANCHOR, exit 3
