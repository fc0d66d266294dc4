// The vehicle register's REST API on the kit's member service: vehicles by VIN or plate, a
// person's vehicles, licences, and the roadside check the police ask over X-Road (the ID card
// is the licence). Every personal answer names its subjects for the Data Tracker.
import {
  createMemberService,
  declareDataSubjects,
  describedOpenApi,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import { VEHICLE_ERRORS, VehicleError } from "../errors.ts";
import type { VehicleRegister } from "../storage/register.ts";
import {
  DRIVING_RIGHT,
  DRIVING_RIGHT_QUERY,
  LICENCE,
  LICENCE_BODY,
  NEW_TRANSFER,
  NEW_VEHICLE,
  PERSON_PARAMS,
  TRANSFER,
  TRANSFER_PARAMS,
  TRANSFER_SIGNATURE,
  VEHICLE,
  VEHICLE_PARAMS,
  VEHICLES,
} from "./schemas.ts";

const PERSON_REFUSED = "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)";
const codeOf = (param: string) => param.replace(/^EE/, "");

/** The person acting in the portal (X-Road-UserId EE + personal code), if any. */
function personActing(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^EE[0-9]{11}$/.test(value) ? value.slice(2) : undefined;
}

export function createVehicleRegisterService(register: VehicleRegister): MemberService {
  return createMemberService({
    name: "vehicle-register",
    title: "riik vehicle register",
    version: "1.0.0",
    description:
      "The Transport Administration's vehicle register and driving licences: vehicles by VIN or plate with owner and responsible user, licences with categories, and the roadside check by personal code.",
    errors: VEHICLE_ERRORS,
    // A transfer container with two B-LT signatures is some tens of KB; base64 adds a third.
    bodyLimit: 3 * 1024 * 1024,
    routes(app) {
      app.post(
        "/vehicles",
        {
          schema: {
            operationId: "registerVehicle",
            summary: "First registration of a vehicle",
            querystring: NO_QUERY,
            body: NEW_VEHICLE,
            response: {
              201: personalAnswer(VEHICLE, "The vehicle"),
              ...errorAnswers({
                400: "REQUEST_INVALID, VIN_INVALID, PLATE_INVALID, VEHICLE_INVALID, PERSONAL_CODE_INVALID",
                409: "VEHICLE_EXISTS, PLATE_TAKEN",
              }),
            },
          },
        },
        async (request, reply) => {
          const vehicle = await register.registerVehicle(request.body);
          declareDataSubjects(reply, [vehicle.owner, vehicle.user]);
          return reply.status(201).send(vehicle);
        },
      );
      app.get(
        "/vehicles/:key",
        {
          schema: {
            operationId: "getVehicle",
            summary: "A vehicle by VIN or registration plate",
            params: VEHICLE_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(VEHICLE, "The vehicle with its owner and responsible user"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "VEHICLE_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const vehicle = await register.vehicle(request.params.key);
          declareDataSubjects(reply, [vehicle.owner, vehicle.user]);
          return vehicle;
        },
      );
      app.get(
        "/persons/:code/vehicles",
        {
          schema: {
            operationId: "getPersonVehicles",
            summary: "The vehicles a person owns or is the responsible user of",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(VEHICLES, "The vehicles (an empty list when none)"),
              ...errorAnswers({ 400: PERSON_REFUSED }),
            },
          },
        },
        async (request, reply) => {
          const code = codeOf(request.params.code);
          const vehicles = await register.vehiclesOf(code);
          declareDataSubjects(reply, [code, ...vehicles.flatMap((v) => [v.owner, v.user])]);
          return { personalCode: code, vehicles };
        },
      );
      app.get(
        "/persons/:code/licence",
        {
          schema: {
            operationId: "getLicence",
            summary: "A person's driving licence: number, categories with validity, suspension",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(LICENCE, "The licence"),
              ...errorAnswers({ 400: PERSON_REFUSED, 404: "LICENCE_NOT_FOUND" }),
            },
          },
        },
        async (request, reply) => {
          const licence = await register.licence(codeOf(request.params.code));
          declareDataSubjects(reply, [licence.personalCode]);
          return licence;
        },
      );
      app.put(
        "/persons/:code/licence",
        {
          schema: {
            operationId: "issueLicence",
            summary: "Issue or renew a driving licence (its categories replace the held ones)",
            params: PERSON_PARAMS,
            querystring: NO_QUERY,
            body: LICENCE_BODY,
            response: {
              200: personalAnswer(LICENCE, "The licence"),
              ...errorAnswers({ 400: `${PERSON_REFUSED}, LICENCE_INVALID, LICENCE_CATEGORY_INVALID` }),
            },
          },
        },
        async (request, reply) => {
          const licence = await register.issueLicence(
            codeOf(request.params.code),
            request.body.number,
            request.body.categories,
          );
          declareDataSubjects(reply, [licence.personalCode]);
          return licence;
        },
      );
      app.get(
        "/persons/:code/driving-right",
        {
          schema: {
            operationId: "checkDrivingRight",
            summary: "The roadside check: may the person drive this licence category on this day (default today)",
            params: PERSON_PARAMS,
            querystring: DRIVING_RIGHT_QUERY,
            response: {
              200: personalAnswer(DRIVING_RIGHT, "Allowed or not, and why"),
              ...errorAnswers({ 400: `${PERSON_REFUSED}, LICENCE_CATEGORY_INVALID` }),
            },
          },
        },
        async (request, reply) => {
          const on = request.query.on ?? new Date().toISOString().slice(0, 10);
          const right = await register.drivingRight(codeOf(request.params.code), request.query.category, on);
          declareDataSubjects(reply, [right.personalCode]);
          return right;
        },
      );
      app.post(
        "/transfers",
        {
          schema: {
            operationId: "startOwnershipTransfer",
            summary: "The owner (X-Road-UserId) starts a transfer to a buyer; the answer holds the document both sign",
            querystring: NO_QUERY,
            body: NEW_TRANSFER,
            response: {
              201: personalAnswer(TRANSFER, "The transfer awaiting both signatures"),
              ...errorAnswers({
                400: "REQUEST_INVALID, PERSONAL_CODE_INVALID, TRANSFER_INVALID",
                403: "SELLER_NOT_OWNER (also when the person acting is not the seller)",
                404: "VEHICLE_NOT_FOUND",
              }),
            },
          },
        },
        async (request, reply) => {
          // The portal asks for the person logged in; the register does not take its word for the seller.
          if (personActing(request.headers["x-road-userid"]) !== request.body.seller)
            throw new VehicleError("SELLER_NOT_OWNER", "a transfer is started by the owner: X-Road-UserId EE + seller");
          const transfer = await register.startTransfer(request.body);
          declareDataSubjects(reply, [transfer.seller, transfer.buyer]);
          return reply.status(201).send(transfer);
        },
      );
      app.get(
        "/transfers/:id",
        {
          schema: {
            operationId: "getOwnershipTransfer",
            summary: "A transfer, to its seller or buyer (X-Road-UserId)",
            params: TRANSFER_PARAMS,
            querystring: NO_QUERY,
            response: {
              200: personalAnswer(TRANSFER, "The transfer"),
              ...errorAnswers({ 400: "REQUEST_INVALID", 404: "TRANSFER_NOT_FOUND (also to anyone but the parties)" }),
            },
          },
        },
        async (request, reply) => {
          const transfer = await register.transfer(request.params.id);
          const acting = personActing(request.headers["x-road-userid"]);
          if (acting !== transfer.seller && acting !== transfer.buyer)
            throw new VehicleError("TRANSFER_NOT_FOUND", `no transfer ${request.params.id}`);
          declareDataSubjects(reply, [transfer.seller, transfer.buyer]);
          return transfer;
        },
      );
      app.post(
        "/transfers/:id/signatures",
        {
          schema: {
            operationId: "signOwnershipTransfer",
            summary: "An ASiC-E container over the transfer's document signed by one or both parties",
            params: TRANSFER_PARAMS,
            querystring: NO_QUERY,
            body: TRANSFER_SIGNATURE,
            response: {
              200: personalAnswer(TRANSFER, "The transfer: completed once both have signed"),
              ...errorAnswers({
                400: "REQUEST_INVALID",
                403: "SIGNER_NOT_PARTY",
                404: "TRANSFER_NOT_FOUND",
                409: "TRANSFER_CLOSED",
                422: "SIGNATURE_INVALID (details.findings), SIGNED_OTHER_DOCUMENT",
              }),
            },
          },
        },
        async (request, reply) => {
          const transfer = await register.signTransfer(
            request.params.id,
            Buffer.from(request.body.container, "base64"),
          );
          declareDataSubjects(reply, [transfer.seller, transfer.buyer]);
          return transfer;
        },
      );
    },
  });
}

/** The OpenAPI 3.1 document without a running register (for the security server before it starts). */
export function vehicleRegisterOpenApi(): Promise<Record<string, unknown>> {
  return describedOpenApi(createVehicleRegisterService({} as VehicleRegister));
}
