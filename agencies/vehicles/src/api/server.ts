// The vehicle register's REST API on the kit's member service: vehicles by VIN or plate, a
// person's vehicles, licences, and the roadside check the police ask over X-Road (the ID card
// is the licence). Every personal answer names its subjects for the Data Tracker.
import {
  createMemberService,
  declareDataSubjects,
  errorAnswers,
  type MemberService,
  NO_QUERY,
  personalAnswer,
} from "@riik/kit";
import { VEHICLE_ERRORS } from "../errors.ts";
import type { VehicleRegister } from "../storage/register.ts";
import {
  DRIVING_RIGHT,
  DRIVING_RIGHT_QUERY,
  LICENCE,
  LICENCE_BODY,
  NEW_VEHICLE,
  PERSON_PARAMS,
  VEHICLE,
  VEHICLE_PARAMS,
  VEHICLES,
} from "./schemas.ts";

const PERSON_REFUSED = "REQUEST_INVALID, or PERSONAL_CODE_INVALID (date or check digit)";
const codeOf = (param: string) => param.replace(/^EE/, "");

export function createVehicleRegisterService(register: VehicleRegister): MemberService {
  return createMemberService({
    name: "vehicle-register",
    title: "riik vehicle register",
    version: "1.0.0",
    description:
      "The Transport Administration's vehicle register and driving licences: vehicles by VIN or plate with owner and responsible user, licences with categories, and the roadside check by personal code.",
    errors: VEHICLE_ERRORS,
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
    },
  });
}
