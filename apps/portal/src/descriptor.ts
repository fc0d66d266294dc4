import type { ComponentDescriptor } from "@riik/core";
import { type BusinessRegisterConfig, PORTAL_CONFIG, parsePortalConfig } from "./config/portal-config.ts";

/** The citizen portal, configured by a file (`riik portal serve --config FILE`). */
export const portalDescriptor: ComponentDescriptor<typeof PORTAL_CONFIG> = {
  name: "portal",
  description:
    "the citizen portal: login through the auth service, my data, who used my data, signing, my companies and founding, e-Residency applications, the state inbox, family benefits, the pre-filled income tax return, my health, encrypted documents",
  config: PORTAL_CONFIG,
  command: ["portal", "serve"],
  configFile: true,
  options: [],
  ports: (config) => ({ http: parsePortalConfig(config).port }),
  // Logins are the auth service's (OpenID Connect); signatures are checked at the trust services
  // (OCSP, TSA); register queries go through its security server.
  dependsOn: ["auth", "pki", "ss"],
  exchange: (file) => {
    const config = parsePortalConfig(file);
    return {
      subsystems: [
        { id: config.portalClient, description: "state portal (eesti.ee)" },
        { id: config.dataTrackerClient, description: "Data Tracker reader" },
      ],
      // A person's own record: GET /persons/{code} and what lies under it.
      access: [
        {
          subject: config.portalClient,
          service: config.populationService,
          method: "GET",
          paths: ["/persons/*", "/persons/*/**"],
        },
        ...(config.authenticationsService
          ? [
              {
                subject: config.portalClient,
                service: config.authenticationsService,
                method: "GET",
                paths: ["/authentications/*"],
              },
            ]
          : []),
        // "My companies", company pages and founding an OÜ (contract E of issue #14).
        ...(config.businessRegister ? businessRights(config.portalClient, config.businessRegister) : []),
        // Applying for e-Residency without a login (contract D).
        ...(config.eResidency
          ? (
              [
                ["GET", "/pickup-locations"],
                ["POST", "/applications"],
                ["POST", "/applications/*/payment"],
                ["POST", "/applications/*/status"],
              ] as const
            ).map(([method, path]) => ({
              subject: config.portalClient,
              service: config.eResidency!.applicationsService,
              method,
              paths: [path],
            }))
          : []),
        // The person's state inbox (issue #13): their messages, one message, marking it read.
        ...(config.inbox
          ? [
              {
                subject: config.portalClient,
                service: config.inbox.mailboxService,
                method: "GET",
                paths: ["/persons/*/messages", "/persons/*/messages/*", "/persons/*/forwarding"],
              },
              {
                subject: config.portalClient,
                service: config.inbox.mailboxService,
                method: "POST",
                paths: ["/persons/*/messages/*/read"],
              },
              {
                subject: config.portalClient,
                service: config.inbox.mailboxService,
                method: "PUT",
                paths: ["/persons/*/forwarding"],
              },
              // An encrypted document sent to another person's inbox, from the person logged in (issue #20).
              {
                subject: config.portalClient,
                service: config.inbox.messagesService,
                method: "POST",
                paths: ["/messages"],
              },
            ]
          : []),
        // The parent's family benefits (issue #13): offers, the confirmation, the payments.
        ...(config.benefits
          ? [
              {
                subject: config.portalClient,
                service: config.benefits.familyBenefitsService,
                method: "GET",
                paths: ["/persons/*/offers", "/persons/*/payments"],
              },
              {
                subject: config.portalClient,
                service: config.benefits.familyBenefitsService,
                method: "POST",
                paths: ["/offers/*/confirmation"],
              },
            ]
          : []),
        // The person's pre-filled income tax return (issue #13): read, a line corrected, confirmed.
        ...(config.taxReturn
          ? (
              [
                ["GET", "/returns/*/*"],
                ["PUT", "/returns/*/*/lines/*"],
                ["POST", "/returns/*/*/confirmation"],
              ] as const
            ).map(([method, path]) => ({
              subject: config.portalClient,
              service: config.taxReturn!.returnsService,
              method,
              paths: [path],
            }))
          : []),
        // "My property" (issue #15): the register parts, vehicles and driving licence of the person.
        ...(config.property
          ? [
              [config.property.registerPartsService, "/persons/*/register-parts"],
              [config.property.vehiclesService, "/persons/*/vehicles"],
              [config.property.licencesService, "/persons/*/licence"],
            ].map(([service, path]) => ({
              subject: config.portalClient,
              service: service!,
              method: "GET",
              paths: [path!],
            }))
          : []),
        // "My health" (issue #16): the patient's own record, closures and declarations (Consent),
        // representatives (RelatedPerson), insurance.
        ...(config.health
          ? [
              { subject: config.portalClient, service: config.health.fhirService, method: "GET", paths: ["**"] },
              {
                subject: config.portalClient,
                service: config.health.fhirService,
                method: "POST",
                paths: ["/Consent", "/RelatedPerson"],
              },
              {
                subject: config.portalClient,
                service: config.health.fhirService,
                method: "PUT",
                paths: ["/Consent/*", "/RelatedPerson/*"],
              },
              {
                subject: config.portalClient,
                service: config.health.insuranceService,
                method: "GET",
                paths: ["/persons/*/insurance"],
              },
            ]
          : []),
      ],
      readsDataTracker: { reader: config.dataTrackerClient, providers: config.dataTrackerProviders },
    };
  },
};

/** The e-Business Register's endpoints the portal calls, each right on its own service. */
function businessRights(subject: string, config: BusinessRegisterConfig) {
  const right = (service: string, method: string, paths: string[]) => ({ subject, service, method, paths });
  return [
    right(config.applicationsService, "GET", ["/persons/*/companies", "/persons/*/applications", "/applications/*"]),
    right(config.applicationsService, "POST", [
      "/applications",
      "/applications/*/signatures",
      "/applications/*/registration",
    ]),
    right(config.companiesService, "GET", ["/companies/*", "/name-check"]),
    right(config.companyPersonsService, "GET", ["/companies/*/persons"]),
  ];
}
