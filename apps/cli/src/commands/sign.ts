import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import * as x509 from "@peculiar/x509";
import { caCertificatePath, cardCertificate, ocspUrlOf, readCardFile } from "@riik/pki";
import {
  cardFileSigner,
  createContainer,
  formatReport,
  readContainer,
  SignatureError,
  signContainer,
  validateContainer,
  writeContainer,
} from "@riik/signature";
import { type Command, Option } from "commander";

const MEDIA_TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".pdf": "application/pdf",
  ".xml": "application/xml",
  ".json": "application/json",
  ".html": "text/html",
  ".csv": "text/csv",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".odt": "application/vnd.oasis.opendocument.text",
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (cause) {
    throw new SignatureError("SIG_ARGUMENT", `cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

function readCertificates(paths: readonly string[]): x509.X509Certificate[] {
  return paths.map((path) => {
    try {
      const bytes = readFileSync(path);
      const text = bytes.toString("latin1");
      return new x509.X509Certificate(text.includes("-----BEGIN") ? text : new Uint8Array(bytes));
    } catch (cause) {
      throw new SignatureError("SIG_ARGUMENT", `${path} is not a certificate (PEM or DER)`, { cause });
    }
  });
}

/** Writes next to the target and renames, so a failed run never leaves half a container. */
function writeAtomically(path: string, bytes: Uint8Array, overwrite: boolean): void {
  if (!overwrite && existsSync(path))
    throw new SignatureError(
      "SIG_ARGUMENT",
      `${path} exists; choose another --out (signed containers are never overwritten)`,
    );
  const temporary = `${path}.${process.pid}.partial`;
  writeFileSync(temporary, bytes, { flag: "wx" });
  renameSync(temporary, path);
}

export function registerSignCommands(program: Command): void {
  program
    .command("sign")
    .description(
      "sign files into an ASiC-E container (.asice) with a XAdES B-LT signature, or add a signature with --add",
    )
    .argument("[files...]", "files to put in a new container")
    .option("--add <container>", "add a signature to this existing container (its files stay as they are)")
    .requiredOption("--card <file>", "card file (riik id issue)")
    .addOption(
      new Option("--pin2 <pin>", "PIN2, unlocks the signing key; or set RIIK_PIN2")
        .env("RIIK_PIN2")
        .makeOptionMandatory(),
    )
    .option("--out <file>", "container to write; with --add, default: replace the container given")
    .option("--tsa <url>", "RFC 3161 time-stamping authority; default /tsa next to the card's OCSP responder")
    .option("--ocsp <url>", "OCSP responder; default the one named in the signing certificate")
    .option("--role <text>", "signer role (xades:ClaimedRole), e.g. 'Management board member'")
    .option("--city <text>", "production place: city")
    .option("--country <text>", "production place: country name")
    .option("--lta", "add an archive time-stamp (XAdES B-LTA) for long-term preservation")
    .option(
      "--trust <root>",
      "root the TSA must chain to (repeatable); default the root of the card's own chain",
      collect,
    )
    .action(async (files: string[], o) => {
      if (o.add && files.length > 0)
        throw new SignatureError(
          "SIGN_CONTAINER_SEALED",
          "files cannot be added to a signed container; --add only adds a signature",
        );
      if (!o.add && files.length === 0)
        throw new SignatureError("SIGN_NO_FILES", "give the files to sign, or --add CONTAINER");
      if (!o.add && !o.out) throw new SignatureError("SIG_ARGUMENT", "give --out X.asice for the new container");
      const card = readCardFile(o.card);
      const signer = await cardFileSigner(card, o.pin2);
      const certificate = cardCertificate(card, "signing");
      const ocspUrl: string | undefined = o.ocsp ?? ocspUrlOf(certificate);
      const tsaUrl: string | undefined = o.tsa ?? (ocspUrl ? new URL("/tsa", ocspUrl).toString() : undefined);
      if (!tsaUrl)
        throw new SignatureError(
          "SIG_ARGUMENT",
          "give --tsa URL: the certificate names no OCSP responder to derive it from",
        );
      const container = o.add
        ? readContainer(readFile(o.add))
        : createContainer(
            files.map((path) => ({
              name: basename(path),
              mediaType: MEDIA_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
              data: readFile(path),
            })),
          );
      const result = await signContainer(container, signer, {
        tsaUrl,
        ...(ocspUrl ? { ocspUrl } : {}),
        ...(o.trust ? { trustAnchors: readCertificates(o.trust) } : {}),
        ...(o.role ? { role: o.role } : {}),
        ...(o.city || o.country
          ? {
              productionPlace: {
                ...(o.city ? { city: o.city } : {}),
                ...(o.country ? { countryName: o.country } : {}),
              },
            }
          : {}),
        level: o.lta ? "LTA" : "LT",
      });
      const out: string = o.out ?? o.add;
      writeAtomically(out, writeContainer(result.container), Boolean(o.add) && out === o.add);
      console.log(
        `${out}: signature ${result.signatureId} (${result.signatureFile}) by ${card.givenName} ${card.surname} ${card.personalCode}, ` +
          `XAdES ${result.level}, time-stamped ${result.timeStamp.genTime.toISOString()}, certificate ${result.ocsp.status.status}`,
      );
    });

  program
    .command("verify")
    .description(
      "validate an ASiC-E container against a trusted root; exits 0 only when it is valid, 3 when no root is given",
    )
    .argument("<container>", "the .asice file")
    .option("--trust <root>", "trusted root certificate, PEM or DER (repeatable)", collect)
    .option("--data <dir>", "trust the root CA of the state whose data directory this is (riik up --data DIR)")
    .option("--json", "print the report as JSON")
    .action(async (path: string, o) => {
      const roots = trustedRoots(o.trust, o.data);
      const anchors = readCertificates(roots);
      const named = anchors.map((anchor, i) => `trusted root: ${roots[i]} (${anchor.subject})\n`).join("");
      // Which anchor judged the container is part of the answer; stdout stays pure JSON with --json.
      (o.json ? process.stderr : process.stdout).write(named);
      const report = await validateContainer(readFile(path), { trustAnchors: anchors });
      if (o.json) console.log(JSON.stringify(report, null, 2));
      else process.stdout.write(formatReport(report, path));
      if (report.verdict !== "valid")
        throw new SignatureError(
          report.verdict === "invalid" ? "CONTAINER_INVALID" : "CONTAINER_INDETERMINATE",
          `${path} is ${report.verdict}`,
        );
    });
}

/**
 * The roots `riik verify` trusts, as absolute paths resolved once against the working
 * directory the user typed them in: `--trust` files, or the root CA under `--data DIR`.
 * Nothing is found implicitly, so a verdict never depends on where the command runs.
 */
function trustedRoots(trust: readonly string[] | undefined, data: string | undefined): string[] {
  const roots = (trust ?? []).map((path) => resolve(path));
  if (data !== undefined) {
    const root = caCertificatePath(join(resolve(data), "pki"), "root");
    if (!existsSync(root))
      throw new SignatureError("SIG_ARGUMENT", `--data ${data} holds no trust services (${root} is missing)`);
    roots.push(root);
  }
  if (roots.length === 0)
    throw new SignatureError(
      "VERIFY_NO_TRUST_ANCHOR",
      "no trusted root: give --trust ROOT.crt, or --data DIR to trust the root CA of that state",
    );
  return roots;
}
