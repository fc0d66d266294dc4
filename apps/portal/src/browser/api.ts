/** A refused or failed API call; `code` is the server's error code (or error.network). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;
  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Calls the portal's own API; the session cookie goes along, SameSite=Strict. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; token?: string; file?: { blob: Blob; contentType: string } } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (init.file) headers["content-type"] = init.file.contentType;
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      credentials: "same-origin",
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.file ? { body: init.file.blob } : {}),
    });
  } catch (error) {
    throw new ApiError("error.network", 0, (error as Error).message);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    throw new ApiError(
      typeof record.code === "string" ? record.code : "error.generic",
      response.status,
      typeof record.message === "string" ? record.message : `HTTP ${response.status}`,
      (typeof record.details === "object" && record.details !== null ? record.details : {}) as Record<string, unknown>,
    );
  }
  return body as T;
}
