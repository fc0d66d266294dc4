import { join } from "node:path";
import { createHttpService, type ErrorCatalogue, type HttpService } from "@riik/core";
import { Counter, Gauge, Histogram } from "prom-client";
import { Type } from "typebox";
import { Aggregator } from "./aggregator/aggregator.ts";
import { decodeDigest, encodeImprint, type Imprint, imprintAlgorithm } from "./aggregator/imprint.ts";
import type { ClosedRound, Round, RoundShare } from "./aggregator/round.ts";
import { Calendar } from "./calendar/calendar.ts";
import { CalendarStore } from "./calendar/store.ts";
import { LedgerError, type LedgerErrorCode } from "./errors.ts";
import { BatchTree } from "./merkle/batch-tree.ts";
import { leafHash } from "./merkle/hash.ts";
import { loadOrCreateSigner, readTokenKey, tokenKeyPath } from "./note/key-file.ts";
import { checkKeyName, type NoteSigner, SIGNATURE_TYPE_ED25519 } from "./note/verifier-key.ts";
import { Publisher } from "./publication/publisher.ts";
import type { Extension } from "./signature/extend.ts";
import { b64, SIGNATURE_FORMAT } from "./signature/signature-file.ts";
import { parseTilePath, readEntryBundle, readHashTile } from "./tiles/tiles.ts";
import { WITNESS_ERRORS } from "./witness/server.ts";
import { WitnessClient } from "./witness/witness-client.ts";

/**
 * Every ledger code has a status, so a new one does not compile until it is placed. Codes
 * about the caller's request are 4xx; the rest can only come from the ledger's own data or
 * peers, so they are its fault (500/502/503). The server never verifies a signature file:
 * VERIFY_* are what a verifier says of a submitted one, hence 422 should a route ever raise them.
 */
export const LEDGER_ERRORS: ErrorCatalogue<LedgerErrorCode> = Object.freeze({
  MERKLE_INDEX_OUT_OF_RANGE: { status: 400 },
  MERKLE_PROOF_LENGTH: { status: 500 },
  MERKLE_HASH_LENGTH: { status: 500 },
  MERKLE_ROOT_MISMATCH: { status: 500 },
  MERKLE_SIZE: { status: 400 },
  NOTE_MALFORMED: { status: 500 },
  NOTE_UNKNOWN_KEY: { status: 500 },
  NOTE_BAD_SIGNATURE: { status: 500 },
  VKEY_MALFORMED: { status: 500 },
  CHECKPOINT_MALFORMED: { status: 500 },
  REQUEST_MALFORMED: { status: 400 },
  REQUEST_ALGORITHM: { status: 400 },
  REQUEST_DIGEST: { status: 400 },
  REQUEST_TOO_MANY_HASHES: { status: 413 },
  REQUEST_NOT_FOUND: { status: 404 },
  LEDGER_UNAVAILABLE: { status: 503 },
  CALENDAR_TAMPERED: { status: 500 },
  CALENDAR_FORK: { status: 500 },
  ...WITNESS_ERRORS,
  PUBLICATION_CODE_MALFORMED: { status: 400 },
  PUBLICATION_CODE_CHECKSUM: { status: 400 },
  PUBLICATION_NOT_FOUND: { status: 404 },
  PUBLICATIONS_FILE_MALFORMED: { status: 500 },
  SIGNATURE_MALFORMED: { status: 400 },
  VERIFY_WRONG_HASH: { status: 422 },
  VERIFY_BROKEN_PATH: { status: 422 },
  VERIFY_UNKNOWN_KEY: { status: 422 },
  VERIFY_BAD_SIGNATURE: { status: 422 },
  VERIFY_TOO_FEW_WITNESSES: { status: 422 },
  VERIFY_INCONSISTENT_CHECKPOINTS: { status: 422 },
  VERIFY_PUBLICATION_MISMATCH: { status: 422 },
  VERIFY_NOT_EXTENDED: { status: 422 },
  VERIFY_NO_TRUST_ANCHOR: { status: 422 },
  CLIENT_HTTP: { status: 502 },
});

