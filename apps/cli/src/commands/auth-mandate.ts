import { type AuthStore, ExplicitMandates, MandateError, openAuthStore } from "@riik/auth";
import type { Command } from "commander";
import { DB_OPTION_HELP } from "../options.ts";

/** Who the administrator's grants and revocations are recorded as (`granted_by`, `revoked_by`). */
const ADMINISTRATOR = "admin:cli";

/** ISO 8601 date-time, or MANDATE_ARGUMENT naming the flag. */
function dateOption(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new MandateError("MANDATE_ARGUMENT", `${flag} must be an ISO 8601 date or date-time, got ${value}`);
  return date;
}

/** Runs ACTION on the explicit mandates of --dir/--db, sealed with the newest published signing key. */
async function withMandates<T>(
  options: { dir: string; db?: string; issuer?: string },
  action: (mandates: ExplicitMandates, store: AuthStore) => Promise<T>,
): Promise<T> {
  const store = await openAuthStore(options.dir, options.db);
  try {
    const mandates = new ExplicitMandates(store.storage.db, {
      issuer: options.issuer ?? "",
      signingKey: async () => (await store.keys.published())[0]!,
    });
    return await action(mandates, store);
  } finally {
    await store.close();
  }
}

/**
 * `riik auth mandate list|grant|revoke`: the administrator's path to the mandates service's
 * explicit mandates (people use `POST /mandates` on the auth server after logging in). Each
 * grant and revocation is sealed with the provider's newest published signing key (run it
 * after `riik auth keys rotate` only once the server has reloaded, so its JWKS has the key)
 * and recorded in the change journal.
 */
export function registerAuthMandateCommand(auth: Command): void {
  const mandate = auth
    .command("mandate")
    .description("mandates one person grants another to act for them (the mandates service, like Pääsuke)");
  const store = (command: Command) =>
    command.requiredOption("--dir <dir>", "the auth service's data directory").option("--db <url>", DB_OPTION_HELP);

  store(mandate.command("list"))
    .description("the mandates a person holds and has granted, with their seals")
    .requiredOption("--person <code>", "personal code, bare or EE-prefixed")
    .action(async (options: { dir: string; db?: string; person: string }) => {
      const listed = await withMandates(options, (mandates) => mandates.of(options.person));
      console.log(JSON.stringify(listed, null, 2));
    });

  store(mandate.command("grant"))
    .description("record a mandate: REPRESENTATIVE may act for GRANTOR in ROLE (prints it with its seal)")
    .requiredOption("--grantor <code>", "personal code of the person who grants")
    .requiredOption("--representative <code>", "personal code of the person who may act for them")
    .requiredOption("--role <role>", "role code, e.g. AGENCY-Q:Edit")
    .requiredOption("--issuer <url>", "the provider's issuer URL (the seal's iss: where its JWKS is)")
    .option("--from <date>", "valid from (ISO 8601; default now)")
    .option("--until <date>", "valid until, exclusive (ISO 8601; default until revoked)")
    .action(
      async (options: {
        dir: string;
        db?: string;
        grantor: string;
        representative: string;
        role: string;
        issuer: string;
        from?: string;
        until?: string;
      }) => {
        const validFrom = dateOption("--from", options.from);
        const validUntil = dateOption("--until", options.until);
        const granted = await withMandates(options, (mandates) =>
          mandates.grant({
            grantor: options.grantor,
            representative: options.representative,
            role: options.role,
            ...(validFrom ? { validFrom } : {}),
            ...(validUntil ? { validUntil } : {}),
            by: ADMINISTRATOR,
          }),
        );
        console.log(JSON.stringify(granted, null, 2));
      },
    );

  store(mandate.command("revoke"))
    .description("revoke a mandate (prints it with its revocation seal)")
    .argument("<id>", "the mandate's id")
    .requiredOption("--issuer <url>", "the provider's issuer URL (the revocation seal's iss)")
    .action(async (id: string, options: { dir: string; db?: string; issuer: string }) => {
      const revoked = await withMandates(options, (mandates) => mandates.revoke(id, { by: ADMINISTRATOR }));
      console.log(JSON.stringify(revoked, null, 2));
    });
}
