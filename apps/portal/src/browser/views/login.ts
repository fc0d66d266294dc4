// Login with the card file and PIN1: a Web eID token made in the page (card.ts) for the
// portal's challenge.

import type { ChallengeResponse, LoginResponse } from "../../web/api-types.ts";
import { api } from "../api.ts";
import { errorText, navigate, render, state, t, type View } from "../app.ts";
import { CardError, checkPin1, createAuthToken, readCardFile } from "@riik/pki/browser";
import { h, uid } from "../dom.ts";
import { signedIn } from "../session.ts";
import { flashBox, heading, submitActions } from "../widgets.ts";

// Kept across renders, so switching the language keeps the chosen file.
let cardInput: HTMLInputElement | undefined;

function view(): HTMLElement {
  const fileId = "card-file";
  const pinId = "pin1";
  const fileHint = uid("hint");
  const pinHint = uid("hint");
  cardInput ??= h("input", {
    type: "file",
    id: fileId,
    name: "card",
    accept: ".json,application/json",
    required: true,
  });
  cardInput.setAttribute("aria-describedby", fileHint);
  const pinError = state.flash?.kind === "error" ? "flash" : undefined;
  const pin = h("input", {
    type: "password",
    id: pinId,
    name: "pin1",
    inputmode: "numeric",
    autocomplete: "off",
    pattern: "[0-9]{4,12}",
    minlength: 4,
    maxlength: 12,
    required: true,
    "aria-describedby": [pinHint, pinError].filter(Boolean).join(" "),
    "aria-invalid": pinError ? "true" : undefined,
    "data-keep": "pin1",
  });
  const form = h(
    "form",
    { class: "card login", novalidate: true, "aria-labelledby": "login-title" },
    h(
      "div",
      { class: "field" },
      h("label", { for: fileId }, t("login.cardFile")),
      cardInput,
      h("p", { class: "hint", id: fileHint }, t("login.cardFileHint")),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: pinId }, t("login.pin1")),
      pin,
      h("p", { class: "hint", id: pinHint }, t("login.pin1Hint")),
    ),
    flashBox(),
    submitActions("submit", "login.submit", "login.working"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void login(pin);
  });
  const title = heading("login.title");
  title.id = "login-title";
  return h("section", { class: "view" }, title, h("p", { class: "lead" }, t("login.intro")), form);
}

async function login(pin: HTMLInputElement): Promise<void> {
  if (state.busy) return;
  const pin1 = pin.value;
  state.flash = undefined;
  state.busy = true;
  render();
  try {
    const card = await readCardFile(cardInput?.files?.[0]);
    checkPin1(pin1);
    const { nonce } = await api<ChallengeResponse>("/api/auth/challenge");
    const token = await createAuthToken(card, pin1, location.origin, nonce);
    const { person } = await api<LoginResponse>("/api/auth/login", { method: "POST", body: token });
    state.busy = false;
    signedIn(person);
    state.flash = {
      kind: "info",
      text: t("login.welcome", { name: `${person.givenName} ${person.surname}` }),
      route: "data",
    };
    if (cardInput) cardInput.value = "";
    navigate("data");
  } catch (error) {
    state.busy = false;
    state.flash = { kind: "error", text: errorText(error), route: "login" };
    render();
    const field = document.getElementById(
      error instanceof CardError && (error.code === "CARD_NO_FILE" || error.code === "CARD_FORMAT")
        ? "card-file"
        : "pin1",
    ) as HTMLInputElement | null;
    if (field?.id === "pin1" && error instanceof CardError && error.code === "CARD_WRONG_PIN") field.value = "";
    else if (field?.id === "pin1") field.value = pin1;
    field?.focus();
  }
}

export const loginView: View = { title: "login.title", personal: false, render: view };
