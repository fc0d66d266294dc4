/**
 * The one error base of riik. Every package narrows `code` to its own string-literal
 * union; programs match on `code`, people read `message`, `cause` keeps the chain.
 */
export class RiikError<Code extends string = string> extends Error {
  readonly code: Code;
  /** Machine-readable details (field paths, limits) that help the caller fix the input. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: Code, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ? { ...options.details } : undefined;
  }

  toJSON(): { code: Code; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

export function isRiikError(value: unknown): value is RiikError {
  return value instanceof RiikError;
}
