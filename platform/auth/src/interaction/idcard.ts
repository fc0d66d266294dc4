import type * as x509 from "@peculiar/x509";
import { parsePersonalCode, type RiikFastify } from "@riik/core";
import { type AuthenticatedPerson, AuthTokenValidator, type OcspStatusChecker, WebEidError } from "@riik/pki";
import { Type } from "typebox";
import type { AuthenticatedIdentity } from "../identity.ts";
import { METHOD_ACR } from "../scopes.ts";
import type { WebEidChallenges } from "../storage/webeid-challenges.ts";
import type { InteractionOutcome, Interactions } from "./interactions.ts";
import { loginScriptRoute } from "./page.ts";

export interface IdCardLoginOptions {
  /** The identity-document CAs (riik's `esteid`), from configuration only. */
  trustedCas: readonly x509.X509Certificate[];
  /** The provider's origin: the one Web eID tokens are signed for. */
  origin: string;
  ocsp: "required" | "off" | OcspStatusChecker;
  ocspUrl?: string;
  challenges: WebEidChallenges;
}

/** What the ID card proves, as the provider's identity contract: `sub` = EE + personal code. */
export function identityOfCard(person: AuthenticatedPerson): AuthenticatedIdentity {
  const code = parsePersonalCode(person.personalCode);
  return {
    subject: `${person.country}${code.code}`,
    country: person.country,
    personalCode: code.code,
    givenName: person.givenName,
    familyName: person.surname,
    birthdate: code.birthDate,
    amr: "idcard",
    acr: METHOD_ACR.idcard,
    certificate: person.certificate,
  };
}

const TOKEN = Type.Object(
  {
    unverifiedCertificate: Type.String({ maxLength: 10_000 }),
    algorithm: Type.String({ maxLength: 16 }),
    signature: Type.String({ maxLength: 2_000 }),
    format: Type.String({ maxLength: 32 }),
    appVersion: Type.String({ maxLength: 2_048 }),
  },
  { additionalProperties: true },
);

/**
 * The ID-card login of an interaction (Web eID, "Authentication" steps 2-4): a challenge
 * nonce kept in storage for this interaction, and the token checked by pki's validator
 * against the configured CAs, with the certificate's OCSP status. A refused token ends the
 * login: the relying party gets `access_denied` with the Web eID code as description.
 */
export function idCardRoutes(app: RiikFastify, interactions: Interactions, options: IdCardLoginOptions): void {
  const validator = (uid: string) =>
    new AuthTokenValidator({
      trustedCas: options.trustedCas,
      allowedOrigin: options.origin,
      nonces: options.challenges.forInteraction(uid),
      ocsp: options.ocsp,
      ...(options.ocspUrl ? { ocspUrl: options.ocspUrl } : {}),
    });
  const params = Type.Object({ uid: Type.String({ minLength: 1, maxLength: 64 }) });
  // The login page's script: it signs the challenge with the card file (and runs the app login).
  loginScriptRoute(app);

  app.post(
    "/interaction/:uid/idcard/challenge",
    { schema: { params, response: { 200: Type.Object({ nonce: Type.String() }) } } },
    async (request, reply) => {
      await interactions.offering(request, reply, "idcard");
      const nonce = await options.challenges.forInteraction(request.params.uid).issue();
      return { nonce: nonce.value };
    },
  );

  app.post(
    "/interaction/:uid/idcard",
    { schema: { params, body: Type.Object({ token: TOKEN }, { additionalProperties: false }) } },
    async (request, reply): Promise<InteractionOutcome> => {
      const { uid } = request.params;
      await interactions.offering(request, reply, "idcard");
      let person: AuthenticatedPerson;
      try {
        const nonces = options.challenges.forInteraction(uid);
        person = await validator(uid).validate(request.body.token, {
          nonce: await nonces.current(),
          origin: request.headers.origin,
        });
      } catch (error) {
        if (!(error instanceof WebEidError)) throw error;
        request.log.info({ code: error.code, uid }, "ID-card login refused");
        return interactions.refuse(request, reply, error.code, error.message);
      }
      return interactions.complete(request, reply, identityOfCard(person));
    },
  );
}
