// The Board's API as payers' systems and the portal call it: declarations from the payer's own
// X-Road client, received once per id; the person's pre-filled return with its sources and
// reasons, corrected and confirmed once, for that person only; every refusal a typed code.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { freePort, temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import {
  checkPersons,
  createTaxBoardService,
  openTaxBoard,
  startTaxBoard,
  type TaxBoard,
  type TaxReturn,
} from "../src/index.ts";
import {
  BANK,
  BANK_CLIENT,
  BY_HAND,
  EMPLOYER,
  EMPLOYER_CLIENT,
  employee,
  FUND,
  FUND_CLIENT,
  IBAN,
  INTEREST_CENTS,
  MONTHS,
  OPEN,
  PENSION_CENTS,
  payrollMonth,
  populationOf,
  residentBorn,
  WITH_TRAINING,
} from "./fixture.ts";

const person = residentBorn("1985-03-14", 71);
const colleague = residentBorn("1990-07-01", 72);
/** Declared by the employer, but not in the population register. */
const emigrant = generatePersonalCode("1979-05-05", "male", 73);
/** The person's code with its check digit changed. */
const misspelt = `${person.personalCode.slice(0, 10)}${(Number(person.personalCode[10]) + 1) % 10}`;

type Answer = { status: number; body: any; subjects: string | null };

