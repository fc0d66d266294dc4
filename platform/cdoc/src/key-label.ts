// Key labels: CDOC2 1.2+ writes machine-readable labels as a data URL (RFC 2397),
// "data:V=1&TYPE=<pub_key|cert|ID-card|pw|secret>&LABEL=<label>" (parameters URL-encoded, names
// read case-insensitively, possibly after a "," or base64-encoded), older containers a plain label. The KEK of symmetric and password recipients binds the label as stored.

export type KeyLabelType = "pub_key" | "cert" | "ID-card" | "pw" | "secret";

export function formatKeyLabel(type: KeyLabelType, params: Record<string, string>): string {
  const query = Object.entries({ V: "1", TYPE: type, ...params })
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  return `data:${query}`;
}

/** The label's parameters when machine-readable, otherwise `{ label }` with the plain text. */
export function parseKeyLabel(keyLabel: string): Record<string, string> {
  if (!keyLabel.startsWith("data:")) return { label: keyLabel };
  let body = keyLabel.slice("data:".length);
  // A base64 data URL carries the parameters base64-encoded after the comma.
  const comma = body.indexOf(",");
  if (comma >= 0 && body.slice(0, comma).includes("base64")) {
    try {
      body = new TextDecoder().decode(Uint8Array.from(atob(body.slice(comma + 1)), (c) => c.charCodeAt(0)));
    } catch {
      return { label: keyLabel }; // not base64 after all: shown as it is
    }
  } else if (comma >= 0) {
    body = body.slice(comma + 1) || body.slice(0, comma);
  }
  const out: Record<string, string> = {};
  for (const pair of body.split("&")) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? "" : pair.slice(eq + 1);
    try {
      out[decodeURIComponent(key).toLowerCase()] = decodeURIComponent(value.replace(/\+/g, " "));
    } catch {
      out[key.toLowerCase()] = value;
    }
  }
  return out;
}

/** The human label: the `label` parameter of a machine-readable label, or the plain label. */
export function displayLabel(keyLabel: string): string {
  const params = parseKeyLabel(keyLabel);
  return params["label"] ?? params["cn"] ?? params["file"] ?? keyLabel;
}
