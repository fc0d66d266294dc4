// #22: signatures.xml mutated (elements dropped or duplicated, attributes changed, digests
// altered, namespaces swapped) is refused with the finding that names what was broken.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DOMParser, type Element, XMLSerializer } from "@xmldom/xmldom";
import fc from "fast-check";
import {
  type AsicContainer,
  cardFileSigner,
  createContainer,
  type FindingCode,
  signContainer,
  type ValidationReport,
  validateContainer,
  writeContainer,
} from "../src/index.ts";
import { NS } from "../src/xml.ts";
import { PIN2, type Sandbox, startSandbox } from "./fixture.ts";

/** Tampering with anything signed: the parser refuses it, or a digest or the signature value no longer verifies. */
const SIGNED_PART_BROKEN: readonly FindingCode[] = ["SIGNATURE_FORMAT", "SIGNATURE_VALUE", "SIGNED_PROPERTIES_CHANGED"];

const elementsUnder = (root: Element): Element[] => {
  const out: Element[] = [];
  const walk = (element: Element) => {
    out.push(element);
    for (let node = element.firstChild; node; node = node.nextSibling) if (node.nodeType === 1) walk(node as Element);
  };
  walk(root);
  return out;
};

describe("#22 XAdES signatures.xml read by the validator (property tests)", { timeout: 240_000 }, () => {
  let sandbox: Sandbox;
  let container: AsicContainer;
  let source: string;

  before(async () => {
    sandbox = await startSandbox();
    const mari = await sandbox.card("48707282714", "Mari", "Maasikas");
    const data = new TextEncoder().encode("Müüja ja ostja lepivad kokku.\n");
    container = (
      await signContainer(
        createContainer([{ name: "leping.txt", mediaType: "text/plain", data }]),
        await cardFileSigner(mari, PIN2),
        { tsaUrl: sandbox.urls.tsa, role: "Juhatuse liige" },
      )
    ).container;
    source = new TextDecoder().decode(container.signatures[0]!.xml);
  });
  after(() => sandbox?.close());

  /** Parses the signature file, lets `mutate` change the DOM, and validates the container with it. */
  const validateMutated = async (mutate: (document: Document) => void): Promise<ValidationReport> => {
    const document = new DOMParser().parseFromString(source, "application/xml");
    mutate(document as unknown as Document);
    const xml = new TextEncoder().encode(new XMLSerializer().serializeToString(document));
    return validateContainer(
      writeContainer({ ...container, signatures: [{ name: "META-INF/signatures0.xml", xml }] }),
      { trustAnchors: [sandbox.root] },
    );
  };
  const codesOf = (report: ValidationReport) => [
    ...report.container.findings.map((f) => f.code),
    ...report.signatures.flatMap((s) => s.findings.map((f) => f.code)),
  ];
  const part = (document: Document, ns: string, local: string) =>
    document.getElementsByTagNameNS(ns, local)[0] as unknown as Element;
  const signedElements = (document: Document) => [
    ...elementsUnder(part(document, NS.ds, "SignedInfo")),
    ...elementsUnder(part(document, NS.xades, "SignedProperties")),
  ];
  const assertBroken = (report: ValidationReport, expected: readonly FindingCode[], what: string) => {
    const codes = codesOf(report);
    assert.equal(report.verdict, "invalid", `${what}: ${codes.join()}`);
    assert.ok(
      codes.some((code) => expected.includes(code)),
      `${what}: expected one of ${expected.join()}, got ${codes.join()}`,
    );
  };

  it("the file as the DOM serialiser writes it back is still valid (so each refusal below is the mutation's)", async () => {
    const report = await validateMutated(() => {});
    assert.equal(report.verdict, "valid", codesOf(report).join());
  });

  it("#22 a signed element dropped or duplicated: SIGNATURE_FORMAT, SIGNATURE_VALUE or SIGNED_PROPERTIES_CHANGED", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.boolean(), async (pick, duplicate) => {
        let what = "";
        const report = await validateMutated((document) => {
          const elements = signedElements(document);
          const target = elements[pick % elements.length]!;
          what = `${duplicate ? "duplicated" : "dropped"} ${target.tagName}`;
          if (duplicate) target.parentNode!.insertBefore(target.cloneNode(true), target);
          else target.parentNode!.removeChild(target);
        });
        assertBroken(report, SIGNED_PART_BROKEN, what);
      }),
      { numRuns: 60 },
    );
  });

  it("#22 an attribute of a signed element changed or added: SIGNATURE_FORMAT, SIGNATURE_VALUE or SIGNED_PROPERTIES_CHANGED", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.constantFrom("Id", "URI", "Algorithm", "Type", "Extra"),
        fc.string({ minLength: 1, maxLength: 12 }),
        async (pick, name, value) => {
          let what = "";
          const report = await validateMutated((document) => {
            const elements = signedElements(document);
            const target = elements[pick % elements.length]!;
            const before = target.getAttribute(name);
            const next = before === value ? `${value}x` : value;
            what = `${target.tagName} @${name}=${JSON.stringify(next)}`;
            target.setAttribute(name, next);
          });
          assertBroken(report, SIGNED_PART_BROKEN, what);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("#22 a namespace swapped on a signed element (ds ↔ xades): refused as tampering with the signed part", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (pick) => {
        let what = "";
        const report = await validateMutated((document) => {
          const elements = signedElements(document);
          const target = elements[pick % elements.length]!;
          const [ns, prefix] = target.namespaceURI === NS.ds ? [NS.xades, "xades"] : [NS.ds, "ds"];
          const swapped = document.createElementNS(ns, `${prefix}:${target.localName}`) as unknown as Element;
          for (let i = 0; i < target.attributes.length; i++)
            swapped.setAttribute(target.attributes[i]!.name, target.attributes[i]!.value);
          while (target.firstChild) swapped.appendChild(target.firstChild);
          target.parentNode!.replaceChild(swapped, target);
          what = `${target.tagName} → ${prefix}:${target.localName}`;
        });
        assertBroken(report, SIGNED_PART_BROKEN, what);
      }),
      { numRuns: 40 },
    );
  });

  it("#22 digests altered: a data file's → DATA_FILE_CHANGED, the SignedProperties' → SIGNED_PROPERTIES_CHANGED, the certificate's → SIGNING_CERTIFICATE_MISMATCH", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          ["Reference", "DATA_FILE_CHANGED"] as const,
          ["SignedPropertiesReference", "SIGNED_PROPERTIES_CHANGED"] as const,
          ["CertDigest", "SIGNING_CERTIFICATE_MISMATCH"] as const,
        ),
        fc.uint8Array({ minLength: 1, maxLength: 48 }),
        async ([where, code], noise) => {
          const report = await validateMutated((document) => {
            const values = [...(document.getElementsByTagNameNS(NS.ds, "DigestValue") as unknown as Element[])];
            const target = values.find((value) => {
              const owner = value.parentNode as Element;
              if (where === "CertDigest") return owner.localName === "CertDigest";
              const isProperties = owner.getAttribute("Type")?.endsWith("#SignedProperties") ?? false;
              return owner.localName === "Reference" && isProperties === (where === "SignedPropertiesReference");
            })!;
            const digest = Buffer.from(target.textContent!, "base64");
            for (const [i, byte] of noise.entries()) digest[i % digest.length]! ^= byte || 1;
            target.textContent = digest.toString("base64");
          });
          const codes = codesOf(report);
          assert.equal(report.verdict, "invalid");
          assert.ok(codes.includes(code), `${where}: expected ${code}, got ${codes.join()}`);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("#22 unsigned evidence dropped: NO_TIMESTAMP or NO_REVOCATION_DATA, never valid", async () => {
    for (const [local, code] of [
      ["SignatureTimeStamp", "NO_TIMESTAMP"],
      ["RevocationValues", "NO_REVOCATION_DATA"],
      ["CertificateValues", "NO_REVOCATION_DATA"],
    ] as const) {
      const report = await validateMutated((document) => {
        const target = part(document, NS.xades, local);
        target.parentNode!.removeChild(target);
      });
      assert.notEqual(report.verdict, "valid", local);
      assert.ok(codesOf(report).includes(code), `${local}: ${codesOf(report).join()}`);
    }
  });
});
