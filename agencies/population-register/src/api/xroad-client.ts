import type { FastifyRequest } from "fastify";

/**
 * The X-Road client a call came from, as the provider's security server states it
 * (X-Road-Client, PR-REST 4.3), kept with what the call registered; null when the register
 * is called directly (tests, the operator on loopback).
 */
export function xroadClientOf(request: FastifyRequest): string | null {
  const value = request.headers["x-road-client"];
  return typeof value === "string" && /^[\x21-\x7e]{1,255}$/.test(value) ? value : null;
}
