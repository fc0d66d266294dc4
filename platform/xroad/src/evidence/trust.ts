import { X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseVerifierKeys, SIGNATURE_TYPE_COSIGNATURE_V1, type VerifierKey } from "@riik/ledger";
import { trustedPath } from "../crypto/trust-path.ts";
import { XRoadError } from "../errors.ts";
import { readAnchor, type SignedGlobalConf, verifyGlobalConf } from "../globalconf/document.ts";

/**
 * What the offline verifiers (evidence, Data Tracker proofs) trust. It never comes from the
 * object verified: the certificates and keys a file carries are only candidates that must
 * chain to, or be, what the anchor names.
 */
export interface XRoadTrustAnchor {
  /** Where the anchor came from, printed with every verdict. */
  name: string;
  /** Trusted certificates: roots, and any CA or TSA certificate given directly. */
  roots: X509Certificate[];
  /** The exact server CAs (from a global configuration); null: a CA under a root. */
  serverCas: X509Certificate[] | null;
  /** The exact TSA certificates (from a global configuration); null: a time-stamping certificate under a root. */
  tsa: X509Certificate[] | null;
  /** Integrity ledger log keys and witness keys (riik-ledger verifier keys). */
  ledgerKeys: VerifierKey[];
  witnesses: VerifierKey[];
}

export function noTrustAnchor(what: string): XRoadError {
  return new XRoadError(
    "VERIFY_NO_TRUST_ANCHOR",
    `no trust anchor to verify ${what} against: give --trust (root CA certificates, ledger.vkey; files or directories) or --data DIR (the global configuration of that state)`,
  );
}

/** The verifiers' anchor: `--trust` files or `--data DIR`, never the object verified; neither is VERIFY_NO_TRUST_ANCHOR. */
export async function trustAnchorOf(
  options: { trust?: readonly string[]; data?: string },
  what: string,
): Promise<XRoadTrustAnchor> {
  if (options.trust?.length && options.data) throw new XRoadError("XROAD_ARGUMENT", "give --trust or --data, not both");
  if (options.data) return trustAnchorFromState(options.data);
  return trustAnchorFromFiles(options.trust ?? [], what);
}

/**
 * Is `certificate` one the anchor trusts, or issued by one, valid at `at`? @riik/pki's one
 * trust path (validatePath) decides.
 */
export async function chainsTo(
  certificate: X509Certificate,
  trusted: readonly X509Certificate[],
  at: Date,
): Promise<boolean> {
  return (await trustedPath(certificate, trusted, at)).ok;
}

/**
 * The TSA certificates a verifier accepts: the anchor's own, else offered ones under a root,
 * valid at `at`, with the time-stamping usage (RFC 3161 2.3).
 */
export async function acceptedTsa(
  anchor: XRoadTrustAnchor,
  offered: readonly X509Certificate[],
  at: Date,
): Promise<X509Certificate[]> {
  if (anchor.tsa) return anchor.tsa;
  const accepted: X509Certificate[] = [];
  for (const c of [...anchor.roots, ...offered])
    if ((await trustedPath(c, anchor.roots, at, { extendedKeyUsage: ["timeStamping"] })).ok) accepted.push(c);
  return accepted;
}

/** The time a document claims for itself, to judge its certificates at; now when it names none. */
export function claimedTime(text: string | undefined): Date {
  const time = new Date(text ?? "");
  return Number.isNaN(time.getTime()) ? new Date() : time;
}

function certificatesIn(text: string, path: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((pem) => {
    try {
      return new X509Certificate(pem);
    } catch (cause) {
      throw new XRoadError("XROAD_ARGUMENT", `${path} holds a certificate that does not parse`, { cause });
    }
  });
}

/**
 * `--trust PATH…`: PEM certificate files (.crt, .pem) and ledger verifier keys (.vkey;
 * a cosignature key is a witness), or directories holding them (one level).
 */
