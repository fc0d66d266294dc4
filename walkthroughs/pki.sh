#!/usr/bin/env bash
# walkthroughs/pki.sh, run from an empty directory: trust services, an ID card, the status of
# its signing certificate through OCSP as it is suspended, resumed and revoked, a Web eID token.
. "$(dirname "$0")/lib.sh"
: "${PKI_PORT:=8800}"

riik pki init --dir pki --url "http://127.0.0.1:$PKI_PORT"  # root, ESTEID-like and server CAs, OCSP responders, TSA
serve pki "http://127.0.0.1:$PKI_PORT" riik pki serve --dir pki --port "$PKI_PORT"  # /ocsp (GET, POST), /tsa, /ca/<name>.crt
riik id issue --dir pki --code 38001085718 --given Mari-Liis --surname Männik \
  --pin1 1234 --pin2 12345 --out card.json  # --e-resident, --key rsa2048

# OpenSSL's own OCSP client asks about the card's signing certificate.
node -p 'JSON.parse(fs.readFileSync("card.json")).signing.certificate' >signing.pem
status() {
  openssl ocsp -issuer pki/ca/esteid.crt -cert signing.pem -CAfile pki/ca/root.crt \
    -url "http://127.0.0.1:$PKI_PORT/ocsp"
}
status                                                # good
riik id suspend --dir pki --code 38001085718          # or --serial HEX [--ca esteid|server]
status                                                # revoked, reason certificateHold
riik id resume --dir pki --code 38001085718
status                                                # good again
riik id auth-token --card card.json --pin1 1234 --origin https://portal.example \
  --nonce "$(openssl rand -base64 32)"                # a Web eID login token (web-eid:1.0)
riik id revoke --dir pki --code 38001085718
status                                                # revoked for good
riik id show --dir pki --code 38001085718             # the history of both certificates
