// `riik tax-board serve`: the Board as a running member — its API, and the worker that asks the
// population register about every person a declaration names (lines for a person it does not
// know are held unmatched and shown to the payer). Every read goes through the Board's own
// security server, outside any transaction.
import { listenOrRelease, type MemberService, XRoadRestClient } from "@riik/kit";
import { createTaxBoardService } from "./api/server.ts";
import { TaxBoardError } from "./errors.ts";
import { type PopulationSource, XRoadPopulationSource } from "./population/population-source.ts";
import { openTaxBoard, type TaxBoard } from "./storage/board.ts";

export interface TaxBoardExchange {
  securityServer: string;
  client: string;
  personsService: string;
  officialCode: string;
}

export interface TaxBoardServerOptions {
  dataDir: string;
  url?: string;
  port: number;
  host?: string;
  exchange?: TaxBoardExchange;
  /** How often the worker looks for persons to check; default 1000 ms. */
  intervalMs?: number;
}

export interface TaxBoardServer {
  url: string;
  service: MemberService;
  board: TaxBoard;
  /** Checks every pending person now (tests and the first start). */
  runOnce(): Promise<void>;
  close(): Promise<void>;
}

/** Without the exchange layer the Board cannot read the register: returns answer REGISTER_UNAVAILABLE. */
const NO_REGISTER: PopulationSource = {
  resident: () => Promise.reject(new TaxBoardError("REGISTER_UNAVAILABLE", "the Board is served without X-Road")),
  exists: () => Promise.reject(new TaxBoardError("REGISTER_UNAVAILABLE", "the Board is served without X-Road")),
};

/** Each pending person once: found, or unknown (their lines then count for no return). */
export async function checkPersons(board: TaxBoard, population: PopulationSource, batch = 100): Promise<number> {
  let checked = 0;
  for (;;) {
    const pending = await board.pendingPersons(batch);
    for (const code of pending) await board.recordPersonCheck(code, await population.exists(code));
    checked += pending.length;
    if (pending.length < batch) return checked;
  }
}

export async function startTaxBoard(options: TaxBoardServerOptions): Promise<TaxBoardServer> {
  const board = await openTaxBoard({ dataDir: options.dataDir, ...(options.url ? { url: options.url } : {}) });
  const exchange = options.exchange;
  const xroad = exchange
    ? new XRoadRestClient({ securityServer: exchange.securityServer, client: exchange.client })
    : undefined;
  const population =
    xroad && exchange ? new XRoadPopulationSource(xroad, exchange.personsService, exchange.officialCode) : NO_REGISTER;
  const service = createTaxBoardService(board, { population });
  const url = await listenOrRelease(service, options, async () => {
    await board.close();
    await xroad?.close();
  });
  const log = service.logger;
  const check = async () => {
    if (!xroad) return;
    const checked = await checkPersons(board, population);
    if (checked > 0) log.info({ checked }, "declared persons checked against the population register");
  };
  let running = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(check).catch((error) => log.warn({ err: error }, "checking persons failed; tried again"));
  }, options.intervalMs ?? 1000);
  timer.unref();
  log.info({ url }, "Tax and Customs Board listening");
  return {
    url,
    service,
    board,
    runOnce: check,
    close: async () => {
      clearInterval(timer);
      await running;
      await service.close();
      await board.close();
      await xroad?.close();
    },
  };
}
