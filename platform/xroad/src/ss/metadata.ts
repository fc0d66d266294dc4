import { type ClientId, formatClientId, parseClientId } from "@riik/core";
import { stringify as stringifyYaml } from "yaml";
import { XRoadFault } from "../errors.ts";
import type { GlobalConfIndex } from "../globalconf/document.ts";
import { type Endpoint, isJsonText, type LocalConf, type LocalService, parseOpenApi } from "./local-conf.ts";

/** The REST metadata services a provider's security server answers itself (PR-MREST 4, 5). */
export const METADATA_SERVICES: ReadonlySet<string> = new Set(["listMethods", "allowedMethods", "getOpenAPI"]);

const xml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** PR-META 2 listClients: JSON (Annex B) when asked for application/json, else the clientList XML (Annex A). */
export function listClients(conf: GlobalConfIndex, instance: string | null, accept: string | undefined) {
  const members: Array<{ id: ClientId; name: string; subsystemName?: string }> = [];
  if (!instance || instance === conf.instance) {
    for (const member of conf.conf.content.members) {
      const id = { instance: conf.instance, memberClass: member.memberClass, memberCode: member.memberCode };
      members.push({ id, name: member.name });
      for (const subsystem of member.subsystems)
        members.push({
          id: { ...id, subsystemCode: subsystem.subsystemCode },
          name: member.name,
          subsystemName: subsystem.name,
        });
    }
  }
  if (accept?.includes("application/json")) {
    return {
      contentType: "application/json;charset=utf-8",
      body: JSON.stringify({
        member: members.map((m) => ({
          id: {
            member_class: m.id.memberClass,
            member_code: m.id.memberCode,
            ...(m.id.subsystemCode ? { subsystem_code: m.id.subsystemCode } : {}),
            object_type: m.id.subsystemCode ? "SUBSYSTEM" : "MEMBER",
            xroad_instance: m.id.instance,
          },
          name: m.name,
          ...(m.subsystemName ? { subsystem_name: m.subsystemName } : {}),
        })),
      }),
    };
  }
  const items = members
    .map(
      (m) =>
        `<ns2:member><ns2:id ns1:objectType="${m.id.subsystemCode ? "SUBSYSTEM" : "MEMBER"}"><ns1:xRoadInstance>${xml(m.id.instance)}</ns1:xRoadInstance><ns1:memberClass>${xml(m.id.memberClass)}</ns1:memberClass><ns1:memberCode>${xml(m.id.memberCode)}</ns1:memberCode>${m.id.subsystemCode ? `<ns1:subsystemCode>${xml(m.id.subsystemCode)}</ns1:subsystemCode>` : ""}</ns2:id><ns2:name>${xml(m.name)}</ns2:name>${m.subsystemName ? `<ns2:subsystemName>${xml(m.subsystemName)}</ns2:subsystemName>` : ""}</ns2:member>`,
    )
    .join("");
  return {
    contentType: "text/xml;charset=utf-8",
    body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ns2:clientList xmlns:ns1="http://x-road.eu/xsd/identifiers" xmlns:ns2="http://x-road.eu/xsd/xroad.xsd">${items}</ns2:clientList>`,
  };
}

function serviceEntry(provider: ClientId, service: LocalService, endpoints: Endpoint[]) {
  return {
    member_class: provider.memberClass,
    member_code: provider.memberCode,
    object_type: "SERVICE",
    service_code: service.serviceCode,
    service_type: service.serviceType,
    subsystem_code: provider.subsystemCode,
    xroad_instance: provider.instance,
    // X-Road lists a service's endpoints without its base endpoint (`*` `**`, the whole service).
    endpoint_list: endpoints
      .filter((e) => !(e.method === "*" && e.path === "**"))
      .map((e) => ({ method: e.method, path: e.path })),
  };
}

/**
 * PR-MREST 4 listMethods / allowedMethods and 5 getOpenAPI, answered by the provider's
 * security server for the provider subsystem `providerText`. Only GET reaches them: X-Road's
 * metadata handler takes GET alone and any other method is looked up as an ordinary service
 * of that name, which no provider can have (Server.ServerProxy.UnknownService).
 */
export function answerMetadata(
  method: string,
  serviceCode: string,
  providerText: string,
  query: URLSearchParams,
  client: ClientId,
  local: LocalConf,
  conf: GlobalConfIndex,
): { status: number; contentType: string; body: Buffer } {
  const provider = parseClientId(providerText);
  if (method !== "GET")
    throw new XRoadFault(
      "Server.ServerProxy",
      "UnknownService",
      `Unknown service: ${formatClientId(provider)}/${serviceCode} (the metadata services answer GET only)`,
    );
  const services = [...local.services.values()]
    .filter((s) => s.client === providerText)
    .sort((a, b) => (a.serviceCode < b.serviceCode ? -1 : 1));
  if (serviceCode === "listMethods" || serviceCode === "allowedMethods") {
    // allowedMethods: every service the client holds a right to, even when no endpoint is declared.
    const entries =
      serviceCode === "listMethods"
        ? services.map((s) => serviceEntry(provider, s, s.endpoints))
        : services.flatMap((s) => {
            const endpoints = local.allowedEndpoints(providerText, s, client, conf);
            return endpoints ? [serviceEntry(provider, s, endpoints)] : [];
          });
    return {
      status: 200,
      contentType: "application/json;charset=utf-8",
      body: Buffer.from(JSON.stringify({ service: entries })),
    };
  }
  // As X-Road's RestMetadataServiceHandlerImpl answers (PR-MREST 5 names no error types): the
  // parameter name matched case-insensitively, the last one counting; a missing code is
  // InvalidRequest, a service not found or without an OpenAPI 3 description InternalError.
  const wanted = [...query].filter(([name]) => name.toLowerCase() === "servicecode").at(-1)?.[1];
  if (!wanted) throw new XRoadFault("Server.ServerProxy", "InvalidRequest", "Missing serviceCode in message body");
  const service = services.find((s) => s.serviceCode === wanted);
  if (!service)
    throw new XRoadFault(
      "Server.ServerProxy",
      "InternalError",
      `Service not found: ${formatClientId(provider)}/${wanted}`,
    );
  if (!service.openapi) throw new XRoadFault("Server.ServerProxy", "InternalError", "Invalid service type: REST");
  return servedDescription(service.openapi);
}

/**
 * The description as imported, JSON or YAML, with each `servers` URL that has no variables
 * cut to its path so the provider's internal address stays inside (X-Road's
 * Openapi3Anonymiser; URLs with `{variables}` are left as they are).
 */
function servedDescription(text: string): { status: number; contentType: string; body: Buffer } {
  const json = isJsonText(text);
  const document = parseOpenApi(text);
  const servers = document.servers;
  if (Array.isArray(servers))
    for (const server of servers) {
      const url = (server as { url?: unknown } | null)?.url;
      if (typeof url === "string" && !(url.includes("{") && url.includes("}")))
        (server as { url: string }).url = pathOf(url);
    }
  return {
    status: 200,
    contentType: json ? "application/json;charset=utf-8" : "text/yaml;charset=utf-8",
    body: Buffer.from(json ? JSON.stringify(document) : stringifyYaml(document)),
  };
}

/** The decoded path of a URI reference (RFC 3986 Appendix B's parse; as java.net.URI#getPath). */
function pathOf(url: string): string {
  const path = /^(?:[^:/?#]+:)?(?:\/\/[^/?#]*)?([^?#]*)/.exec(url)![1]!;
  try {
    return decodeURIComponent(path);
  } catch (cause) {
    throw new XRoadFault("Server.ServerProxy", "InternalError", `Can't parse url string: ${url}`, { cause });
  }
}
