// Encrypted documents (issue #20), as DigiDoc does them, all inside the page: "Encrypt for a
// person" looks the recipients' ID card keys up through the portal (the certificate directory)
// and writes a CDOC2 container here; "Open an encrypted file" opens one with the card file's
// authentication key behind PIN1 (the key never leaves the page, as for login). No file and
// no key reaches the portal.

import {
  CdocError,
  type ContainerFile,
  cardKeyAgreement,
  decryptWithKeyAgreement,
  encryptForPublicKeys,
} from "@riik/cdoc/browser";
import { base64, CardError, checkPin1, readCardFile } from "@riik/pki/browser";
import type {
  EncryptedMessagesResponse,
  EncryptionRecipient,
  EncryptionRecipientsResponse,
} from "../../web/api-types.ts";
import { api } from "../api.ts";
import { errorText, render, state, t, UiError, type View } from "../app.ts";
import { h } from "../dom.ts";
import { sizeText } from "../format.ts";
import { sessionEnded } from "../session.ts";
import { chosenFiles, field, fileInput, flashBox, heading, submitActions } from "../widgets.ts";

/** Everything is held in the page's memory: files, container and the opened files. */
const MAX_PAGE_BYTES = 64 * 1024 * 1024;
const PERSONAL_CODE = /^[1-8][0-9]{10}$/;

/** A download made in the page: its object URL is revoked when the view forgets it. */
interface Download {
  name: string;
  size: number;
  href: string;
}

const download = (name: string, data: Uint8Array, type: string): Download => ({
  name,
  size: data.length,
  href: URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type })),
});

function downloadList(id: string, downloads: readonly Download[]): HTMLElement {
  return h(
    "ul",
    { class: "plain chosen", id },
    ...downloads.map((d) =>
      h(
        "li",
        {},
        h("a", { href: d.href, download: d.name, class: "file-name" }, d.name),
        " ",
        h("span", { class: "meta" }, sizeText(d.size)),
      ),
    ),
  );
}

// ---- Encrypt for a person

interface Encrypted {
  container: Download;
  bytes: Uint8Array;
  recipients: EncryptionRecipient[];
  codes: string[];
  /** Sending again answers the first messages (the inbox's idempotency key). */
  idempotencyKey: string;
  sent?: EncryptedMessagesResponse;
}

let encrypt: { result?: Encrypted } = {};
let encryptFilesInput: HTMLInputElement | undefined;
let codesInput: HTMLInputElement | undefined;

function encryptPage(): HTMLElement {
  encryptFilesInput ??= fileInput("encrypt-files", { name: "files", multiple: true });
  codesInput ??= h("input", {
    type: "text",
    id: "encrypt-codes",
    name: "codes",
    inputmode: "numeric",
    autocomplete: "off",
    required: true,
    "data-keep": "encrypt-codes",
  });
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "encrypt-form-title" },
    h("h2", { id: "encrypt-form-title", class: "visually-hidden" }, t("encrypt.title")),
    field(
      "encrypt-files",
      "encrypt.files",
      encryptFilesInput,
      t("encrypt.filesHint", { size: sizeText(MAX_PAGE_BYTES) }),
      chosenFiles(encryptFilesInput),
    ),
    field("encrypt-codes", "encrypt.codes", codesInput, t("encrypt.codesHint")),
    flashBox(),
    submitActions("encrypt-submit", "encrypt.submit", "encrypt.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void encryptFiles();
  });
  const result = encrypt.result;
  return h(
    "section",
    { class: "view" },
    heading("encrypt.title"),
    h("p", { class: "lead" }, t("encrypt.intro")),
    form,
    result
      ? h(
          "section",
          { class: "card done", "aria-labelledby": "encrypt-result-h" },
          h("h2", { id: "encrypt-result-h", tabindex: "-1" }, t("encrypt.result")),
          h(
            "p",
            { class: "flash info", role: "status" },
            t("encrypt.done", { recipients: result.recipients.map((r) => r.name).join("; ") }),
          ),
          downloadList("encrypt-download", [result.container]),
        )
      : null,
    result && state.session?.inbox ? sendForm(result) : null,
  );
}