export function trustAnchorFromFiles(paths: readonly string[], what = "the file"): XRoadTrustAnchor {
  if (paths.length === 0) throw noTrustAnchor(what);
  // A file named on the command line must hold what it claims; in a directory, files without a
  // certificate (a key's .pem) are passed over.
  const files = paths.flatMap((given) => {
    const path = resolve(given);
    if (!existsSync(path)) throw new XRoadError("XROAD_ARGUMENT", `--trust ${given}: no such file or directory`);
    return statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => /\.(crt|pem|vkey)$/.test(name))
          .sort()
          .map((name) => ({ file: join(path, name), listed: true }))
      : [{ file: path, listed: false }];
  });
  const used: string[] = [];
  const anchor: XRoadTrustAnchor = {
    name: "",
    roots: [],
    serverCas: null,
    tsa: null,
    ledgerKeys: [],
    witnesses: [],
  };
  for (const { file, listed } of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".vkey")) {
      let keys: VerifierKey[];
      try {
        keys = parseVerifierKeys(text);
      } catch (cause) {
        throw new XRoadError("XROAD_ARGUMENT", `${file} is not a ledger verifier key: ${(cause as Error).message}`, {
          cause,
        });
      }
      for (const key of keys)
        (key.type === SIGNATURE_TYPE_COSIGNATURE_V1 ? anchor.witnesses : anchor.ledgerKeys).push(key);
    } else {
      const certificates = certificatesIn(text, file);
      if (certificates.length === 0) {
        if (listed) continue;
        throw new XRoadError("XROAD_ARGUMENT", `${file} holds no PEM certificate`);
      }
      anchor.roots.push(...certificates);
    }
    used.push(file);
  }
  if (anchor.roots.length === 0) throw new XRoadError("XROAD_ARGUMENT", "--trust names no certificate");
  return { ...anchor, name: used.join(", ") };
}

/** The trust services a verified global configuration announces, exactly. */
export function trustAnchorFromGlobalConf(conf: SignedGlobalConf, name: string): XRoadTrustAnchor {
  const trust = conf.content.trust;
  const der = (value: string) => new X509Certificate(Buffer.from(value, "base64"));
  return {
    name,
    roots: trust.roots.map(der),
    serverCas: trust.serverCas.map(der),
    tsa: trust.tsa.map((t) => der(t.certificate)),
    ledgerKeys: (trust.ledger?.keys ?? []).flatMap(parseVerifierKeys),
    witnesses: (trust.ledger?.witnesses ?? []).flatMap(parseVerifierKeys),
  };
}

/**
 * `--data DIR`: the global configuration of the running state in DIR, downloaded from the
 * central server and verified against DIR/central/anchor.json (the configuration anchor
 * handed out at init, PR-GCONF's trust model).
 */
export async function trustAnchorFromState(dataDir: string): Promise<XRoadTrustAnchor> {
  const anchorPath = join(resolve(dataDir), "central", "anchor.json");
  if (!existsSync(anchorPath))
    throw new XRoadError("XROAD_ARGUMENT", `--data ${dataDir} holds no central server (${anchorPath} is missing)`);
  const anchor = readAnchor(anchorPath);
  let lastError: unknown;
  for (const source of anchor.sources) {
    let bytes: Buffer;
    try {
      const reply = await fetch(source.url, { signal: AbortSignal.timeout(10_000) });
      if (reply.status !== 200) throw new Error(`answered ${reply.status}`);
      bytes = Buffer.from(await reply.arrayBuffer());
    } catch (cause) {
      lastError = new XRoadError(
        "XROAD_CONFIG",
        `the global configuration at ${source.url} is not available (is the state running?): ${(cause as Error).message}`,
        { cause },
      );
      continue;
    }
    const conf = verifyGlobalConf(bytes, anchor);
    return trustAnchorFromGlobalConf(
      conf,
      `global configuration version ${conf.content.version} of instance ${conf.content.instance} from ${source.url}, verified with ${anchorPath}`,
    );
  }
  throw lastError;
}