describe("the Tax and Customs Board's API", () => {
  let board: TaxBoard;
  let service: MemberService;
  let url: string;
  const population = populationOf([person, colleague]);
  before(async () => {
    board = await openTaxBoard({ dataDir: temporaryDirectory() });
    service = createTaxBoardService(board, { population, now: () => OPEN });
    url = await service.listen({ port: 0 });
  });
  after(async () => {
    await service.close();
    await board.close();
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json(), subjects: res.headers.get(DATA_SUBJECTS_HEADER) } as Answer;
  };
  const declare = (path: string, body: unknown, client?: string) =>
    call("POST", path, body, client ? { "x-road-client": client } : {});
  const asPerson = (code: string) => ({ "x-road-userid": `EE${code}` });
  const refusedWith = (answer: Answer, status: number, code: string, what: string) => {
    assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
    assert.equal(answer.body.code, code, what);
    assert.equal(answer.subjects, null, `${what}: an error names nobody`);
  };
  const line = (r: TaxReturn, key: string) => {
    const found = r.lines.find((l) => l.key === key);
    assert.ok(found, `line ${key} in ${r.lines.map((l) => l.key).join(", ")}`);
    return found;
  };

  test("a payroll declaration is received once per id; other content under the same id is a conflict", async () => {
    const january = payrollMonth(1, [person.personalCode, colleague.personalCode, emigrant]);
    const first = await declare("/payroll-declarations", january, EMPLOYER_CLIENT);
    assert.equal(first.status, 200);
    assert.deepEqual(
      { ...first.body, receivedAt: undefined },
      {
        declarationId: "tsd-2025-01",
        payer: EMPLOYER,
        kind: "payroll",
        period: "2025-01",
        lines: 3,
        receivedAt: undefined,
        replayed: false,
        replaced: [],
        unconfirmedPersons: 3,
        unknownPersons: [],
      },
    );
    assert.equal(first.body.receivedAt, OPEN.toISOString());
    const again = await declare("/payroll-declarations", january, EMPLOYER_CLIENT);
    assert.equal(again.status, 200);
    assert.equal(again.body.replayed, true);
    assert.equal(again.body.receivedAt, first.body.receivedAt);
    const rows = await board.store.db
      .selectFrom("declaration")
      .select("declaration_id")
      .where("payer", "=", EMPLOYER)
      .execute();
    assert.deepEqual(rows, [{ declaration_id: "tsd-2025-01" }], "the same id twice: one declaration");

    const other = { ...january, employees: [employee(person.personalCode)] };
    refusedWith(
      await declare("/payroll-declarations", other, EMPLOYER_CLIENT),
      409,
      "DECLARATION_CONFLICT",
      "other content",
    );
    // The same id as another kind of declaration is other content too.
    refusedWith(
      await declare(
        "/voluntary-pension-declarations",
        {
          declarationId: "tsd-2025-01",
          payer: EMPLOYER,
          year: 2025,
          persons: [{ personalCode: person.personalCode, amountCents: 1 }],
        },
        EMPLOYER_CLIENT,
      ),
      409,
      "DECLARATION_CONFLICT",
      "another kind under the id",
    );

    // The register is asked about every person named: the emigrant's line is held as unknown.
    assert.equal(await checkPersons(board, population), 3);
    const receipt = await call("GET", `/declarations/${EMPLOYER}/tsd-2025-01`, undefined, {
      "x-road-client": EMPLOYER_CLIENT,
    });
    assert.equal(receipt.status, 200);
    assert.equal(receipt.body.unconfirmedPersons, 0);
    assert.deepEqual(receipt.body.unknownPersons, [emigrant]);
  });

  test("the payer must be the X-Road client: its receipts, too", async () => {
    const february = payrollMonth(2, [person.personalCode]);
    refusedWith(await declare("/payroll-declarations", february), 403, "NOT_THE_PAYER", "no X-Road-Client");
    refusedWith(
      await declare("/payroll-declarations", february, BANK_CLIENT),
      403,
      "NOT_THE_PAYER",
      "a bank for the employer",
    );
    refusedWith(await declare("/payroll-declarations", february, "not a client id"), 403, "NOT_THE_PAYER", "garbage");
    refusedWith(
      await call("GET", `/declarations/${EMPLOYER}/tsd-2025-01`, undefined, { "x-road-client": BANK_CLIENT }),
      403,
      "NOT_THE_PAYER",
      "another payer's receipt",
    );
    refusedWith(
      await call("GET", `/declarations/${EMPLOYER}/tsd-1999-01`, undefined, { "x-road-client": EMPLOYER_CLIENT }),
      404,
      "DECLARATION_NOT_FOUND",
      "an id never sent",
    );
    refusedWith(
      await call("GET", "/declarations/10421628/tsd-2025-01", undefined, { "x-road-client": EMPLOYER_CLIENT }),
      400,
      "REGISTRY_CODE_INVALID",
      "a payer code with a wrong check digit",
    );
    const count = await board.store.db.selectFrom("declaration").select("declaration_id").execute();
    assert.equal(count.length, 1, "nothing refused was received");
  });

  test("bad declarations: 400 with a code, nothing received", async () => {
    const good = payrollMonth(3, [person.personalCode]);
    const employees = (change: Record<string, unknown>) => ({
      ...good,
      employees: [{ ...good.employees[0], ...change }],
    });
    const cases: Array<[unknown, string, string]> = [
      [employees({ grossCents: -1 }), "REQUEST_INVALID", "a negative amount"],
      [employees({ grossCents: 1.5 }), "REQUEST_INVALID", "a fraction of a cent"],
      [{ ...good, extra: 1 }, "REQUEST_INVALID", "an unknown field"],
      [{ ...good, employees: [] }, "REQUEST_INVALID", "no employees"],
      [{ ...good, month: "2025-13" }, "REQUEST_INVALID", "month 13"],
      [{ ...good, declarationId: "a b" }, "REQUEST_INVALID", "an id with a space"],
      ["{", "BODY_MALFORMED", "not JSON"],
      [employees({ personalCode: misspelt }), "PERSONAL_CODE_INVALID", "a wrong check digit"],
      [{ ...good, payer: "10421628" }, "REGISTRY_CODE_INVALID", "a payer code with a wrong check digit"],
      [employees({ incomeTaxWithheldCents: 150_000 }), "DECLARATION_INVALID", "more withheld than paid"],
      [{ ...good, month: "2026-04" }, "DECLARATION_INVALID", "a month to come"],
      [{ ...good, employees: [...good.employees, ...good.employees] }, "DECLARATION_INVALID", "a person twice"],
    ];
    for (const [body, code, what] of cases)
      refusedWith(await declare("/payroll-declarations", body, EMPLOYER_CLIENT), 400, code, what);
    const year = {
      declarationId: "interest-2025",
      payer: BANK,
      year: 2025,
      persons: [{ personalCode: person.personalCode, amountCents: 1 }],
    };
    refusedWith(
      await declare("/housing-loan-interest-declarations", { ...year, year: 2027 }, BANK_CLIENT),
      400,
      "DECLARATION_INVALID",
      "a year to come",
    );
    refusedWith(
      await declare(
        "/housing-loan-interest-declarations",
        { ...year, persons: [{ personalCode: person.personalCode, amountCents: -5 }] },
        BANK_CLIENT,
      ),
      400,
      "REQUEST_INVALID",
      "negative interest",
    );
    const rows = await board.store.db.selectFrom("declaration").select("declaration_id").execute();
    assert.equal(rows.length, 1, "nothing refused was received");
  });

  test("the pre-filled return: every line with its source and reason; corrected, confirmed once, the refund scheduled", async () => {
    for (const month of MONTHS.slice(1)) {
      const answer = await declare(
        "/payroll-declarations",
        payrollMonth(month, [person.personalCode, colleague.personalCode]),
        EMPLOYER_CLIENT,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    for (const [path, payer, client, amountCents] of [
      ["/housing-loan-interest-declarations", BANK, BANK_CLIENT, INTEREST_CENTS],
      ["/voluntary-pension-declarations", FUND, FUND_CLIENT, PENSION_CENTS],
    ] as const) {
      const answer = await declare(
        path,
        { declarationId: `y-2025`, payer, year: 2025, persons: [{ personalCode: person.personalCode, amountCents }] },
        client,
      );
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }

    const path = `/returns/2025/${person.personalCode}`;
    const shown = await call("GET", path, undefined, asPerson(person.personalCode));
    assert.equal(shown.status, 200, JSON.stringify(shown.body));
    assert.equal(shown.subjects, `EE${person.personalCode}`);
    assert.equal(shown.body.status, "open");
    const filled: TaxReturn = shown.body.taxReturn;
    assert.deepEqual(
      {
        taxableCents: filled.taxableCents,
        taxCents: filled.taxCents,
        withheldCents: filled.withheldCents,
        balanceCents: filled.balanceCents,
      },
      BY_HAND,
    );
    assert.deepEqual(
      filled.lines.map((l) => l.key),
      [
        `income:${EMPLOYER}`,
        `withheld:${EMPLOYER}`,
        `contributions:${EMPLOYER}`,
        "basic-exemption",
        `interest:${BANK}`,
        "housing-loan-interest",
        `pension:${FUND}`,
        "voluntary-pension",
      ],
    );
    assert.deepEqual(line(filled, `income:${EMPLOYER}`).source, {
      kind: "payroll",
      payer: EMPLOYER,
      declarations: MONTHS.map((m) => `tsd-2025-${String(m).padStart(2, "0")}`),
    });
    assert.equal(line(filled, `income:${EMPLOYER}`).amountCents, 1_800_000);
    assert.match(line(filled, `income:${EMPLOYER}`).why, /12 months declared: €18000\.00/);
    assert.deepEqual(line(filled, `interest:${BANK}`).source, {
      kind: "housing-loan-interest",
      payer: BANK,
      declarations: ["y-2025"],
    });
    assert.equal(line(filled, "housing-loan-interest").amountCents, 0);
    assert.match(line(filled, "housing-loan-interest").why, /not deductible for 2025 \(§ 25 repealed from 2024\)/);
    assert.deepEqual(line(filled, "basic-exemption").source, { kind: "rules", year: 2025 });
    assert.equal(line(filled, "basic-exemption").amountCents, 523_200);
    assert.deepEqual(line(filled, `pension:${FUND}`).source, {
      kind: "voluntary-pension",
      payer: FUND,
      declarations: ["y-2025"],
    });
    assert.ok(filled.lines.every((l) => l.why.length > 0));
    assert.match(filled.rules.source, /§ 4\(1\) 22 %/);
    assert.deepEqual([shown.body.refund, shown.body.dueCents, shown.body.confirmedAt], [null, 0, null]);
    // The path may carry the X-Road form of the code.
    assert.equal(
      (await call("GET", `/returns/2025/EE${person.personalCode}`, undefined, asPerson(person.personalCode))).status,
      200,
    );

    const correct = (lineKey: string, body: unknown) =>
      call("PUT", `${path}/lines/${lineKey}`, body, asPerson(person.personalCode));
    refusedWith(
      await correct(`income:${EMPLOYER}`, { amountCents: 0 }),
      400,
      "LINE_NOT_CORRECTABLE",
      "a payer's income",
    );
    refusedWith(await correct("training", { amountCents: -1 }), 400, "REQUEST_INVALID", "a negative correction");
    refusedWith(await correct("Training!", { amountCents: 1 }), 400, "REQUEST_INVALID", "not a line key");
    const corrected = await correct("training", { amountCents: 50_000 });
    assert.equal(corrected.status, 200, JSON.stringify(corrected.body));
    assert.deepEqual(line(corrected.body.taxReturn, "training").source, { kind: "person", declared: null });
    assert.equal(corrected.body.taxReturn.balanceCents, WITH_TRAINING.balanceCents);

    const confirm = (body: unknown, code = person.personalCode) =>
      call("POST", `${path}/confirmation`, body, asPerson(code));
    refusedWith(
      await confirm({ iban: "EE38 2200 2210 2014 5658" }),
      400,
      "IBAN_INVALID",
      "an IBAN with swapped digits",
    );
    refusedWith(await confirm({}), 400, "REQUEST_INVALID", "no IBAN");
    const confirmed = await confirm({ iban: IBAN });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.subjects, `EE${person.personalCode}`);
    assert.equal(confirmed.body.status, "confirmed");
    assert.equal(confirmed.body.confirmedAt, OPEN.toISOString());
    assert.deepEqual(confirmed.body.refund, {
      amountCents: WITH_TRAINING.balanceCents,
      iban: "EE382200221020145685",
      status: "scheduled",
    });
    assert.equal(confirmed.body.taxReturn.taxCents, WITH_TRAINING.taxCents);

    refusedWith(await confirm({ iban: IBAN }), 409, "RETURN_ALREADY_CONFIRMED", "a second confirmation");
    refusedWith(
      await correct("training", { amountCents: 0 }),
      409,
      "RETURN_ALREADY_CONFIRMED",
      "a correction after it",
    );
    const later = await call("GET", path, undefined, asPerson(person.personalCode));
    assert.deepEqual(later.body, confirmed.body, "the return as confirmed");
    const refunds = await board.store.db.selectFrom("refund").select(["person_code", "amount_cents"]).execute();
    assert.deepEqual(
      refunds.map((r) => [r.person_code, Number(r.amount_cents)]),
      [[person.personalCode, WITH_TRAINING.balanceCents]],
      "one refund, once",
    );
  });

  test("a return is the person's own: another person, no person, a non-resident and a year without rules are refused", async () => {
    const path = `/returns/2025/${colleague.personalCode}`;
    refusedWith(
      await call("GET", path, undefined, asPerson(person.personalCode)),
      403,
      "NOT_THE_PERSON",
      "another person",
    );
    refusedWith(await call("GET", path), 403, "NOT_THE_PERSON", "no X-Road-UserId");
    refusedWith(
      await call("GET", path, undefined, { "x-road-userid": colleague.personalCode }),
      403,
      "NOT_THE_PERSON",
      "without EE",
    );
    refusedWith(
      await call("POST", `${path}/confirmation`, { iban: IBAN }, asPerson(person.personalCode)),
      403,
      "NOT_THE_PERSON",
      "confirming another's",
    );
    refusedWith(
      await call("PUT", `${path}/lines/training`, { amountCents: 1 }, asPerson(person.personalCode)),
      403,
      "NOT_THE_PERSON",
      "correcting another's",
    );
    // Not in the register: the pre-filled return is for residents (the Board answers 422, not 404).
    refusedWith(
      await call("GET", `/returns/2025/${emigrant}`, undefined, asPerson(emigrant)),
      422,
      "NOT_RESIDENT",
      "a non-resident",
    );
    for (const year of [2022, 2026])
      refusedWith(
        await call("GET", `/returns/${year}/${colleague.personalCode}`, undefined, asPerson(colleague.personalCode)),
        422,
        "RULES_NOT_IN_FORCE",
        `${year}`,
      );
    refusedWith(
      await call("GET", `/returns/25/${person.personalCode}`, undefined, asPerson(person.personalCode)),
      400,
      "REQUEST_INVALID",
      "a bad path",
    );
    refusedWith(
      await call("GET", `/returns/2025/${colleague.personalCode}?x=1`, undefined, asPerson(colleague.personalCode)),
      400,
      "REQUEST_INVALID",
      "a query",
    );
    assert.deepEqual(await board.store.db.selectFrom("tax_return").select("person_code").execute(), [
      { person_code: person.personalCode },
    ]);
    assert.deepEqual(await board.store.db.selectFrom("correction").select("person_code").execute(), [
      { person_code: person.personalCode },
    ]);
  });

  test("the year's returns open on 15 February at midnight in Tallinn", async () => {
    const at = (iso: string) => createTaxBoardService(board, { population, now: () => new Date(iso) });
    const path = `/returns/2025/${colleague.personalCode}`;
    for (const [iso, status, code] of [
      ["2026-02-14T21:59:59Z", 409, "RETURN_NOT_OPEN"],
      ["2026-02-14T22:00:00Z", 200, undefined],
    ] as const) {
      const early = at(iso);
      try {
        const res = await early.app.inject({ method: "GET", url: path, headers: asPerson(colleague.personalCode) });
        assert.equal(res.statusCode, status, iso);
        assert.equal(res.json().code, code, iso);
      } finally {
        await early.close();
      }
    }
  });

  test("the OpenAPI document lists every route", async () => {
    const doc = await call("GET", "/openapi.json");
    assert.equal(doc.status, 200);
    assert.deepEqual(Object.keys(doc.body.paths).sort(), [
      "/declarations/{payer}/{id}",
      "/housing-loan-interest-declarations",
      "/payroll-declarations",
      "/returns/{year}/{code}",
      "/returns/{year}/{code}/confirmation",
      "/returns/{year}/{code}/lines/{line}",
      "/voluntary-pension-declarations",
    ]);
  });
});

describe("riik tax-board serve (startTaxBoard)", () => {
  test("takes declarations without X-Road, keeps them over a restart, and answers returns REGISTER_UNAVAILABLE", async () => {
    const dataDir = temporaryDirectory();
    const post = (base: string) =>
      fetch(`${base}/payroll-declarations`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-road-client": EMPLOYER_CLIENT },
        body: JSON.stringify(payrollMonth(1, [person.personalCode])),
      });
    let server = await startTaxBoard({ dataDir, port: await freePort() });
    try {
      assert.equal((await post(server.url)).status, 200);
      const res = await fetch(`${server.url}/returns/2025/${person.personalCode}`, {
        headers: { "x-road-userid": `EE${person.personalCode}` },
      });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).code, "REGISTER_UNAVAILABLE");
    } finally {
      await server.close();
    }
    // Another port: the client's pooled connection to the first one is gone.
    server = await startTaxBoard({ dataDir, port: await freePort() });
    try {
      const replay = await post(server.url);
      assert.equal(replay.status, 200);
      assert.equal((await replay.json()).replayed, true, "the declaration survived the restart");
      const receipt = await fetch(`${server.url}/declarations/${EMPLOYER}/tsd-2025-01`, {
        headers: { "x-road-client": EMPLOYER_CLIENT },
      });
      assert.equal((await receipt.json()).unconfirmedPersons, 1, "no register: the person stays unconfirmed");
    } finally {
      await server.close();
    }
  });
});
