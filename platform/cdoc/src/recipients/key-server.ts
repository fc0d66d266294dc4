// Key-server recipient (KeyServerCapsule): as the ECC (or RSA) public key recipient, but the
// sender's ephemeral key (or the encrypted KEK) goes to a CDOC2 capsule server and the header
// keeps only the key server id and the transaction id (CDOC2 specification, "Server capsule";
// the reference's EccServerKeyRecipient / RSAServerKeyRecipient). The KEK is derived exactly as
// for the direct recipient once the capsule is fetched over mutual TLS with the recipient's key.
import type { KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { type Static, Type } from "typebox";
import { Value } from "typebox/value";
import { type Capsule, capsuleBody, parseCapsule } from "../capsule-server/capsule.ts";
import { CdocError } from "../errors.ts";
import type { KeyServerRecipient } from "../header.ts";
import { eccKek } from "../key-derivation.ts";
import { eccRecipient, keyFromTlsPoint } from "./ecc-public-key.ts";
import { rsaKekFor, rsaRecipient } from "./rsa-public-key.ts";

/** How to reach one capsule server (the reference's key-server properties: id, POST and GET URLs, trust). */
export const KEY_SERVER_CONFIG = Type.Object(
  {
    /** Written into containers as keyserver_id; decryption finds the server by it. */
    id: Type.String({ minLength: 1, maxLength: 128 }),
    /** Senders' side, e.g. https://127.0.0.1:8443 */
    postUrl: Type.String({ pattern: "^https://" }),
    /** Recipients' side (mutual TLS), e.g. https://127.0.0.1:8444 */
    getUrl: Type.String({ pattern: "^https://" }),
    /** PEM certificates the server's TLS certificate must chain to. */
    ca: Type.String({ minLength: 1 }),
  },
  { additionalProperties: false },
);
export type KeyServerConfig = Static<typeof KEY_SERVER_CONFIG>;

/** Reads a key-server.json (as `riik cdoc capsule-server serve` writes it). */
export function readKeyServerConfig(file: string): KeyServerConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new CdocError("CDOC_ARGUMENT", `${file} is not a readable key server configuration`, { cause });
  }
  if (!Value.Check(KEY_SERVER_CONFIG, value))
    throw new CdocError("CDOC_ARGUMENT", `${file} is not a key server configuration {id, postUrl, getUrl, ca}`);
  return value;
}

/** The recipient's TLS client credentials for the GET side: its certificate and private key (PEM). */
export interface ClientCredentials {
  cert: string;
  key: string;
}

const TIMEOUT_MS = 15_000;
const MAX_ANSWER_BYTES = 16 * 1024;

