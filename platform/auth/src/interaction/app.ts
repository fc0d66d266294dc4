import { isValidPersonalCode, type RiikFastify } from "@riik/core";
import type { Kysely } from "kysely";
import { Type } from "typebox";
import type { AppLoginService } from "../app-login/index.ts";
import { AuthError } from "../errors.ts";
import type { AuthTables } from "../storage/index.ts";
import type { InteractionOutcome, Interactions } from "./interactions.ts";

/**
 * The provider's side of the app login (Smart-ID's flow): the person gives their personal
 * code, the page shows the verification code while the app asks for PIN1, and polls until
 * the app answers. The app-login session belongs to this interaction in storage, so a
 * browser can only poll the session its own login started. A FAILED outcome (refused,
 * timed out, wrong code, certificate not valid) ends the login with `access_denied`.
 */
export function appLoginRoutes(
  app: RiikFastify,
  interactions: Interactions,
  service: AppLoginService,
  db: Kysely<AuthTables>,
): void {
  const params = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 64 }) });

  app.post(
    "/interaction/:uid/app/start",
    {
      schema: {
        params,
        body: Type.Object({ personalCode: Type.String({ pattern: "^[0-9]{11}$" }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ verificationCode: Type.String(), expiresAt: Type.String() }) },
      },
    },
    async (request, reply) => {
      const interaction = await interactions.offering(request, reply, "app");
      if (!isValidPersonalCode(request.body.personalCode))
        throw new AuthError("AUTH_SUBJECT_INVALID", "the personal code's check digit is wrong (EVS 585)");
      const started = await service.start({ personalCode: request.body.personalCode });
      const row = { session_id: started.sessionId, created_at: Date.now() };
      await db
        .insertInto("app_login_interactions")
        .values({ interaction_uid: interaction.uid, ...row })
        .onConflict((conflict) => conflict.column("interaction_uid").doUpdateSet(row))
        .execute();
      return { verificationCode: started.verificationCode, expiresAt: started.expiresAt.toISOString() };
    },
  );

  app.post(
    "/interaction/:uid/app/status",
    { schema: { params } },
    async (request, reply): Promise<InteractionOutcome | { outcome: "running" }> => {
      const interaction = await interactions.offering(request, reply, "app");
      const row = await db
        .selectFrom("app_login_interactions")
        .select("session_id")
        .where("interaction_uid", "=", interaction.uid)
        .executeTakeFirst();
      if (!row) throw new AuthError("AUTH_CHALLENGE_UNKNOWN", "no app login was started for this login");
      const status = await service.status(row.session_id);
      if (status.state === "RUNNING") return { outcome: "running" };
      await db.deleteFrom("app_login_interactions").where("interaction_uid", "=", interaction.uid).execute();
      if (status.state === "FAILED")
        return interactions.refuse(request, reply, status.code, "the app login did not complete");
      return interactions.complete(request, reply, status.identity);
    },
  );
}
