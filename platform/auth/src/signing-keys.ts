import { createHash, KeyObject, randomBytes } from "node:crypto";
import type { KeyStore } from "@riik/pki";
import type { Kysely } from "kysely";
import { ExternalSigningKey } from "oidc-provider";
import { AuthError } from "./errors.ts";
import type { AuthTables } from "./storage/migrations.ts";

/**
 * RS256 (RFC 7518 3.3), as TARA and GovSSO sign: the default `id_token_signed_response_alg`
 * of OpenID Connect Registration, which every relying party accepts without configuration.
 */
const ALGORITHM = "RS256";

/**
 * A key-store key as oidc-provider's ExternalSigningKey: the private key stays a
 * non-extractable WebCrypto handle (an HSM-backed KeyStore works unchanged); the library
 * gets only the public key and a sign function over the JWS signing input.
 */
class KeyStoreSigningKey extends ExternalSigningKey {
  readonly #pair: CryptoKeyPair;
  readonly #kid: string;

  constructor(pair: CryptoKeyPair, kid: string) {
    super();
    this.#pair = pair;
    this.#kid = kid;
  }

  override get kid(): string {
    return this.#kid;
  }

  override get alg(): string {
    return ALGORITHM;
  }

  override keyObject(): KeyObject {
    return KeyObject.from(this.#pair.publicKey);
  }

  override async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(
      await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, this.#pair.privateKey, data as BufferSource),
    );
  }
}

/** RFC 7638 3: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(jwk: JsonWebKey): string {
  return createHash("sha256")
    .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
    .digest("base64url");
}

export interface SigningKeyInfo {
  kid: string;
  createdAt: Date;
  /** The key new tokens are signed with (the newest published one). */
  active: boolean;
}

/**
 * The provider's token-signing keys: private keys in the pki key store, their order and
 * retirement in storage (so every instance publishes the same JWKS). Rotation (issue 12):
 * `rotate` makes a new key that signs from the next reload on, while the previous one stays
 * in the JWKS so tokens it signed still verify; `retire` then unpublishes every key but the
 * newest. `kid` is the key's RFC 7638 thumbprint and appears on every token.
 */
export class SigningKeys {
  readonly #db: Kysely<AuthTables>;
  readonly #store: KeyStore;

  constructor(db: Kysely<AuthTables>, store: KeyStore) {
    this.#db = db;
    this.#store = store;
  }

  /** The published keys, newest (the signing one) first. */
  async list(): Promise<SigningKeyInfo[]> {
    const rows = await this.#db
      .selectFrom("signing_keys")
      .select(["kid", "created_at"])
      .where("retired_at", "is", null)
      .orderBy("created_at", "desc")
      .orderBy("kid")
      .execute();
    return rows.map((row, i) => ({ kid: row.kid, createdAt: new Date(row.created_at), active: i === 0 }));
  }

  /** The keys oidc-provider publishes and signs with; makes the first one when there is none. */
  async published(): Promise<ExternalSigningKey[]> {
    if ((await this.list()).length === 0) await this.rotate();
    const rows = await this.#db
      .selectFrom("signing_keys")
      .select(["kid", "key_name"])
      .where("retired_at", "is", null)
      .orderBy("created_at", "desc")
      .orderBy("kid")
      .execute();
    if (rows.length === 0) throw new AuthError("AUTH_NO_SIGNING_KEY", "no published signing key");
    return Promise.all(rows.map(async (row) => new KeyStoreSigningKey(await this.#store.load(row.key_name), row.kid)));
  }

  /** Makes a new signing key; the keys before it stay published until `retire`. */
  async rotate(): Promise<SigningKeyInfo> {
    const name = `auth-signing-${randomBytes(6).toString("hex")}`;
    const pair = await this.#store.generate(name, "rsa2048");
    const kid = thumbprint(await crypto.subtle.exportKey("jwk", pair.publicKey));
    const createdAt = Date.now();
    await this.#db
      .insertInto("signing_keys")
      .values({ kid, key_name: name, created_at: createdAt, retired_at: null })
      .execute();
    return { kid, createdAt: new Date(createdAt), active: true };
  }

  /** Unpublishes every key but the newest; answers the kids retired. */
  async retire(): Promise<string[]> {
    const [newest, ...older] = await this.list();
    if (!newest || older.length === 0) return [];
    const kids = older.map((key) => key.kid);
    await this.#db.updateTable("signing_keys").set({ retired_at: Date.now() }).where("kid", "in", kids).execute();
    return kids;
  }
}
