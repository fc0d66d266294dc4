import { readFileSync, statSync } from "node:fs";
import {
  type AuthStore,
  createAppLoginService,
  createAuthService,
  createEnrolmentCode,
  openAuthStore,
  purgeExpiredModels,
} from "@riik/auth";
import { authDescriptor, populationRegisterAccess } from "@riik/auth/descriptor";
import { PkiError, readCertificate, readRegistrationAuthorityToken, requestAppCertificate } from "@riik/pki";
import { type Command, Option } from "commander";
import { DB_OPTION_HELP, untilSignalled } from "../options.ts";
import { servedCommand } from "../served-command.ts";
import { registerAuthAppCommand } from "./auth-app.ts";
import { registerAuthMandateCommand } from "./auth-mandate.ts";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs ACTION on the auth store of --dir/--db, closed afterwards. */
async function withStore<T>(
  options: { dir: string; db?: string },
  action: (store: AuthStore) => Promise<T>,
): Promise<T> {
  const store = await openAuthStore(options.dir, options.db);
  try {
    return await action(store);
  } finally {
    await store.close();
  }
}

export function registerAuthCommands(program: Command): void {
  const auth = program
    .command("auth")
    .description("the national authentication service: OpenID Connect provider, relying parties, signing keys");
  const store = (command: Command) =>
    command.requiredOption("--dir <dir>", "the auth service's data directory").option("--db <url>", DB_OPTION_HELP);

  servedCommand(auth, authDescriptor, async (config) => {
    const opened = await openAuthStore(config.dir, config.databaseUrl);
    const trustedCas = config.trustedCaFiles.map((file) => readCertificate(file));
    const registrationAuthority =
      config.pkiUrl && config.raTokenFile
        ? { url: config.pkiUrl, token: readRegistrationAuthorityToken(config.raTokenFile) }
        : undefined;
    const appLogin = registrationAuthority
      ? createAppLoginService({
          db: opened.storage.db,
          anchors: trustedCas,
          issueCertificate: (request) => requestAppCertificate(registrationAuthority, request),
          ocsp: config.ocsp,
          ...(config.ocspUrl ? { ocspUrl: config.ocspUrl } : {}),
        })
      : undefined;
    const service = await createAuthService({
      issuer: config.issuer ?? `http://${config.host}:${config.port}`,
      db: opened.storage.db,
      keyStore: opened.keyStore,
      trustedCas,
      ...(appLogin ? { appLogin } : {}),
      ocsp: config.ocsp,
      ...(config.ocspUrl ? { ocspUrl: config.ocspUrl } : {}),
      sessionSeconds: config.sessionSeconds,
      privateNetworkFetch: config.relyingPartyNetwork === "private",
      populationRegister: populationRegisterAccess(config),
      // The same registration authority follows the card status feed: a suspension ends sessions at once.
      trustServices: registrationAuthority,
    });
    await service.app.listen({ port: config.port, host: config.host });
    const exchangeUrl =
      config.exchangePort === undefined
        ? undefined
        : await service.exchange.listen({ port: config.exchangePort, host: config.exchangeHost });
    // `riik auth keys rotate|retire` then SIGHUP: the new JWKS without a restart.
    const reload = () => {
      service.reloadKeys().then(
        () => service.logger.info("signing keys reloaded"),
        (error: Error) => service.logger.error({ err: error }, "signing keys not reloaded"),
      );
    };
    process.on("SIGHUP", reload);
    const purge = setInterval(() => {
      purgeExpiredModels(opened.storage.db).catch((error: Error) =>
        service.logger.warn({ err: error }, "purge failed"),
      );
    }, 600_000);
    console.log(`issuer ${config.issuer ?? `http://${config.host}:${config.port}`}`);
    if (exchangeUrl) console.log(`exchange ${exchangeUrl} (the login record, for the security server)`);
    await untilSignalled();
    clearInterval(purge);
    process.off("SIGHUP", reload);
    await service.app.close();
    await service.exchange.close();
    await opened.close();
  });

  registerAuthAppCommand(auth, async ({ dir, databaseUrl }) => {
    const opened = await openAuthStore(dir, databaseUrl);
    return {
      createEnrolmentCode: (request) => createEnrolmentCode(opened.storage.db, request),
      close: () => opened.close(),
    };
  });

  registerAuthMandateCommand(auth);

  const client = auth.command("client").description("relying parties (e-services) allowed to log people in");
  store(client.command("add"))
    .description("register a relying party; prints its client secret once (client_secret_basic)")
    .requiredOption("--client-id <id>", "client id, lowercase letters, digits, . _ -")
    .requiredOption("--redirect-uri <uri>", "redirect URI; repeatable", collect)
    .option("--post-logout-redirect-uri <uri>", "where RP-initiated logout may return; repeatable", collect)
    .option("--backchannel-logout-uri <uri>", "where logout tokens are sent (Back-Channel Logout 1.0)")
    .option("--scope <scope>", "a scope it may ask for (openid idcard app phone representee_list); repeatable", collect)
    .addOption(
      new Option("--min-acr <level>", "lowest level of assurance it accepts")
        .choices(["substantial", "high"])
        .default("high"),
    )
    .option("--jwks <file>", "its public keys (JWKS JSON): authenticate with private_key_jwt instead of a secret")
    .action(
      async (options: {
        dir: string;
        db?: string;
        clientId: string;
        redirectUri: string[];
        postLogoutRedirectUri?: string[];
        backchannelLogoutUri?: string;
        scope?: string[];
        minAcr: "substantial" | "high";
        jwks?: string;
      }) => {
        const added = await withStore(options, (opened) =>
          opened.clients.add({
            clientId: options.clientId,
            redirectUris: options.redirectUri,
            postLogoutRedirectUris: options.postLogoutRedirectUri ?? [],
            ...(options.backchannelLogoutUri ? { backchannelLogoutUri: options.backchannelLogoutUri } : {}),
            scopes: options.scope ?? ["openid"],
            minimumAcr: options.minAcr,
            authentication: options.jwks
              ? { method: "private_key_jwt", jwks: JSON.parse(readFileSync(options.jwks, "utf8")) }
              : { method: "client_secret_basic" },
          }),
        );
        console.log(JSON.stringify(added, null, 2));
      },
    );
  store(client.command("list"))
    .description("list the relying parties (never their secrets)")
    .action(async (options: { dir: string; db?: string }) => {
      console.log(JSON.stringify(await withStore(options, (opened) => opened.clients.list()), null, 2));
    });
  store(client.command("remove"))
    .description("remove a relying party and every grant and token it holds")
    .argument("<client-id>")
    .action(async (clientId: string, options: { dir: string; db?: string }) => {
      await withStore(options, (opened) => opened.clients.remove(clientId));
      console.log(`removed ${clientId}`);
    });

  const keys = auth.command("keys").description("the provider's token-signing keys (RS256, in DIR/keys)");
  store(keys.command("list"))
    .description("the published keys; the first signs")
    .action(async (options: { dir: string; db?: string }) => {
      console.log(JSON.stringify(await withStore(options, (opened) => opened.keys.list()), null, 2));
    });
  store(keys.command("rotate"))
    .description("make a new signing key; the old one stays published until `retire` (SIGHUP the server to load it)")
    .action(async (options: { dir: string; db?: string }) => {
      console.log(JSON.stringify(await withStore(options, (opened) => opened.keys.rotate()), null, 2));
    });
  store(keys.command("retire"))
    .description("unpublish every key but the newest, once tokens of the old key have expired")
    .action(async (options: { dir: string; db?: string }) => {
      console.log(JSON.stringify(await withStore(options, (opened) => opened.keys.retire()), null, 2));
    });
}
