// The login page's script (bundled by esbuild, served as /interaction/login.js): the ID card
// from a card file and PIN1, signed in this page with the shared card module (the same code
// the portal's signing view uses), a Web eID token pasted from `riik id auth-token`, and the
// app login's verification code and polling. It only moves JSON between the person and the
// interaction API of this service.
import { CardError, type CardErrorCode, checkPin1, createAuthToken, readCardFile } from "@riik/pki/browser";

interface Answer {
  outcome?: string;
  redirect?: string;
  code?: string;
  message?: string;
  nonce?: string;
  verificationCode?: string;
}

const CARD_MESSAGES: Partial<Record<CardErrorCode, string>> = {
  CARD_NO_FILE: "Choose your ID card file.",
  CARD_FORMAT: "This file is not an ID card file.",
  CARD_UNSUPPORTED: "This card's key type is not supported.",
  CARD_PIN_FORMAT: "PIN1 must be 4–12 digits.",
  CARD_WRONG_PIN: "Wrong PIN1. Please try again.",
  CARD_NO_WEBCRYPTO: "This browser cannot sign securely (WebCrypto); open the login over https.",
};

const base = document.body.dataset.interaction ?? "";
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T | null;

async function post(path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(base + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  return (await response.json()) as Answer;
}

function say(text: string, kind: "error" | "info" = "error"): void {
  const outcome = $("outcome");
  if (!outcome) return;
  outcome.textContent = text;
  outcome.className = kind;
}

/** The interaction API's answer: go where it says (back to the e-service), or show why not. */
function finish(answer: Answer): void {
  if (answer.message) say(answer.message, answer.outcome === "authenticated" ? "info" : "error");
  if (answer.redirect) location.assign(answer.redirect);
}

const busy = (button: HTMLButtonElement | null, on: boolean) => {
  if (button) button.disabled = on;
};

// Web eID "Authentication" steps 2-4 with the card file: challenge, token signed here, check there.
$("idcard-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $<HTMLButtonElement>("idcard-submit");
  const pin = $<HTMLInputElement>("pin1");
  busy(button, true);
  say("", "info");
  try {
    const card = await readCardFile($<HTMLInputElement>("card-file")?.files?.[0]);
    checkPin1(pin?.value ?? "");
    const { nonce } = await post("/idcard/challenge");
    if (!nonce) throw new Error("no challenge");
    const token = await createAuthToken(card, pin?.value ?? "", location.origin, nonce);
    finish(await post("/idcard", { token }));
  } catch (error) {
    if (error instanceof CardError) {
      say(CARD_MESSAGES[error.code] ?? error.message);
      if (pin && error.code === "CARD_WRONG_PIN") pin.value = "";
      (error.code === "CARD_NO_FILE" || error.code === "CARD_FORMAT" ? $("card-file") : pin)?.focus();
    } else say("The login could not be sent; try again.");
  } finally {
    busy(button, false);
  }
});

// A token made elsewhere (`riik id auth-token --card … --origin … --nonce …`), pasted.
$("paste-challenge")?.addEventListener("click", async () => {
  const { nonce } = await post("/idcard/challenge");
  const shown = $("nonce");
  if (shown && nonce) shown.textContent = nonce;
  for (const id of ["nonce-help", "token", "send"]) $(id)?.removeAttribute("hidden");
});
$("send")?.addEventListener("click", async () => {
  try {
    finish(await post("/idcard", { token: JSON.parse($<HTMLTextAreaElement>("token")?.value ?? "") }));
  } catch {
    say("The pasted text is not a Web eID token.");
  }
});

// The app login (Smart-ID's flow): personal code, the verification code shown, then polling.
$("app-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = $<HTMLButtonElement>("app-start");
  busy(button, true);
  try {
    const started = await post("/app/start", { personalCode: $<HTMLInputElement>("personal-code")?.value ?? "" });
    if (!started.verificationCode) return finish(started);
    const code = $("verification-code");
    if (code) code.textContent = started.verificationCode;
    $("app-code")?.removeAttribute("hidden");
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const status = await post("/app/status");
      if (status.outcome !== "running") return finish(status);
    }
  } finally {
    busy(button, false);
  }
});
