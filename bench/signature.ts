// npm run bench -- signature
// ASiC-E containers signed (XAdES B-LT: key signature, RFC 3161 time-stamp, OCSP, all over
// loopback HTTP) and validated per second, against the raw signing and verification rate
// of the same card key measured in the same run. Bounded: about 4 s per measurement.
process.env.RIIK_LOG_LEVEL ??= "warn";

import { createHash, verify, X509Certificate } from "node:crypto";
import { cardFileSigner, createContainer, signContainer, validateContainer, writeContainer } from "@riik/signature";
import { PIN2, startSandbox } from "../platform/signature/test/fixture.ts";
import { rate, SECONDS } from "./rate.ts";

const sandbox = await startSandbox();
try {
  const card = await sandbox.card("38001085718", "Mari", "Maasikas");
  const signer = await cardFileSigner(card, PIN2);
  const publicKey = new X509Certificate(signer.certificate).publicKey;
  const document = new TextEncoder().encode("Müüja ja ostja lepivad kokku.\n".repeat(300));
  const message = createHash("sha384").update("SignedInfo").digest();
  const signature = await signer.sign(message, "SHA-384");
  const signedInfo = new TextEncoder().encode("SignedInfo");
  console.log(`key: ECDSA P-384 (card signing key), document ${document.byteLength} bytes, ${SECONDS} s per figure`);

  const rawSign = await rate("raw: sign a SHA-384 digest (HashSigner)", () => signer.sign(message, "SHA-384"));
  const rawVerify = await rate("raw: verify the signature (OpenSSL)", () =>
    verify("sha384", signedInfo, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature),
  );
  const files = [{ name: "leping.txt", mediaType: "text/plain", data: document }];
  let last: Uint8Array = new Uint8Array();
  const signed = await rate("containers signed (B-LT: key + TSA + OCSP, loopback)", async () => {
    const result = await signContainer(createContainer(files), signer, { tsaUrl: sandbox.urls.tsa });
    last = writeContainer(result.container);
  });
  const validated = await rate("containers validated (full: XML-DSig, TST, OCSP, chain)", async () => {
    const report = await validateContainer(last, { trustAnchors: [sandbox.root] });
    if (report.verdict !== "valid") throw new Error(`bench container is ${report.verdict}`);
  });
  console.log(
    `ratio: signing ${(signed / rawSign).toFixed(3)} of raw key signing, validation ${(validated / rawVerify).toFixed(3)} of raw verification`,
  );
} finally {
  await sandbox.close();
}
