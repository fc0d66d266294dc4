// The `/app` page: the sandbox's Smart-ID-like app. It enrols a key pair made here (private
// key wrapped under PIN1, app-key.ts), polls for logins of its person, offers the
// verification-code choice (VCCHOICE) and signs the hash to be signed with PIN1.
import {
  AppKeyError,
  enrolmentProofData,
  fromBase64url,
  generateAppKey,
  signWithAppKey,
  unlockAppKey,
  type WrappedAppKey,
} from "../app-key.ts";
import { verificationCode } from "../verification-code.ts";

interface StoredAccount {
  credential: string;
  personalCode: string;
  name: string;
  key: WrappedAppKey;
}

interface PendingLogin {
  sessionId: string;
  hash: string;
  choices: string[];
  expiresAt: string;
}

const STORAGE_KEY = "riik-app-account";
const POLL_MS = 2000;
const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
// The API sits beside the page: …/app → …/app/api/…, whatever prefix the service mounts it under.
const apiBase = new URL(`${location.pathname.replace(/\/+$/, "")}/api/`, location.origin);

function say(text: string): void {
  element("message").textContent = text;
}

function show(section: "enrol" | "home" | "login"): void {
  for (const id of ["enrol", "home", "login"])
    element(id).hidden = id !== section && !(id === "home" && section === "login");
}

function stored(): StoredAccount | undefined {
  const text = localStorage.getItem(STORAGE_KEY);
  return text ? (JSON.parse(text) as StoredAccount) : undefined;
}

async function api<T>(path: string, body?: unknown, credential?: string): Promise<T> {
  const response = await fetch(new URL(path, apiBase), {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as T & { code?: string; message?: string };
  if (!response.ok) throw new Error(answer.message ?? `the service answered ${response.status}`);
  return answer;
}

async function enrol(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const code = element<HTMLInputElement>("enrol-code").value;
  const pin1 = element<HTMLInputElement>("enrol-pin1").value;
  if (pin1 !== element<HTMLInputElement>("enrol-pin1-again").value) return say("The two PIN1s differ.");
  element<HTMLButtonElement>("enrol-submit").disabled = true;
  say("Making your key…");
  try {
    const { stored: key, privateKey } = await generateAppKey(pin1);
    const proof = await signWithAppKey(privateKey, enrolmentProofData(code));
    const enrolled = await api<{ credential: string; personalCode: string; givenName: string; surname: string }>(
      "enrol",
      { code, publicKey: key.publicKey, proof },
    );
    const account: StoredAccount = {
      credential: enrolled.credential,
      personalCode: enrolled.personalCode,
      name: `${enrolled.givenName} ${enrolled.surname}`,
      key,
    };
    localStorage.setItem(STORAGE_KEY, JSON.stringify(account));
    say("This device is enrolled.");
    home(account);
  } catch (error) {
    say(error instanceof AppKeyError || error instanceof Error ? error.message : "Enrolment failed.");
  } finally {
    element<HTMLButtonElement>("enrol-submit").disabled = false;
  }
}

let current: { login: PendingLogin; chosen?: string } | undefined;
let polling: ReturnType<typeof setTimeout> | undefined;

function home(account: StoredAccount): void {
  element("account-name").textContent = `${account.name} (${account.personalCode})`;
  show("home");
  void poll(account);
}

async function poll(account: StoredAccount): Promise<void> {
  clearTimeout(polling);
  try {
    if (!current) {
      const { logins } = await api<{ logins: PendingLogin[] }>("pending", undefined, account.credential);
      if (logins[0]) await offer(logins[0]);
    } else if (Date.parse(current.login.expiresAt) < Date.now()) {
      current = undefined;
      say("The login request timed out.");
      show("home");
    }
  } catch (error) {
    say(error instanceof Error ? error.message : "The service cannot be reached.");
  }
  polling = setTimeout(() => void poll(account), POLL_MS);
}

async function offer(login: PendingLogin): Promise<void> {
  // The app derives the code from what it is about to sign; choices without it are not this hash's.
  const code = await verificationCode(fromBase64url(login.hash));
  if (!login.choices.includes(code)) return say("A login request arrived whose codes do not match its hash; ignored.");
  current = { login };
  const box = element("login-choices");
  box.replaceChildren(
    ...login.choices.map((choice) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = choice;
      button.dataset.code = choice;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", () => {
        if (!current) return;
        current.chosen = choice;
        for (const other of box.querySelectorAll("button"))
          other.setAttribute("aria-pressed", String(other === button));
        element<HTMLButtonElement>("login-confirm").disabled = false;
      });
      return button;
    }),
  );
  element<HTMLButtonElement>("login-confirm").disabled = true;
  element<HTMLInputElement>("login-pin1").value = "";
  say("");
  show("login");
}

const OUTCOMES: Record<string, string> = {
  COMPLETE: "You are logged in.",
  WRONG_VERIFICATION_CODE: "Wrong code chosen: the login was stopped.",
  USER_REFUSED: "You refused the login.",
  CERTIFICATE_INVALID: "Your app certificate is not valid (suspended or revoked).",
  TIMEOUT: "The login request timed out.",
};

async function answer(account: StoredAccount, refuse: boolean): Promise<void> {
  if (!current) return;
  const { login, chosen } = current;
  try {
    let result: { state: string; code?: string };
    if (refuse) {
      result = await api(`sessions/${login.sessionId}/refuse`, {}, account.credential);
    } else {
      if (!chosen) return say("Choose a code first.");
      const key = await unlockAppKey(account.key, element<HTMLInputElement>("login-pin1").value);
      const signature = await signWithAppKey(key, fromBase64url(login.hash));
      result = await api(
        `sessions/${login.sessionId}/confirm`,
        { verificationCode: chosen, signature },
        account.credential,
      );
    }
    current = undefined;
    say(OUTCOMES[result.code ?? result.state] ?? `The login ended: ${result.code ?? result.state}.`);
    show("home");
  } catch (error) {
    // A wrong PIN1 keeps the request open for another try; anything else ends it here.
    if (!(error instanceof AppKeyError)) {
      current = undefined;
      show("home");
    }
    say(error instanceof Error ? error.message : "The answer could not be sent.");
  }
}

function start(): void {
  const account = stored();
  element<HTMLFormElement>("enrol-form").addEventListener("submit", (event) => void enrol(event as SubmitEvent));
  element("forget").addEventListener("click", () => {
    localStorage.removeItem(STORAGE_KEY);
    clearTimeout(polling);
    say("The account was removed from this device.");
    show("enrol");
  });
  element<HTMLFormElement>("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const now = stored();
    if (now) void answer(now, false);
  });
  element("login-refuse").addEventListener("click", () => {
    const now = stored();
    if (now) void answer(now, true);
  });
  if (account) home(account);
  else show("enrol");
}

start();
