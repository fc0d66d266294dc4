import type { Command } from "commander";
import { DB_OPTION_HELP } from "../options.ts";

/**
 * The authentication service's storage as this verb needs it, opened with all of the
 * service's migrations (the app login's among them) by the `riik auth` module, which binds
 * @riik/auth's `createEnrolmentCode` to it.
 */
export interface EnrolmentCodeStore {
  createEnrolmentCode(request: {
    personalCode: string;
    givenName: string;
    surname: string;
  }): Promise<{ code: string; personalCode: string; expiresAt: Date }>;
  close(): Promise<void>;
}

export type EnrolmentCodeStoreOpener = (options: {
  dir: string;
  databaseUrl?: string | undefined;
}) => Promise<EnrolmentCodeStore>;

/**
 * `riik auth app-enrolment <personal-code>`: what the operator at a service point does after
 * checking the person's identity document, as for a Smart-ID account: prints a one-time code
 * with which one app (the `/app` page) enrols for this person. The code is shown once and
 * kept only as its hash; it expires in an hour and serves one enrolment.
 */
export function registerAuthAppCommand(auth: Command, openStore: EnrolmentCodeStoreOpener): void {
  auth
    .command("app-enrolment")
    .description(
      "create a one-time code with which a person enrols the authentication app (after checking their identity)",
    )
    .argument("<personal-code>", "the person's personal identification code, 11 digits")
    .requiredOption("--given <name>", "given name, as on the identity document checked")
    .requiredOption("--surname <name>", "surname, as on the identity document checked")
    .requiredOption("--dir <dir>", "the authentication service's data directory")
    .option("--db <url>", DB_OPTION_HELP)
    .option("--json", "print the code as JSON")
    .addHelpText(
      "after",
      "\nThe person opens the service's /app page, types the code and chooses PIN1; the trust services" +
        "\nthen issue the app's certificate. Example: riik auth app-enrolment 38001085718 --given Mari --surname Maasikas --dir data/auth",
    )
    .action(
      async (
        personalCode: string,
        options: { given: string; surname: string; dir: string; db?: string; json?: boolean },
      ) => {
        const store = await openStore({ dir: options.dir, databaseUrl: options.db });
        try {
          const created = await store.createEnrolmentCode({
            personalCode,
            givenName: options.given,
            surname: options.surname,
          });
          process.stdout.write(
            options.json
              ? `${JSON.stringify({ ...created, expiresAt: created.expiresAt.toISOString() })}\n`
              : `enrolment code for ${created.personalCode}: ${created.code} (valid until ${created.expiresAt.toISOString()}, once)\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