/** Sends the container to each recipient's state inbox, as a message from the person logged in. */
function sendForm(result: Encrypted): HTMLElement {
  if (result.sent)
    return h(
      "p",
      { class: "flash info", role: "status", id: "encrypt-sent" },
      t("encrypt.sent", { count: result.sent.messages.length }),
    );
  const subject = h("input", {
    type: "text",
    id: "encrypt-subject",
    maxlength: 200,
    required: true,
    "data-keep": "encrypt-subject",
  });
  subject.value = t("encrypt.defaultSubject");
  const text = h("textarea", {
    id: "encrypt-text",
    maxlength: 10_000,
    rows: 3,
    required: true,
    "data-keep": "encrypt-text",
  });
  text.value = t("encrypt.defaultText", { name: result.container.name });
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "encrypt-send-h" },
    h("h2", { id: "encrypt-send-h" }, t("encrypt.send")),
    field("encrypt-subject", "encrypt.subject", subject, t("encrypt.subjectHint")),
    field("encrypt-text", "encrypt.text", text, t("encrypt.textHint")),
    submitActions("encrypt-send", "encrypt.sendSubmit", "encrypt.sending"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void sendEncrypted(result, subject.value.trim(), text.value.trim());
  });
  return form;
}

async function sendEncrypted(result: Encrypted, subject: string, body: string): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    result.sent = await api<EncryptedMessagesResponse>("/api/encryption/messages", {
      method: "POST",
      body: {
        recipients: result.codes,
        subject,
        body,
        container: { name: result.container.name, data: base64(result.bytes) },
        idempotencyKey: result.idempotencyKey,
      },
    });
    state.busy = false;
    render();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "encrypt" };
    render();
  }
}

