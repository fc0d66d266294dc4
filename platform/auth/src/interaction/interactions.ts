import type { FastifyReply, FastifyRequest } from "fastify";
import type { Interaction, Provider } from "oidc-provider";
import type { Authentications } from "../authentications.ts";
import { AuthError } from "../errors.ts";
import type { AuthenticatedIdentity, AuthenticationMethod } from "../identity.ts";
import { clientMinimumAcr, requestedScopes } from "../provider.ts";
import { acrAtLeast, offeredMethods, requiredAcr } from "../scopes.ts";

/** What the interaction API answers: where the browser goes next, and why a login ended. */
export interface InteractionOutcome {
  outcome: "authenticated" | "refused";
  redirect: string;
  code?: string;
  message?: string;
}

/**
 * The provider's side of a login interaction, shared by the login methods: which methods a
 * request allows, and finishing it with an identity or a refusal. The provider instance is
 * looked up on every call because a key rotation replaces it.
 */
export class Interactions {
  readonly #provider: () => Provider;
  readonly #authentications: Authentications;
  readonly #methods: readonly AuthenticationMethod[];

  constructor(provider: () => Provider, authentications: Authentications, methods: readonly AuthenticationMethod[]) {
    this.#provider = provider;
    this.#authentications = authentications;
    this.#methods = methods;
  }

  /** The interaction of this request (its cookie and its uid must agree) and the methods it offers. */
  async details(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ interaction: Interaction; methods: AuthenticationMethod[] }> {
    let interaction: Interaction;
    try {
      interaction = await this.#provider().interactionDetails(request.raw, reply.raw);
    } catch (cause) {
      throw new AuthError(
        "AUTH_INTERACTION_UNKNOWN",
        "this login is unknown or expired; start again at the e-service",
        {
          cause,
        },
      );
    }
    const uid = (request.params as { uid?: string }).uid;
    if (uid !== undefined && uid !== interaction.uid)
      throw new AuthError("AUTH_INTERACTION_UNKNOWN", "this login belongs to another browser session");
    const minimum = await this.#minimumAcr(interaction);
    return { interaction, methods: offeredMethods(requestedScopes(interaction.params), minimum, this.#methods) };
  }

  /** Refuses a method the interaction does not offer (scope or minimum acr). */
  async offering(request: FastifyRequest, reply: FastifyReply, method: AuthenticationMethod): Promise<Interaction> {
    const { interaction, methods } = await this.details(request, reply);
    if (!methods.includes(method))
      throw new AuthError("AUTH_METHOD_NOT_OFFERED", `login with ${method} is not offered for this request`);
    return interaction;
  }

  /**
   * Finishes the login with the identity a method proved: recorded, and handed to
   * oidc-provider as the session's subject with its amr and acr. An identity below the
   * client's minimum acr ends in `access_denied` instead.
   */
  async complete(
    request: FastifyRequest,
    reply: FastifyReply,
    identity: AuthenticatedIdentity,
  ): Promise<InteractionOutcome> {
    const interaction = await this.offering(request, reply, identity.amr);
    const minimum = await this.#minimumAcr(interaction);
    if (!acrAtLeast(identity.acr, minimum))
      return this.refuse(request, reply, "ACR_TOO_LOW", `the login reached acr ${identity.acr}, below ${minimum}`);
    await this.#authentications.record(identity, String(interaction.params.client_id));
    const redirect = await this.#provider().interactionResult(request.raw, reply.raw, {
      login: { accountId: identity.subject, acr: identity.acr, amr: [identity.amr], remember: true },
    });
    return { outcome: "authenticated", redirect };
  }

  /** Ends the login: the relying party receives `access_denied` with CODE in `error_description`. */
  async refuse(
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
    message: string,
  ): Promise<InteractionOutcome> {
    const redirect = await this.#provider().interactionResult(request.raw, reply.raw, {
      error: "access_denied",
      error_description: `${code}: ${message}`,
    });
    return { outcome: "refused", redirect, code, message };
  }

  async #minimumAcr(interaction: Interaction) {
    const client = await this.#provider().Client.find(String(interaction.params.client_id));
    return requiredAcr(clientMinimumAcr(client), interaction.params.acr_values);
  }
}
