#!/usr/bin/env bash
# walkthroughs/xroad.sh, run from an empty directory: trust services, a central server, one
# security server serving the population register to the portal's subsystem, one message, its evidence.
. "$(dirname "$0")/lib.sh"
: "${PKI_PORT:=8800}" "${CENTRAL_PORT:=8810}" "${REGISTRY_PORT:=8450}"
: "${SS_CLIENT_PORT:=8080}" "${SS_TLS_PORT:=8443}" "${SS_SERVER_PORT:=5500}" "${SS_ADMIN_PORT:=4000}"

riik pki init --dir pki --url "http://127.0.0.1:$PKI_PORT"
serve pki "http://127.0.0.1:$PKI_PORT" riik pki serve --dir pki --port "$PKI_PORT"

riik central init --dir central --instance EE --url "http://127.0.0.1:$CENTRAL_PORT" --pki pki
serve central "http://127.0.0.1:$CENTRAL_PORT" riik central serve --dir central --port "$CENTRAL_PORT"
riik central member-add --dir central --class GOV --code 70000001 --name "Ministry of the Interior"
riik central subsystem-add --dir central --id EE/GOV/70000001/rr      # the register (provider)
riik central subsystem-add --dir central --id EE/GOV/70000001/portal  # the portal (consumer)

riik ss init --dir ss1 --pki pki --anchor central/anchor.json --id EE/GOV/70000001/ss1 \
  --name "Ministry of the Interior" --client-port "$SS_CLIENT_PORT" --client-tls-port "$SS_TLS_PORT" \
  --server-port "$SS_SERVER_PORT" --admin-port "$SS_ADMIN_PORT"
request=$(riik ss register --config ss1/ss.json | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')
riik central approve --dir central --request "$request"
riik central server-client-add --dir central --server EE/GOV/70000001/ss1 --client EE/GOV/70000001/rr
riik central server-client-add --dir central --server EE/GOV/70000001/ss1 --client EE/GOV/70000001/portal
serve ss1 "http://127.0.0.1:$SS_ADMIN_PORT" riik ss serve --config ss1/ss.json

riik registry seed --dir registry --persons 20
serve registry "http://127.0.0.1:$REGISTRY_PORT" riik registry serve --dir registry --port "$REGISTRY_PORT"
riik ss client-add --config ss1/ss.json --id EE/GOV/70000001/rr
riik ss client-add --config ss1/ss.json --id EE/GOV/70000001/portal --connection http --allow 127.0.0.1
riik ss service-add --config ss1/ss.json --client EE/GOV/70000001/rr --code persons \
  --url "http://127.0.0.1:$REGISTRY_PORT" --openapi <(curl -sf "http://127.0.0.1:$REGISTRY_PORT/openapi.json") \
  --personal-data
riik ss access-grant --config ss1/ss.json --client EE/GOV/70000001/rr --service persons \
  --subject EE/GOV/70000001/portal --method GET --path '/persons/*'
riik ss refresh --config ss1/ss.json  # fetch the configuration with the new clients now

# The portal reads a person (the first of seed 1) for a logged-in citizen: a personal-data
# service needs the user (X-Road-UserId) and the purpose (X-Road-Issue).
curl -sf -D headers.txt "http://127.0.0.1:$SS_CLIENT_PORT/r1/EE/GOV/70000001/rr/persons/persons/35012221282" \
  -H 'X-Road-Client: EE/GOV/70000001/portal' -H 'X-Road-UserId: EE35012221282' \
  -H 'X-Road-Issue: Isikuandmete vaatamine portaalis'
echo
query_id=$(sed -n 's/^x-road-id: *//ip' headers.txt | tr -d '\r')

# The message log anchors its records in batches every 5 s (anchorIntervalSeconds);
# the evidence is complete once the message's batch is time-stamped.
anchored() {
  riik ss evidence --config ss1/ss.json --query-id "$query_id" --out evidence.json >/dev/null &&
    grep -q '"batch": {' evidence.json
}
retry 60 anchored
riik xroad verify-evidence evidence.json || echo "refused: exit $?"  # no anchor: VERIFY_NO_TRUST_ANCHOR, exit 3
riik xroad verify-evidence evidence.json --trust pki/ca/root.crt