function call(
  url: URL,
  options: {
    method: "GET" | "POST";
    ca: string;
    body?: string;
    headers?: Record<string, string>;
  } & Partial<ClientCredentials>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const fail = (cause: unknown) =>
      reject(
        new CdocError(
          "CDOC_KEY_SERVER",
          `the key server ${url.origin} cannot be reached: ${(cause as Error).message}`,
          { cause },
        ),
      );
    const req = request(
      url,
      {
        method: options.method,
        ca: options.ca,
        minVersion: "TLSv1.3",
        agent: false,
        timeout: TIMEOUT_MS,
        headers: { accept: "application/json", ...options.headers },
        ...(options.cert && options.key ? { cert: options.cert, key: options.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            res.destroy();
            fail(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          } else chunks.push(chunk);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", fail);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${TIMEOUT_MS / 1000} s`)));
    req.on("error", fail);
    req.end(options.body);
  });
}

/** POST /key-capsules: stores the capsule, answers its transaction id (from Location). */
export async function storeCapsule(server: KeyServerConfig, capsule: Capsule, expiry?: Date): Promise<string> {
  const answer = await call(new URL("/key-capsules", server.postUrl), {
    method: "POST",
    ca: server.ca,
    body: JSON.stringify(capsuleBody(capsule)),
    headers: { "content-type": "application/json", ...(expiry ? { "x-expiry-time": expiry.toISOString() } : {}) },
  });
  const location = answer.headers.location;
  const id = typeof location === "string" ? /^\/key-capsules\/([A-Za-z0-9]{18,34})$/.exec(location)?.[1] : undefined;
  if (answer.status !== 201 || !id) {
    throw new CdocError(
      "CDOC_KEY_SERVER",
      `the key server ${server.id} did not store the capsule (HTTP ${answer.status}: ${answer.body.toString("utf8").slice(0, 200)})`,
    );
  }
  return id;
}

/** GET /key-capsules/{id} over mutual TLS with the recipient's certificate. */
export async function fetchCapsule(
  server: KeyServerConfig,
  transactionId: string,
  credentials: ClientCredentials,
): Promise<Capsule> {
  const answer = await call(new URL(`/key-capsules/${encodeURIComponent(transactionId)}`, server.getUrl), {
    method: "GET",
    ca: server.ca,
    ...credentials,
  });
  if (answer.status === 404) {
    throw new CdocError(
      "CDOC_NOT_RECIPIENT",
      `the key server ${server.id} holds no capsule ${transactionId} for this certificate (expired, or another's)`,
    );
  }
  if (answer.status !== 200)
    throw new CdocError("CDOC_KEY_SERVER", `the key server ${server.id} refused the capsule (HTTP ${answer.status})`);
  try {
    return parseCapsule(JSON.parse(answer.body.toString("utf8")));
  } catch (cause) {
    throw new CdocError("CDOC_KEY_SERVER", `the key server ${server.id} answered something that is not a capsule`, {
      cause,
    });
  }
}

/** Builds the recipient: the direct one's key agreement or KEK, its capsule stored on `server`. */
export async function keyServerRecipient(
  fmk: Uint8Array,
  key: KeyObject,
  keyLabel: string,
  server: KeyServerConfig,
  expiry?: Date,
): Promise<KeyServerRecipient> {
  if (key.asymmetricKeyType === "ec") {
    const direct = eccRecipient(fmk, key, keyLabel);
    const capsule: Capsule = {
      type: "ecc_secp384r1",
      recipientId: Buffer.from(direct.recipientPublicKey),
      ephemeralKeyMaterial: Buffer.from(direct.senderPublicKey),
    };
    return {
      type: "key-server",
      keyType: "ecc",
      keyLabel,
      encryptedFmk: direct.encryptedFmk,
      recipientPublicKey: direct.recipientPublicKey,
      keyServerId: server.id,
      transactionId: await storeCapsule(server, capsule, expiry),
    };
  }
  if (key.asymmetricKeyType === "rsa") {
    const direct = rsaRecipient(fmk, key, keyLabel);
    const capsule: Capsule = {
      type: "rsa",
      recipientId: Buffer.from(direct.recipientPublicKey),
      ephemeralKeyMaterial: Buffer.from(direct.encryptedKek),
    };
    return {
      type: "key-server",
      keyType: "rsa",
      keyLabel,
      encryptedFmk: direct.encryptedFmk,
      recipientPublicKey: direct.recipientPublicKey,
      keyServerId: server.id,
      transactionId: await storeCapsule(server, capsule, expiry),
    };
  }
  throw new CdocError("CDOC_ARGUMENT", `unsupported public key type ${key.asymmetricKeyType} for a key server`);
}

/**
 * The KEK from the recipient's side: fetch the capsule (it must be for the header's recipient
 * key and of its type), then ECDH with `agree` as for ECCPublicKeyCapsule, or RSA-OAEP.
 */
export async function keyServerKekFor(
  record: KeyServerRecipient,
  servers: readonly KeyServerConfig[],
  credentials: ClientCredentials,
  recipient: { agree: (sender: KeyObject) => Uint8Array } | { rsaKey: KeyObject },
): Promise<Uint8Array> {
  const server = servers.find((s) => s.id === record.keyServerId);
  if (!server) {
    throw new CdocError(
      "CDOC_KEY_SERVER",
      `no configuration for key server ${JSON.stringify(record.keyServerId)}; give its key-server.json`,
    );
  }
  const capsule = await fetchCapsule(server, record.transactionId, credentials);
  const expected = record.keyType === "ecc" ? "ecc_secp384r1" : "rsa";
  if (capsule.type !== expected || !capsule.recipientId.equals(record.recipientPublicKey))
    throw new CdocError("CDOC_KEY_SERVER", `the key server ${server.id} answered a capsule for another recipient`);
  if ("agree" in recipient) {
    const shared = recipient.agree(keyFromTlsPoint(capsule.ephemeralKeyMaterial));
    return eccKek(shared, record.recipientPublicKey, capsule.ephemeralKeyMaterial);
  }
  return rsaKekFor(
    {
      type: "rsa",
      keyLabel: record.keyLabel,
      encryptedFmk: record.encryptedFmk,
      recipientPublicKey: record.recipientPublicKey,
      encryptedKek: capsule.ephemeralKeyMaterial,
    },
    recipient.rsaKey,
  );
}
