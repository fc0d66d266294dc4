import { fetchStatusChanges, type RegistrationAuthorityAccess, STATUS_CHANGES_PAGE } from "@riik/pki";
import type { Kysely } from "kysely";
import type Provider from "oidc-provider";
import type { Logger } from "pino";
import type { AuthTables } from "./storage/migrations.ts";

const FEED = "trust-services-status";
/** Certificates a person logs in with; a signing certificate's suspension ends no login. */
const LOGIN_PURPOSES = new Set(["id-authentication", "app-authentication"]);
const ENDING_EVENTS = new Set(["suspended", "revoked"]);

/** oidc-provider's Client as the follower uses it (back-channel logout is not in its types). */
interface LogoutClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string): Promise<void>;
}

export interface CardSuspensions {
  /** Reads the feed once from the kept cursor; answers how many events it read. */
  step(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Issue 12: a session ends when the person's card is suspended or revoked, at once rather
 * than when the session is next used (card-status.ts still checks then). The service follows
 * the trust services' status feed (GET /ra/status-changes, as a registration authority) from
 * a cursor kept in storage, so a restart resumes where it stopped; for each suspension or
 * revocation of a login certificate it ends every session of that person and sends each
 * relying party that asked for it the back-channel logout token for its sid (OpenID Connect
 * Back-Channel Logout 1.0, 2.5). Ending a session twice is harmless, so a step repeated after
 * a crash does no wrong.
 */
export function followCardSuspensions(options: {
  db: Kysely<AuthTables>;
  access: RegistrationAuthorityAccess;
  provider: () => Provider;
  logger: Pick<Logger, "info" | "warn">;
  intervalMs?: number;
}): CardSuspensions {
  const { db, logger } = options;

  const endSessionsOf = async (subject: string): Promise<number> => {
    const sessions = await db
      .selectFrom("oidc_models")
      .select(["id", "payload"])
      .where("model", "=", "Session")
      .where("account_id", "=", subject)
      .execute();
    for (const row of sessions) {
      const session = JSON.parse(row.payload) as {
        authorizations?: Record<string, { sid?: string; grantId?: string }>;
      };
      for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
        const client = (await options.provider().Client.find(clientId)) as unknown as LogoutClient | undefined;
        if (client?.backchannelLogoutUri && authorization.sid)
          await client
            .backchannelLogout(subject, authorization.sid)
            .catch((error: Error) =>
              logger.warn({ err: error, clientId }, "back-channel logout after suspension failed"),
            );
        // The grant's tokens go with it: no refresh outlives the card.
        if (authorization.grantId)
          await db.deleteFrom("oidc_models").where("grant_id", "=", authorization.grantId).execute();
      }
      await db.deleteFrom("oidc_models").where("model", "=", "Session").where("id", "=", row.id).execute();
    }
    return sessions.length;
  };

  const step = async (): Promise<number> => {
    const kept = await db.selectFrom("feed_cursors").select("position").where("name", "=", FEED).executeTakeFirst();
    const changes = await fetchStatusChanges(options.access, Number(kept?.position ?? 0));
    for (const change of changes)
      if (ENDING_EVENTS.has(change.event) && LOGIN_PURPOSES.has(change.purpose) && change.personalCode) {
        const ended = await endSessionsOf(`EE${change.personalCode}`);
        if (ended > 0)
          logger.info({ event: change.event, serial: change.serial, sessions: ended }, "card status ended sessions");
      }
    const last = changes.at(-1);
    if (last)
      await db
        .insertInto("feed_cursors")
        .values({ name: FEED, position: last.id })
        .onConflict((conflict) => conflict.column("name").doUpdateSet({ position: last.id }))
        .execute();
    return changes.length;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = step()
      .catch((error: Error) => {
        logger.warn({ err: error }, "the trust services' status feed could not be read; trying again");
        return 0;
      })
      .then((read) => {
        // A full page means more is waiting: read on at once.
        if (!stopped) timer = setTimeout(tick, read >= STATUS_CHANGES_PAGE ? 0 : (options.intervalMs ?? 2_000));
      });
  };
  tick();
  return {
    step,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
