import type { JsonName } from "@peculiar/x509";
import { certificateSerialNumber, parsePersonalCode } from "@riik/core";
import { OID } from "./oids.ts";

/** Organisation subjects of the trust services themselves. */
export function organisationName(commonName: string, organization = "riik"): JsonName {
  return [{ [OID.country]: ["EE"] }, { [OID.organization]: [organization] }, { [OID.commonName]: [commonName] }];
}

export interface PersonName {
  personalCode: string;
  givenName: string;
  surname: string;
}

/**
 * An ID-card subject as ESTEID2018 writes it (ETSI EN 319 412-1 5.1.3 for serialNumber):
 * C=EE, CN=SURNAME,GIVENNAME,CODE, SN=SURNAME, GN=GIVENNAME, serialNumber=PNOEE-CODE.
 */
export function personName(person: PersonName, organizationalUnit?: string): JsonName {
  const code = parsePersonalCode(person.personalCode).code;
  const surname = person.surname.toUpperCase();
  const given = person.givenName.toUpperCase();
  return [
    { [OID.country]: ["EE"] },
    ...(organizationalUnit ? [{ [OID.organizationalUnit]: [organizationalUnit] }] : []),
    { [OID.commonName]: [`${surname},${given},${code}`] },
    { [OID.surname]: [surname] },
    { [OID.givenName]: [given] },
    { [OID.serialNumber]: [certificateSerialNumber(code)] },
  ];
}
