#!/usr/bin/env bash
# walkthroughs/cdoc.sh, run from an empty directory: a file encrypted for a person known only
# by their personal code (the certificate directory finds their card), opened with that card.
. "$(dirname "$0")/lib.sh"
: "${LDAP_PORT:=3890}" "${DIRECTORY_PORT:=3891}"

riik pki init --dir pki
riik id issue --dir pki --code 38001085718 --given Mari-Liis --surname Männik \
  --pin1 1234 --pin2 12345 --out mari.json
serve directory "http://127.0.0.1:$DIRECTORY_PORT" riik directory serve --dir ldap \
  --port "$LDAP_PORT" --http-port "$DIRECTORY_PORT" --pki-dir pki  # slapd, following the registry
retry 30 bash -c "ldapsearch -x -LLL -H ldap://127.0.0.1:$LDAP_PORT -b c=EE '(serialNumber=PNOEE-38001085718)' | grep -q serialNumber"
ldapsearch -x -LLL -H "ldap://127.0.0.1:$LDAP_PORT" -b c=EE '(serialNumber=PNOEE-38001085718)' serialNumber

echo "Kohtume reedel." >kiri.txt
riik cdoc encrypt -f kiri.cdoc -r 38001085718 --directory "ldap://127.0.0.1:$LDAP_PORT" kiri.txt
riik cdoc info -f kiri.cdoc
RIIK_PIN1=1234 riik cdoc decrypt -f kiri.cdoc --card mari.json -o opened
cat opened/kiri.txt

riik id suspend --dir pki --code 38001085718  # the directory drops the card within seconds
retry 30 bash -c "! ldapsearch -x -LLL -H ldap://127.0.0.1:$LDAP_PORT -b c=EE '(serialNumber=PNOEE-38001085718)' | grep -q serialNumber"
riik cdoc encrypt -f again.cdoc -r 38001085718 --directory "ldap://127.0.0.1:$LDAP_PORT" kiri.txt ||
  echo "refused: exit $?"
