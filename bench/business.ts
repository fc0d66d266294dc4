// npm run bench -- business
// Companies registered per second end to end (an OÜ application with two founders, both
// signing the application in their own ASiC-E container — B-LT: key, time-stamp, OCSP over
// loopback — each container validated by the register; at registration a fresh OCSP check of
// both signers and the founding checks over X-Road through real security servers: both founders
// in the real population register, the board member's business ban at a stand-in police
// provider; then registration in one write) against the raw rate of the signatures they need
// (two B-LT container signatures per company), measured in the same run; and the time of one
// registration. Last line the ratio.
process.env.RIIK_LOG_LEVEL ??= "warn";

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XRoadRestClient } from "@riik/kit";
import { cardFileSigner, createContainer, signContainer, writeContainer } from "@riik/signature";
import {
  APPLICATION_FILE,
  openBusinessRegister,
  XRoadFoundingChecks,
} from "../agencies/business-register/src/index.ts";
import { startChecksExchange } from "../agencies/business-register/test/exchange-fixture.ts";
import { PIN2, startSandbox } from "../platform/signature/test/fixture.ts";
import { rate } from "./rate.ts";

const sandbox = await startSandbox();
const dir = mkdtempSync(join(tmpdir(), "riik-bench-business-"));
const exchange = await startChecksExchange(dir);
const xroad = new XRoadRestClient({ securityServer: exchange.xroad.securityServer, client: exchange.xroad.client });
const register = await openBusinessRegister(
  { dataDir: join(dir, "business-register") },
  {
    trustAnchors: [sandbox.root],
    checks: new XRoadFoundingChecks({ xroad, ...exchange.xroad }),
    foundingHourlyLimit: 1_000_000,
  },
);
try {
  const founders = exchange.persons
    .slice(0, 2)
    .map(({ personalCode, givenName, surname }) => ({ personalCode, givenName, surname }));
  const signers = await Promise.all(
    founders.map(async (f) => cardFileSigner(await sandbox.card(f.personalCode, f.givenName, f.surname), PIN2)),
  );
  const containerOf = async (document: string, signer: (typeof signers)[number]) => {
    const files = [{ name: APPLICATION_FILE, mediaType: "application/json", data: new TextEncoder().encode(document) }];
    return writeContainer(
      (await signContainer(createContainer(files), signer, { tsaUrl: sandbox.urls.tsa })).container,
    );
  };
  let n = 0;
  const found = async () => {
    n++;
    const created = await register.createApplication({
      name: `Võrdlus ${n} OÜ`,
      legalForm: "OÜ",
      seatAddress: "Harju maakond, Tallinn, Narva mnt 5",
      email: "info@example.ee",
      activity: "62011",
      shareCapitalCents: 200,
      founders: founders.map((f) => ({ ...f, shareCents: 100 })),
      board: founders.slice(0, 1),
      beneficialOwners: founders,
      representation: "alone",
      articles: "standard",
    });
    // Every founder signs at once, as the timing assumes.
    const containers = await Promise.all(signers.map((s) => containerOf(created.document, s)));
    for (const container of containers) await register.sign(created.id, container);
    return register.register(created.id, `RECEIPT-${n}`);
  };

  const started = performance.now();
  await found();
  console.log(
    `one registration, first founder's application to registry card: ${(performance.now() - started).toFixed(0)} ms`,
  );
  const raw = await rate("raw: B-LT container signatures (key + TSA + OCSP)", () => containerOf("{}", signers[0]!));
  const companies = await rate("companies end to end (2 founders, 2 signatures, X-Road checks)", found);
  console.log(`ratio: companies/s vs raw signature rate needed (raw/2): ${(companies / (raw / 2)).toFixed(2)}`);
} finally {
  await register.close();
  await xroad.close();
  await exchange.stop();
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
}
