import { randomUUID } from "node:crypto";
import { XRoadRestClient } from "@riik/kit";
import { POPULATION_REGISTER, SIM } from "@riik/state";
import { type Command, InvalidArgumentError, Option } from "commander";
import { Type } from "typebox";
import { securityServerUrl } from "../options.ts";

/** What the population register answers for every vital event (its EVENT_RESULT; printed as is). */
const EVENT_ANSWER = Type.Object({ eventId: Type.String(), type: Type.String() });

/** The registrar's subsystem in the sandbox state (topology: SIM's `registrar`). */
const REGISTRAR_CLIENT = `${SIM}/registrar`;
const VITAL_EVENTS_SERVICE = `${POPULATION_REGISTER}/vital-events`;

interface Connection {
  data?: string;
  securityServer?: string;
  client: string;
  service: string;
  official: string;
  issue: string;
  eventId?: string;
}

const personalCode = (value: string): string => {
  if (!/^[1-8][0-9]{10}$/.test(value)) throw new InvalidArgumentError("must be an 11-digit personal code");
  return value;
};

/**
 * The registrar's information system as a command: each vital event is one r1 call to the
 * population register's `vital-events` service through the registrar's own security server,
 * so it is signed, logged and in the persons' Data Tracker like any other registration.
 */
export function registerRegistrarCommands(program: Command): void {
  const registrar = program
    .command("registrar")
    .description("register vital events (births, deaths, marriages, …) in the population register over X-Road");

  const event = (name: string, description: string) =>
    registrar
      .command(name)
      .description(description)
      .option("--data <dir>", "the data directory of a state started by riik up (finds the security server)")
      .option("--security-server <url>", "the client URL of the registrar's security server (instead of --data)")
      .option("--client <id>", "X-Road-Client: the registrar's subsystem", REGISTRAR_CLIENT)
      .option("--service <id>", "the population register's vital-events service", VITAL_EVENTS_SERVICE)
      .requiredOption("--official <code>", "X-Road-UserId: the registrar official's personal code", personalCode)
      .option("--issue <text>", "X-Road-Issue: the registration's case, shown in the persons' Data Tracker")
      .option("--event-id <id>", "the registration's own id; the same id again is refused as a duplicate");

  const send = async (options: Connection, path: string, body: Record<string, unknown>, issue: string) => {
    const securityServer = securityServerUrl(options);
    const client = new XRoadRestClient({ securityServer, client: options.client });
    const answer = await client.call({
      service: options.service,
      path,
      method: "POST",
      answer: EVENT_ANSWER,
      body: { eventId: options.eventId ?? `cli-${randomUUID()}`, ...body },
      userId: `EE${options.official}`,
      issue: options.issue ?? issue,
    });
    process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  };

  event("birth", "register a birth: the child gets a personal code, its parents and the mother's address")
    .requiredOption("--mother <code>", "the mother's personal code", personalCode)
    .option("--father <code>", "the father's personal code, when known", personalCode)
    .requiredOption("--given-name <name>", "the child's given name")
    .requiredOption("--surname <name>", "the child's surname")
    .addOption(new Option("--sex <sex>", "the child's sex").choices(["male", "female"]).makeOptionMandatory())
    .requiredOption("--date <YYYY-MM-DD>", "the date of birth")
    .requiredOption("--place <text>", 'where the child was born, e.g. "Tallinn, Harju maakond"')
    .action(async (o) => {
      const child = {
        givenName: o.givenName,
        surname: o.surname,
        sex: o.sex,
        dateOfBirth: o.date,
        placeOfBirth: o.place,
      };
      await send(
        o,
        "/vital-events/births",
        { mother: o.mother, ...(o.father ? { father: o.father } : {}), child },
        "sünni registreerimine",
      );
    });

  event("death", "register a death: the person is kept, marked deceased")
    .requiredOption("--person <code>", "the deceased's personal code", personalCode)
    .requiredOption("--date <YYYY-MM-DD>", "the date of death")
    .action(async (o) => {
      await send(o, "/vital-events/deaths", { personalCode: o.person, dateOfDeath: o.date }, "surma registreerimine");
    });

  for (const [name, path, issue] of [
    ["marriage", "/vital-events/marriages", "abielu registreerimine"],
    ["divorce", "/vital-events/divorces", "abielulahutuse registreerimine"],
  ] as const)
    event(name, `register a ${name} of two persons`)
      .requiredOption("--spouse <code>", "a spouse's personal code (give it twice)", collectSpouses, [])
      .requiredOption("--date <YYYY-MM-DD>", `the date of the ${name}`)
      .action(async (o) => {
        if (o.spouse.length !== 2) throw new InvalidArgumentError("give --spouse exactly twice");
        await send(o, path, { spouses: o.spouse, date: o.date }, issue);
      });

  event("address-change", "register a change of address; the previous one stays in the history")
    .requiredOption("--person <code>", "who moves", personalCode)
    .requiredOption("--county <name>", "e.g. Harju maakond")
    .requiredOption("--municipality <name>", "e.g. Tallinn")
    .requiredOption("--settlement <name>", "e.g. Kesklinna linnaosa")
    .requiredOption("--street <name>", "the street")
    .requiredOption("--house <number>", "the house number")
    .option("--apartment <number>", "the apartment")
    .requiredOption("--postal-code <code>", "the postal code")
    .option("--since <YYYY-MM-DD>", "the day of the move (today by default)")
    .action(async (o) => {
      const { county, municipality, settlement, street, house, apartment, postalCode, since } = o;
      const address = {
        county,
        municipality,
        settlement,
        street,
        house,
        postalCode,
        ...(apartment ? { apartment } : {}),
        ...(since ? { since } : {}),
      };
      await send(o, "/vital-events/address-changes", { personalCode: o.person, address }, "elukoha registreerimine");
    });

  event("name-change", "register a change of given name, surname or both")
    .requiredOption("--person <code>", "whose name changes", personalCode)
    .option("--given-name <name>", "the new given name")
    .option("--surname <name>", "the new surname")
    .requiredOption("--date <YYYY-MM-DD>", "the day the new name takes effect")
    .action(async (o) => {
      if (!o.givenName && !o.surname) throw new InvalidArgumentError("give --given-name, --surname or both");
      const names = {
        ...(o.givenName ? { givenName: o.givenName } : {}),
        ...(o.surname ? { surname: o.surname } : {}),
      };
      await send(
        o,
        "/vital-events/name-changes",
        { personalCode: o.person, ...names, date: o.date },
        "nimemuutuse registreerimine",
      );
    });
}

function collectSpouses(value: string, previous: string[]): string[] {
  return [...previous, personalCode(value)];
}

/** --security-server, or the registrar's member's security server in riik up's state.json. */
