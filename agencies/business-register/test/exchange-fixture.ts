// The exchange the founding checks ask, for tests and the benchmark: real security servers
// (xroad's sandbox: ss1 the register's own, ss2 the providers'), the real population register
// behind ss2, and one small provider behind ss2 standing in for the e-Residency agency
// (`e-residents`, contract D) and the police (`business-bans`, contract B).
import { createServer, type Server } from "node:http";
import { freePort } from "@riik/core/testing";
import {
  type DemoPerson,
  demoPersons,
  type PopulationRegisterServer,
  seedPopulation,
  startPopulationRegister,
} from "@riik/population-register";
import {
  json,
  OTHER,
  PROVIDER_SUBSYSTEM,
  type Sandbox,
  startSandbox,
} from "../../../platform/xroad/test/fixtures/sandbox.ts";

export interface ChecksExchange {
  /** What `startBusinessRegister` takes as `xroad` (the register speaks as OTHER on ss1). */
  xroad: {
    securityServer: string;
    client: string;
    personsService: string;
    eResidentsService: string;
    businessBansService: string;
  };
  population: PopulationRegisterServer;
  /** Living persons of the population register. */
  persons: DemoPerson[];
  /** A deceased person of the population register. */
  deceased: DemoPerson;
  /** The stand-in providers' answers: e-residents by personal code, and who is banned. */
  eResidents: Map<string, "valid" | "revoked" | "expired">;
  bans: Set<string>;
  stop(): Promise<void>;
}

/** Contract D's `GET /e-residents/{code}` and contract B's `GET /business-bans/{code}`, from two in-memory lists. */
function standInProvider(eResidents: ChecksExchange["eResidents"], bans: Set<string>): Server {
  return createServer((request, response) => {
    const send = (status: number, body: unknown, subject?: string) => {
      response.writeHead(status, {
        "content-type": "application/json",
        // A personal-data service names its subjects (the kit's Data Tracker contract).
        ...(subject ? { "x-riik-data-subjects": `EE${subject}` } : {}),
      });
      response.end(JSON.stringify(body));
    };
    const resident = /^\/e-residents\/(\d{11})$/.exec(request.url ?? "");
    if (resident) {
      const code = resident[1]!;
      const status = eResidents.get(code);
      if (!status) return send(404, { code: "E_RESIDENT_NOT_FOUND", message: `no e-resident ${code}` });
      const answer = {
        personalCode: code,
        givenName: "Ada",
        surname: "Lovelace",
        citizenship: "GB",
        status,
        validUntil: "2031-01-01",
        documentNumber: "ER0000001",
      };
      return send(200, answer, code);
    }
    const ban = /^\/business-bans\/(\d{11})$/.exec(request.url ?? "");
    if (ban) {
      const code = ban[1]!;
      const answer = bans.has(code)
        ? { personalCode: code, banned: true, until: "2030-01-01", reference: "1-24-555" }
        : { personalCode: code, banned: false };
      return send(200, answer, code);
    }
    send(404, { code: "NOT_FOUND", message: "no such path" });
  });
}

/** Starts it all in DIR (a seeded population of PERSONS); `stop()` ends every process. */
export async function startChecksExchange(dir: string, persons = 400): Promise<ChecksExchange> {
  const dataDir = `${dir}/population-register`;
  await seedPopulation({ dataDir, persons, seed: 11 });
  const living = await demoPersons({ dataDir }, 3);
  const population = await startPopulationRegister({ dataDir, port: await freePort() });
  const dead = await population.register.db
    .selectFrom("person")
    .select(["personal_code", "given_name", "surname"])
    .where("date_of_death", "is not", null)
    .executeTakeFirstOrThrow();
  const eResidents: ChecksExchange["eResidents"] = new Map();
  const bans = new Set<string>();
  const provider = standInProvider(eResidents, bans);
  const providerPort = await freePort();
  await new Promise<void>((done) => provider.listen(providerPort, "127.0.0.1", done));
  let sb: Sandbox | undefined;
  const stop = async () => {
    // A test may have stopped the register already (a register that does not answer).
    await population.close().catch(() => {});
    await new Promise((done) => provider.close(done));
    await sb?.stop();
  };
  try {
    sb = await startSandbox({ dir });
    const ss2 = sb.ss2;
    const admin = (path: string, method = "GET", body?: unknown) =>
      json(`${ss2.admin}${path}`, { method, token: ss2.token, ...(body ? { body: JSON.stringify(body) } : {}) });
    const at = encodeURIComponent(PROVIDER_SUBSYSTEM);
    const services = [
      ["rr", population.url, "/persons/*"],
      ["e-residents", `http://127.0.0.1:${providerPort}`, "/e-residents/*"],
      ["business-bans", `http://127.0.0.1:${providerPort}`, "/business-bans/*"],
    ] as const;
    for (const [code, url, path] of services) {
      await admin(`/api/v1/clients/${at}/services`, "POST", { serviceCode: code, url, personalData: true });
      // The rights the register's descriptor asks for as its client subsystem (here OTHER on ss1).
      await admin(`/api/v1/clients/${at}/services/${code}/access`, "POST", { subject: OTHER, method: "GET", path });
    }
    for (const ss of [sb.ss1, sb.ss2]) await json(`${ss.admin}/api/v1/refresh`, { method: "POST", token: ss.token });
    return {
      xroad: {
        securityServer: sb.ss1.client,
        client: OTHER,
        personsService: `${PROVIDER_SUBSYSTEM}/rr`,
        eResidentsService: `${PROVIDER_SUBSYSTEM}/e-residents`,
        businessBansService: `${PROVIDER_SUBSYSTEM}/business-bans`,
      },
      population,
      persons: living,
      deceased: { personalCode: dead.personal_code, givenName: dead.given_name, surname: dead.surname },
      eResidents,
      bans,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