async function encryptFiles(): Promise<void> {
  if (state.busy) return;
  state.flash = undefined;
  try {
    const files = [...(encryptFilesInput?.files ?? [])];
    if (files.length === 0) throw new UiError("sign.noFiles");
    if (files.reduce((n, f) => n + f.size, 0) > MAX_PAGE_BYTES)
      throw new UiError("sign.tooLarge", { size: sizeText(MAX_PAGE_BYTES) });
    const codes = [...new Set((codesInput?.value ?? "").split(/[\s,;]+/).filter(Boolean))];
    if (codes.length === 0 || codes.some((c) => !PERSONAL_CODE.test(c))) throw new UiError("encrypt.badCodes");
    state.busy = true;
    forgetEncrypted();
    render();
    const recipients: EncryptionRecipient[] = [];
    for (const code of codes) {
      const found = await api<EncryptionRecipientsResponse>(`/api/encryption/recipients?code=${code}`);
      recipients.push(...found.recipients);
    }
    const contents: ContainerFile[] = await Promise.all(
      files.map(async (f) => ({ name: f.name, data: new Uint8Array(await f.arrayBuffer()) })),
    );
    const container = await encryptForPublicKeys(
      contents,
      recipients.map((r) => ({
        keyLabel: r.keyLabel,
        publicKey: Uint8Array.from(atob(r.publicKey), (c) => c.charCodeAt(0)),
      })),
    );
    // DigiDoc names the container after its first file.
    const name = `${files[0]!.name.replace(/\.[^.]*$/, "") || "encrypted"}.cdoc2`;
    encrypt.result = {
      container: download(name, container, "application/octet-stream"),
      bytes: container,
      recipients,
      codes,
      idempotencyKey: crypto.randomUUID(),
    };
    state.busy = false;
    if (encryptFilesInput) encryptFilesInput.value = "";
    render();
    (document.getElementById("encrypt-result-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    if (sessionEnded(error)) return;
    state.flash = { kind: "error", text: errorText(error), route: "encrypt" };
    render();
    const filesProblem = error instanceof UiError && error.key.startsWith("sign.");
    document.getElementById(filesProblem ? "encrypt-files" : "encrypt-codes")?.focus();
  }
}

function forgetEncrypted(): void {
  if (encrypt.result) URL.revokeObjectURL(encrypt.result.container.href);
  encrypt = {};
}

export const encryptView: View = {
  title: "encrypt.title",
  personal: true,
  render: encryptPage,
  reset: forgetEncrypted,
};

// ---- Open an encrypted file

let decrypt: { files?: Download[]; name?: string } = {};
/** A container the inbox handed over ("Open with ID card" on an attachment), used when no file is chosen. */
let handedOver: { name: string; bytes: Uint8Array } | undefined;

/** Opens the view with `bytes` as the container to open (an inbox attachment). */
export function openInPage(name: string, bytes: Uint8Array): void {
  forgetOpened();
  handedOver = { name, bytes };
  location.hash = "#/decrypt";
}
let containerInput: HTMLInputElement | undefined;
let decryptCardInput: HTMLInputElement | undefined;

function decryptPage(): HTMLElement {
  containerInput ??= fileInput("decrypt-file", { name: "container", accept: ".cdoc2,.cdoc" });
  decryptCardInput ??= h("input", { type: "file", id: "decrypt-card", name: "card", accept: ".json,application/json" });
  const pin = h("input", {
    type: "password",
    id: "decrypt-pin1",
    name: "pin1",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{4,12}",
    minlength: 4,
    maxlength: 12,
    required: true,
    "data-keep": "decrypt-pin1",
  });
  const form = h(
    "form",
    { class: "card signing", novalidate: true, "aria-labelledby": "decrypt-form-title" },
    h("h2", { id: "decrypt-form-title", class: "visually-hidden" }, t("decrypt.title")),
    field(
      "decrypt-file",
      "decrypt.file",
      containerInput,
      t("decrypt.fileHint", { size: sizeText(MAX_PAGE_BYTES) }),
      chosenFiles(containerInput) ??
        (handedOver
          ? h(
              "p",
              { class: "chosen", id: "decrypt-handed-over" },
              t("decrypt.handedOver", { name: handedOver.name, size: sizeText(handedOver.bytes.length) }),
            )
          : null),
    ),
    field("decrypt-card", "login.cardFile", decryptCardInput, t("decrypt.cardHint")),
    field("decrypt-pin1", "decrypt.pin1", pin, t("decrypt.pin1Hint")),
    flashBox(),
    submitActions("decrypt-submit", "decrypt.submit", "decrypt.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void openContainer(pin);
  });
  return h(
    "section",
    { class: "view" },
    heading("decrypt.title"),
    h("p", { class: "lead" }, t("decrypt.intro")),
    form,
    decrypt.files
      ? h(
          "section",
          { class: "card done", "aria-labelledby": "decrypt-result-h" },
          h("h2", { id: "decrypt-result-h", tabindex: "-1" }, t("decrypt.result", { name: decrypt.name ?? "" })),
          downloadList("decrypt-files", decrypt.files),
        )
      : null,
  );
}

async function openContainer(pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin1 = pin.value;
  state.flash = undefined;
  try {
    const file = containerInput?.files?.[0];
    const chosen = file
      ? { name: file.name, size: file.size }
      : handedOver && { name: handedOver.name, size: handedOver.bytes.length };
    if (!chosen) throw new UiError("decrypt.noFile");
    if (chosen.size > MAX_PAGE_BYTES) throw new UiError("sign.tooLarge", { size: sizeText(MAX_PAGE_BYTES) });
    const card = await readCardFile(decryptCardInput?.files?.[0]);
    checkPin1(pin1);
    state.busy = true;
    forgetOpened();
    render();
    const key = await cardKeyAgreement(card, pin1);
    const bytes = file ? new Uint8Array(await file.arrayBuffer()) : (handedOver?.bytes ?? new Uint8Array(0));
    const files = await decryptWithKeyAgreement(bytes, key, MAX_PAGE_BYTES);
    decrypt = { files: files.map((f) => download(f.name, f.data, "application/octet-stream")), name: chosen.name };
    state.busy = false;
    render();
    (document.getElementById("decrypt-result-h") as HTMLElement | null)?.focus();
  } catch (error) {
    state.busy = false;
    state.flash = { kind: "error", text: errorText(error), route: "decrypt" };
    render();
    const code = error instanceof CardError || error instanceof CdocError ? error.code : "";
    const target =
      code.startsWith("CDOC_") || code === "" ? "decrypt-file" : code.includes("PIN") ? "decrypt-pin1" : "decrypt-card";
    const element = document.getElementById(target) as HTMLInputElement | null;
    if (element?.id === "decrypt-pin1" && code !== "CARD_WRONG_PIN" && code !== "CARD_PIN_FORMAT") element.value = pin1;
    element?.focus();
  }
}

function forgetOpened(): void {
  for (const f of decrypt.files ?? []) URL.revokeObjectURL(f.href);
  decrypt = {};
}

function forgetAll(): void {
  forgetOpened();
  handedOver = undefined;
}

// Opening needs no login: nothing of it reaches the portal.
export const decryptView: View = {
  title: "decrypt.title",
  personal: false,
  render: decryptPage,
  reset: forgetAll,
};
