// Accident cases completed per second end to end (report, join, two B-LT signatures, two
// acceptances, liability, claim, closure; each step anchored in a real ledger), against the raw
// rate of the two signatures a case needs, on this machine, in one process.
// npm run bench -- rights [CASES] [CONCURRENCY]   (the land register and the notary are not built yet)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePersonalCode } from "@riik/core";
import { createLedgerServer, generateSigner, SIGNATURE_TYPE_ED25519 } from "@riik/ledger";
import { initTrustServices, issueCard, startTrustServicesServer } from "@riik/pki";
import { cardFileSigner, createContainer, readContainer, signContainer, writeContainer } from "@riik/signature";
import { ledgerAnchor, openMotorInsuranceBureau, STATEMENT_FILE } from "../agencies/motor-insurance/src/index.ts";

export interface AccidentBench {
  cases: number;
  casesPerSecond: number;
  signaturesPerSecond: number;
  /** Cases per second ÷ (signatures per second ÷ 2): 1 would mean the signatures are all the cost. */
  ratio: number;
}

async function benchAccidentCases(cases = 20, concurrency = 4): Promise<AccidentBench> {
  const dir = (name: string) => mkdtempSync(join(tmpdir(), `riik-bench-${name}-`));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const services = await initTrustServices({ dir: dir("pki"), baseUrl: `http://127.0.0.1:${port}` });
  const trust = await startTrustServicesServer({ services, port });
  const signer = generateSigner("riik.bench/ledger", SIGNATURE_TYPE_ED25519);
  const ledger = await createLedgerServer({ dataDir: dir("ledger"), signer, origin: signer.name, roundMs: 10 });
  const bureau = await openMotorInsuranceBureau(
    { dataDir: dir("bureau") },
    { anchor: ledgerAnchor(await ledger.listen(0)), trustAnchors: [services.root] },
  );
  try {
    const a = generatePersonalCode("1982-06-11", "male", 81);
    const b = generatePersonalCode("1996-02-29", "female", 82);
    const card = async (code: string) =>
      cardFileSigner(
        await issueCard(services, {
          personalCode: code,
          givenName: "Bench",
          surname: "Driver",
          pin1: "1234",
          pin2: "12345",
        }),
        "12345",
      );
    const signers = { [a]: await card(a), [b]: await card(b) };
    const tsaUrl = `${trust.url}/tsa`;
    const sign = async (from: string | Uint8Array, code: string) =>
      writeContainer(
        (
          await signContainer(
            typeof from === "string"
              ? createContainer([{ name: STATEMENT_FILE, mediaType: "application/json", data: Buffer.from(from) }])
              : readContainer(from),
            signers[code]!,
            { tsaUrl },
          )
        ).container,
      );
    for (const [code, number, vin, plate] of [
      ["10000018", "KA-1", "WVWZZZ1JZ3W386752", "123ABC"],
      ["10000024", "TU-1", "VF1RFB00X57123456", "456DEF"],
    ] as const) {
      await bureau.registerInsurer({ registryCode: code, name: code });
      await bureau.submitPolicy(code, {
        number,
        vin,
        plate,
        holder: { name: "Holder" },
        validFrom: "2026-01-01T00:00:00Z",
        validUntil: "2027-01-01T00:00:00Z",
      });
    }
    const part = (driver: string, plate: string) => ({
      policyholder: { name: "Holder" },
      vehicle: { plate, make: "Toyota", model: "Corolla" },
      driver: { personalCode: driver, name: "Driver", licence: "ET100001" },
      pointOfImpact: "front",
      damage: "bumper",
      circumstances: [8],
      remarks: "",
      attachments: [],
    });
    const common = {
      date: "2026-11-20",
      time: "08:15",
      place: "Tallinn",
      injuries: false,
      otherDamage: { vehicles: false, objects: false },
      witnesses: [],
    };
    const oneCase = async () => {
      const reported = await bureau.report(a, { common, vehicle: part(a, "123ABC") });
      const joined = await bureau.join(b, reported.joinCode!, part(b, "456DEF"));
      const byA = await sign(joined.statement!, a);
      await bureau.sign(joined.id, byA);
      await bureau.sign(joined.id, await sign(byA, b));
      await bureau.accept(joined.id, "10000018");
      await bureau.accept(joined.id, "10000024");
      await bureau.decideLiability(joined.id, "10000018", "A");
      await bureau.settleClaim(joined.id, "10000018", { paid: true, amountCents: 1000 });
      await bureau.closeCase(joined.id, "10000018");
    };
    const inParallel = async (count: number, work: () => Promise<unknown>) => {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next++ < count) await work();
        }),
      );
      return count / ((performance.now() - started) / 1000);
    };
    const statement = "{}";
    const signaturesPerSecond = await inParallel(cases * 2, () => sign(statement, a));
    const casesPerSecond = await inParallel(cases, oneCase);
    return { cases, casesPerSecond, signaturesPerSecond, ratio: casesPerSecond / (signaturesPerSecond / 2) };
  } finally {
    await bureau.close();
    await ledger.close();
    await trust.close();
    await services.close();
  }
}

const [cases, concurrency] = process.argv.slice(2).map(Number);
const result = await benchAccidentCases(cases || 20, concurrency || 4);
console.log(`accident cases: ${result.cases} end to end, ${result.casesPerSecond.toFixed(2)} per second`);
console.log(`raw B-LT signatures: ${result.signaturesPerSecond.toFixed(2)} per second (2 per case)`);
console.log(`ratio (cases/s ÷ signature pairs/s): ${result.ratio.toFixed(2)}`);
process.exit(0);
