import { assertChallengeNonce, assertOrigin, createAuthToken, readCardFile } from "@riik/pki";
import { type Command, Option } from "commander";

/** `riik id auth-token`: a Web eID login token (`web-eid:1.0`) made with a software ID card. */
export function registerAuthTokenCommand(id: Command): void {
  id.command("auth-token")
    .description(
      "log in with Web eID: sign hash(origin) ‖ hash(nonce) with the card's authentication key (PIN1) " +
        "and print the web-eid:1.0 authentication token as JSON, ready to POST to the service",
    )
    .requiredOption("--card <file>", "card file written by `riik id issue` (JSON)")
    .addOption(
      new Option(
        "--pin1 <pin>",
        "PIN1, 4-12 digits, unlocks the authentication key; prefer the environment variable, a command line is visible to other users",
      )
        .env("RIIK_PIN1")
        .makeOptionMandatory(),
    )
    .requiredOption(
      "--origin <url>",
      "the service's origin exactly as location.origin gives it, e.g. https://portal.example",
    )
    .requiredOption("--nonce <nonce>", "the challenge nonce the service issued (base64, at least 256 bits)")
    .option("--app-version <url>", "URL naming the application that makes the token (informative)")
    .addHelpText(
      "after",
      "\nThe token holds the authentication certificate, the algorithm (ES384 for P-384 cards, RS256 for RSA)," +
        "\nand the signature; the service checks it with its own origin and the nonce it gave this session." +
        '\nExample: riik id auth-token --card mari.json --pin1 1234 --origin https://portal.example --nonce "$NONCE"',
    )
    .action(async (o) => {
      // The arguments first, so a typo is reported before the card is read or PIN1 tried.
      assertOrigin(o.origin, "--origin");
      assertChallengeNonce(o.nonce, "--nonce");
      const token = await createAuthToken({
        card: readCardFile(o.card),
        pin1: o.pin1,
        origin: o.origin,
        nonce: o.nonce,
        ...(o.appVersion ? { appVersion: o.appVersion } : {}),
      });
      process.stdout.write(`${JSON.stringify(token)}\n`);
    });
}
