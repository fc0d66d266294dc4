// The Board's API as the portal calls it: a parent's offers, the confirmation by the person
// acting (X-Road-UserId), the payments; every personal answer names its subjects, errors name nobody.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DATA_SUBJECTS_HEADER, generatePersonalCode } from "@riik/core";
import { temporaryDirectory } from "@riik/core/testing";
import type { MemberService } from "@riik/kit";
import { createSocialInsuranceService, openSocialInsuranceBoard, type SocialInsuranceBoard } from "../src/index.ts";

const mother = generatePersonalCode("1991-02-14", "female", 51);
const father = generatePersonalCode("1989-07-01", "male", 52);
const child = generatePersonalCode("2026-11-02", "male", 53);

describe("the Social Insurance Board's API", () => {
  let board: SocialInsuranceBoard;
  let service: MemberService;
  let url: string;
  let offerId: string;
  before(async () => {
    board = await openSocialInsuranceBoard({ dataDir: temporaryDirectory() });
    offerId = (await board.onBirth({ child, mother, father }, [])).id;
    service = createSocialInsuranceService(board);
    url = await service.listen({ port: 0 });
  });
  after(async () => {
    await service.close();
    await board.close();
  });
  const confirm = (body: unknown, userId?: string, id = offerId) =>
    fetch(`${url}/offers/${id}/confirmation`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(userId ? { "x-road-userid": userId } : {}) },
      body: JSON.stringify(body),
    });

  const asPerson = (code: string) => ({ headers: { "x-road-userid": `EE${code}` } });

  test("a parent's offers name the parent and the child", async () => {
    const res = await fetch(`${url}/persons/EE${father}/offers`, asPerson(father));
    assert.equal(res.status, 200);
    const { offers } = await res.json();
    assert.deepEqual(
      offers.map((o: { id: string }) => o.id),
      [offerId],
    );
    assert.deepEqual(
      res.headers.get(DATA_SUBJECTS_HEADER)?.split(",").sort(),
      [`EE${child}`, `EE${father}`, `EE${mother}`].sort(),
    );
  });

  test("confirmation: refused without a person, for a stranger, with a bad IBAN; once by a parent", async () => {
    const body = { recipient: mother, iban: "EE382200221020145685" };
    const cases: Array<[Response, number, string]> = [
      [await confirm(body), 403, "NOT_A_PARENT"],
      [await confirm(body, `EE${generatePersonalCode("1960-01-01", "male", 9)}`), 404, "OFFER_NOT_FOUND"],
      [await confirm({ ...body, iban: "EE382200221020145600" }, `EE${father}`), 400, "IBAN_INVALID"],
      [await confirm({ ...body, extra: 1 }, `EE${father}`), 400, "REQUEST_INVALID"],
      [await confirm(body, `EE${father}`, "00000000-0000-4000-8000-000000000000"), 404, "OFFER_NOT_FOUND"],
    ];
    for (const [res, status, code] of cases) {
      assert.equal(res.status, status);
      assert.equal((await res.json()).code, code);
      assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null);
    }
    const ok = await confirm(body, `EE${father}`);
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).confirmedBy, father);
    const again = await confirm(body, `EE${mother}`);
    assert.equal(again.status, 409);
    assert.equal((await again.json()).code, "OFFER_ALREADY_CONFIRMED");
    const payments = await (await fetch(`${url}/persons/${mother}/payments`, asPerson(mother))).json();
    assert.deepEqual(
      payments.payments.map((p: { benefit: string; amountCents: number }) => [p.benefit, p.amountCents]),
      [["childbirth-allowance", 320_00]],
    );
  });

  test("a person's offers and payments are shown to that person only", async () => {
    for (const path of [`/persons/${mother}/offers`, `/persons/EE${mother}/payments`])
      for (const init of [{}, asPerson(father), { headers: { "x-road-userid": "EE" } }]) {
        const res = await fetch(`${url}${path}`, init);
        assert.equal(res.status, 403, path);
        assert.equal((await res.json()).code, "NOT_THE_PERSON");
        assert.equal(res.headers.get(DATA_SUBJECTS_HEADER), null);
      }
  });
});