/** A size or index in the calendar: query strings are coerced, so "abc" or "-1" is REQUEST_INVALID. */
const SIZE = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const NO_QUERY = Type.Object({}, { additionalProperties: false });
const EXTEND_QUERY = Type.Object(
  { round: SIZE, from: Type.Optional(SIZE), publication: Type.Optional(SIZE) },
  { additionalProperties: false },
);
const CONSISTENCY_QUERY = Type.Object({ from: SIZE, to: Type.Optional(SIZE) }, { additionalProperties: false });
/** C2SP tlog-tiles paths are short; parseTilePath checks the grammar. */
const TILE_PARAMS = Type.Object({ "*": Type.String({ maxLength: 128 }) }, { additionalProperties: false });
/** The shape only: algorithms, digests and the count keep their own codes in parseAggregateRequest. */
const AGGREGATE_BODY = Type.Object(
  {
    hashes: Type.Array(
      Type.Object(
        { algorithm: Type.String({ maxLength: 16 }), digest: Type.String({ maxLength: 256 }) },
        {
          additionalProperties: false,
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export interface LedgerServerOptions {
  /** Directory of the SQLite database, and of the key files unless keyDir is given. */
  dataDir: string;
  /** Directory of ledger.key and ledger.vkey (default: dataDir). */
  keyDir?: string;
  /** PostgreSQL URL; absent means SQLite in dataDir (or RIIK_DATABASE_URL). */
  databaseUrl?: string | undefined;
  /** PostgreSQL schema override (tests). */
  schema?: string;
  /** Checkpoint origin and key name. */
  origin?: string;
  /** Round length, default 1000 ms, at least 10 ms. */
  roundMs?: number;
  /** Witness submission prefixes (C2SP tlog-witness). */
  witnesses?: readonly string[];
  witnessTimeoutMs?: number;
  /** Interval between publications, default one day. */
  publicationIntervalMs?: number;
  /** Largest number of hashes in one aggregation request. */
  maxHashesPerRequest?: number;
  signer?: NoteSigner;
}

export interface LedgerServer {
  readonly service: HttpService;
  readonly calendar: Calendar;
  readonly publisher: Publisher;
  readonly signer: NoteSigner;
  readonly origin: string;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export const DEFAULT_ORIGIN = "riik.localhost/ledger";
export const DEFAULT_MAX_HASHES = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The ledger service: the aggregator (POST /v1/aggregate), the calendar served as C2SP
 * tlog-tiles (/checkpoint, /tile/…), extension and consistency proofs, publications.
 */
export async function createLedgerServer(options: LedgerServerOptions): Promise<LedgerServer> {
  const origin = options.origin ?? DEFAULT_ORIGIN;
  checkKeyName(origin);
  const keyDir = options.keyDir ?? options.dataDir;
  // Fail closed: a ledger whose key is in a token never falls back to making a key file.
  if (!options.signer && readTokenKey(keyDir))
    throw new LedgerError(
      "VKEY_MALFORMED",
      `the ledger's key is in a PKCS#11 token (${tokenKeyPath(keyDir)}): open it and pass it as the signer (riik ledger serve does)`,
    );
  const signer =
    options.signer ??
    loadOrCreateSigner(
      join(options.keyDir ?? options.dataDir, "ledger.key"),
      join(options.keyDir ?? options.dataDir, "ledger.vkey"),
      origin,
      SIGNATURE_TYPE_ED25519,
    );
  const maxHashes = options.maxHashesPerRequest ?? DEFAULT_MAX_HASHES;
  const store = await CalendarStore.open({
    dataDir: options.dataDir,
    url: options.databaseUrl,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  let calendar: Calendar;
  let publisher: Publisher;
  try {
    calendar = await Calendar.open(store, signer, origin);
    publisher = await Publisher.open(calendar, store, signer);
  } catch (error) {
    await store.close();
    throw error;
  }
  const service = createHttpService({ name: "ledger", errors: LEDGER_ERRORS, bodyLimit: 4 * 1024 * 1024 });
  const { app, metrics, logger } = service;

  const rounds = new Counter({ name: "riik_ledger_rounds_total", help: "Rounds closed", registers: [metrics] });
  const imprintsTotal = new Counter({
    name: "riik_ledger_imprints_total",
    help: "Imprints aggregated",
    registers: [metrics],
  });
  const witnessFailures = new Counter({
    name: "riik_ledger_witness_failures_total",
    help: "Witness submissions that failed",
    labelNames: ["witness"],
    registers: [metrics],
  });
  new Gauge({
    name: "riik_ledger_calendar_size",
    help: "Leaves in the calendar",
    registers: [metrics],
    collect() {
      this.set(calendar.size);
    },
  });
  const closeSeconds = new Histogram({
    name: "riik_ledger_round_close_seconds",
    help: "Time to build, commit, sign and witness a round",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });

  const witnessClients = (options.witnesses ?? []).map(
    (url) => new WitnessClient(url, calendar.tree, options.witnessTimeoutMs ?? 3000),
  );

  async function closeRound(round: Round): Promise<ClosedRound> {
    const stop = closeSeconds.startTimer();
    const tree = new BatchTree(round.imprints.map((imprint) => leafHash(encodeImprint(imprint))));
    const { round: index, leaf } = await calendar.appendRound({ time: Date.now(), size: tree.size, root: tree.root });
    const latest = calendar.latest!;
    if (witnessClients.length > 0) {
      const answers = await Promise.allSettled(
        witnessClients.map((client) => client.addCheckpoint(latest.note, latest.checkpoint.size)),
      );
      const lines: string[] = [];
      answers.forEach((answer, i) => {
        if (answer.status === "fulfilled") lines.push(...answer.value);
        else {
          witnessFailures.inc({ witness: witnessClients[i]!.url });
          logger.warn({ err: answer.reason, witness: witnessClients[i]!.url }, "witness did not cosign");
        }
      });
      await calendar.attachCosignatures(latest.checkpoint.size, lines);
    }
    rounds.inc();
    imprintsTotal.inc(tree.size);
    stop();
    const calendarPart = { leaf: b64(leaf), proof: calendar.tree.inclusionProof(index, index + 1).map(b64) };
    const checkpoint = calendar.latest!.note;
    return {
      round: index,
      tree,
      leaf: calendarPart.leaf,
      calendarProof: calendarPart.proof,
      checkpoint,
      sharedJson: `"calendar":${JSON.stringify(calendarPart)},"checkpoint":${JSON.stringify(checkpoint)}`,
    };
  }

  const aggregator = new Aggregator({
    roundMs: options.roundMs ?? 1000,
    close: closeRound,
    onError: (error) => logger.error({ err: error }, "round failed"),
  });

  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (cause) {
      done(new LedgerError("REQUEST_MALFORMED", "the request body is not valid JSON", { cause }), undefined);
    }
  });

  app.post("/v1/aggregate", { schema: { body: AGGREGATE_BODY, querystring: NO_QUERY } }, async (request, reply) => {
    const imprints = parseAggregateRequest(request.body, maxHashes);
    const share = await aggregator.submit(imprints);
    return reply.type("application/json; charset=utf-8").send(signaturesJson(share, imprints));
  });

  app.get("/checkpoint", { schema: { querystring: NO_QUERY } }, async (_request, reply) => {
    const latest = calendar.latest;
    if (!latest) throw new LedgerError("REQUEST_NOT_FOUND", "the calendar is empty: no checkpoint yet");
    return reply.header("cache-control", "no-cache").type("text/plain; charset=utf-8").send(latest.note);
  });

  app.get("/tile/*", { schema: { params: TILE_PARAMS, querystring: NO_QUERY } }, async (request, reply) => {
    const path = parseTilePath(request.params["*"]);
    const body =
      path.level === "entries"
        ? readEntryBundle((i) => calendar.leaf(i), calendar.size, path.index, path.width)
        : readHashTile(calendar.tree, path.level, path.index, path.width);
    return reply
      .header("cache-control", "public, max-age=31536000, immutable")
      .type("application/octet-stream")
      .send(body);
  });

  app.get("/v1/extend", { schema: { querystring: EXTEND_QUERY } }, async (request): Promise<Extension> => {
    const { round, publication: wanted } = request.query;
    const from = request.query.from ?? round + 1;
    if (round >= calendar.size) throw new LedgerError("REQUEST_NOT_FOUND", `no round ${round} yet`);
    const publication = publisher.find(round, wanted);
    if (from > publication.size) {
      throw new LedgerError("MERKLE_SIZE", `checkpoint size ${from} is beyond publication ${publication.size}`);
    }
    return {
      publication: {
        code: publication.code,
        size: publication.size,
        publishedAt: new Date(publication.publishedAt).toISOString(),
      },
      proof: calendar.tree.inclusionProof(round, publication.size).map(b64),
      consistency: calendar.tree.consistencyProof(from, publication.size).map(b64),
    };
  });

  app.get("/v1/consistency", { schema: { querystring: CONSISTENCY_QUERY } }, async (request) => {
    const { from } = request.query;
    const to = request.query.to ?? calendar.size;
    return { from, to, proof: calendar.tree.consistencyProof(from, to).map(b64) };
  });

  app.get("/v1/publications", { schema: { querystring: NO_QUERY } }, async (_request, reply) =>
    reply.header("cache-control", "no-cache").type("text/plain; charset=utf-8").send(publisher.publicationsFile),
  );

  app.get("/ledger.vkey", { schema: { querystring: NO_QUERY } }, async (_request, reply) =>
    reply.type("text/plain; charset=utf-8").send(`${signer.verifierKey.text}\n`),
  );

  aggregator.start();
  publisher.start(options.publicationIntervalMs ?? DAY_MS, (error) =>
    logger.error({ err: error }, "publication failed"),
  );

  let closed = false;
  return {
    service,
    calendar,
    publisher,
    signer,
    origin,
    async listen(port: number, host = "127.0.0.1") {
      return app.listen({ port, host });
    },
    async close() {
      if (closed) return;
      closed = true;
      publisher.stop();
      await aggregator.stop();
      await app.close();
      await store.close();
    },
  };
}

/** Validates POST /v1/aggregate, collecting every bad field before refusing. */
export function parseAggregateRequest(body: unknown, maxHashes: number): Imprint[] {
  if (typeof body !== "object" || body === null || !Array.isArray((body as { hashes?: unknown }).hashes)) {
    throw new LedgerError("REQUEST_MALFORMED", 'the body must be {"hashes":[{"algorithm":"SHA-256","digest":"…"}]}');
  }
  const hashes = (body as { hashes: unknown[] }).hashes;
  if (hashes.length === 0) throw new LedgerError("REQUEST_MALFORMED", "hashes must not be empty");
  if (hashes.length > maxHashes) {
    throw new LedgerError("REQUEST_TOO_MANY_HASHES", `at most ${maxHashes} hashes per request, got ${hashes.length}`, {
      details: { max: maxHashes },
    });
  }
  const imprints: Imprint[] = [];
  const problems: Array<{ field: string; code: string; message: string }> = [];
  hashes.forEach((entry, i) => {
    try {
      if (typeof entry !== "object" || entry === null) throw new LedgerError("REQUEST_MALFORMED", "not an object");
      const { algorithm, digest } = entry as { algorithm?: unknown; digest?: unknown };
      const parsed = imprintAlgorithm(algorithm);
      imprints.push({ algorithm: parsed, digest: decodeDigest(parsed, digest, `hashes[${i}].digest`) });
    } catch (error) {
      const e = error as LedgerError;
      problems.push({ field: `hashes[${i}]`, code: e.code, message: e.message });
    }
  });
  if (problems.length > 0) {
    const code = problems.every((p) => p.code === problems[0]!.code)
      ? (problems[0]!.code as LedgerError["code"])
      : "REQUEST_MALFORMED";
    throw new LedgerError(
      code,
      `${problems.length} bad hash(es); first: ${problems[0]!.field}: ${problems[0]!.message}`,
      {
        details: { problems: problems.slice(0, 20) },
      },
    );
  }
  return imprints;
}

/**
 * The answer to one aggregation request, serialised by hand: the parts every signature
 * of a round shares (calendar proof, checkpoint) are stringified once per round, and the
 * audit path nodes once per node. Field order is that of LedgerSignature.
 */
function signaturesJson(share: RoundShare, imprints: readonly Imprint[]): string {
  const { closed } = share;
  const parts: string[] = new Array(share.count);
  for (let i = 0; i < share.count; i++) {
    const imprint = imprints[i]!;
    const index = share.start + i;
    parts[i] =
      `{"format":"${SIGNATURE_FORMAT}","hash":{"algorithm":"${imprint.algorithm}","digest":"${Buffer.from(imprint.digest).toString("hex")}"},` +
      `"aggregation":{"index":${index},"path":[${closed.tree.pathJson(index)}]},${closed.sharedJson}}`;
  }
  return `{"signatures":[${parts.join(",")}]}`;
}
