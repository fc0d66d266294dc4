import type { Kysely } from "kysely";
import type { AssuranceLevel, AuthenticatedIdentity, AuthenticationMethod } from "./identity.ts";
import type { AuthTables } from "./storage/migrations.ts";

export interface AuthenticationRecord {
  subject: string;
  clientId: string;
  method: AuthenticationMethod;
  acr: AssuranceLevel;
  at: Date;
  /** Whom the person acted for (GovSSO `representee.<id>` with a current right), if anyone. */
  representee?: string;
}

/**
 * People who logged in and every login (issue 12: who, which relying party, method, when),
 * so that the person can see them in the portal as the Data Tracker shows data uses.
 */
export class Authentications {
  readonly #db: Kysely<AuthTables>;

  constructor(db: Kysely<AuthTables>) {
    this.#db = db;
  }

  /** Records a completed login and keeps the person's names for the ID token and userinfo. */
  async record(identity: AuthenticatedIdentity, clientId: string, at = new Date()): Promise<void> {
    const account = {
      given_name: identity.givenName,
      family_name: identity.familyName,
      birthdate: identity.birthdate ?? null,
      certificate: identity.certificate.toString("pem"),
      updated_at: at.getTime(),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto("accounts")
        .values({ subject: identity.subject, ...account })
        .onConflict((conflict) => conflict.column("subject").doUpdateSet(account))
        .execute();
      await trx
        .insertInto("authentications")
        .values({
          subject: identity.subject,
          client_id: clientId,
          method: identity.amr,
          acr: identity.acr,
          at: at.getTime(),
        })
        .execute();
    });
  }

  /**
   * Records that SUBJECT, logged in with METHOD at ACR, chose to act for REPRESENTEE at a
   * relying party (a `representee.<id>` the mandates service confirmed): one more record of
   * the session's authentication, naming the representee.
   */
  async recordRepresentation(
    record: Omit<AuthenticationRecord, "at" | "representee"> & { representee: string },
    at = new Date(),
  ): Promise<void> {
    await this.#db
      .insertInto("authentications")
      .values({
        subject: record.subject,
        client_id: record.clientId,
        method: record.method,
        acr: record.acr,
        at: at.getTime(),
        representee: record.representee,
      })
      .execute();
  }

  async account(subject: string) {
    return this.#db.selectFrom("accounts").selectAll().where("subject", "=", subject).executeTakeFirst();
  }

  /** A person's logins, newest first. */
  async of(subject: string, limit = 100): Promise<AuthenticationRecord[]> {
    const rows = await this.#db
      .selectFrom("authentications")
      .select(["subject", "client_id", "method", "acr", "at", "representee"])
      .where("subject", "=", subject)
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      subject: row.subject,
      clientId: row.client_id,
      method: row.method as AuthenticationMethod,
      acr: row.acr as AssuranceLevel,
      at: new Date(row.at),
      ...(row.representee ? { representee: row.representee } : {}),
    }));
  }
}
