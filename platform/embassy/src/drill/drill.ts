import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStorage, type RegistryDefinition } from "@riik/core";
import { readMasterKeyFile } from "../crypto/master-key.ts";
import { EmbassyError } from "../errors.ts";
import { readShipperConfig } from "../home/config.ts";
import { EmbassyClient } from "../home/embassy-client.ts";
import { resolveRegistry } from "../registry/registry.ts";
import { type RestoreReport, restoreRegistry } from "../restore/restore.ts";

/** An HTTP probe run before destruction and after restore; the answers must be equal. */
export interface DrillCheck {
  name: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
}

/** Stops and starts the registry's process: riik up's supervisor, through its control API. */
interface RegistryControl {
  stop(registry: string): Promise<void>;
  start(registry: string): Promise<void>;
}

export interface DrillOptions {
  dataDir: string;
  registry: string;
  /** The registries the runner knows by name (the CLI: the population register's); else the config's module. */
  registries: readonly RegistryDefinition[];
  log?: (line: string) => void;
}

export interface DrillReport {
  ok: boolean;
  registry: string;
  /** Last journal seq at home when its data was destroyed. */
  homeSeq: number;
  /** The most any embassy held; restore came from that embassy. */
  embassySeq: number;
  embassy: string;
  /** Recovery point: changes acknowledged at home that no embassy held. */
  recoveryPointChanges: number;
  /** Recovery time: from destruction to the registry answering again, checks passed. */
  recoveryTimeMs: number;
  restore: RestoreReport;
  /** The ledger key every restored segment was checked against, and the configuration naming it. */
  trustAnchor: { ledgerKey: string; config: string };
  checks: Array<{ name: string; ok: boolean; before: string; after: string }>;
}

interface StateFile {
  services: Record<string, Record<string, string>>;
  control?: string;
  drill?: { checks?: DrillCheck[] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probe(check: DrillCheck): Promise<string> {
  try {
    const reply = await fetch(check.url, {
      method: check.method ?? "GET",
      ...(check.headers ? { headers: check.headers } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    let body = await reply.text();
    try {
      // Answers differ in their message ids and times; compare the data.
      const parsed = JSON.parse(body);
      body = JSON.stringify(parsed, (k, v) => (/^(id|requestId|time|at|timestamp|date)$/i.test(k) ? undefined : v));
    } catch {
      // not JSON
    }
    return `${reply.status} ${body}`;
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}

async function waitHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      // not yet
    }
    await sleep(100);
  }
  throw new EmbassyError("DRILL_FAILED", `${url} did not become healthy within ${timeoutMs} ms`);
}

/** The supervisor's control API that `riik up` serves (README "Drill"). */
function httpControl(base: string): RegistryControl {
  const call = async (registry: string, action: "stop" | "start") => {
    const reply = await fetch(`${base.replace(/\/+$/, "")}/v1/services/${registry}/${action}`, { method: "POST" });
    if (!reply.ok)
      throw new EmbassyError(
        "DRILL_FAILED",
        `the supervisor refused to ${action} ${registry}: ${reply.status} ${await reply.text()}`,
      );
  };
  return { stop: (r) => call(r, "stop"), start: (r) => call(r, "start") };
}

/**
 * The digital continuity drill on a running state: stop a registry, destroy its home
 * data, restore it from the freshest embassy, start it again and check that what worked
 * before (the state's probes: X-Road queries, Data Tracker, registry API) answers the same.
 */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const log = options.log ?? (() => undefined);
  const statePath = join(options.dataDir, "state.json");
  if (!existsSync(statePath))
    throw new EmbassyError("DRILL_FAILED", `${statePath} not found: start the state with riik up --data DIR`);
  const state = JSON.parse(readFileSync(statePath, "utf8")) as StateFile;
  const registryService = state.services[options.registry];
  const embassyService = state.services.embassy;
  if (!registryService?.url)
    throw new EmbassyError("DRILL_FAILED", `state.json has no services["${options.registry}"].url`);
  if (!embassyService?.config)
    throw new EmbassyError("DRILL_FAILED", "state.json has no services.embassy.config (the shipper configuration)");
  if (!state.control)
    throw new EmbassyError("DRILL_FAILED", "state.json has no control URL to stop and start the registry");
  const control = httpControl(state.control);
  const config = readShipperConfig(embassyService.config);
  log(`drill: trust anchor: the ledger key ${config.ledgerKey.name} named in ${config.path}`);
  const entry = config.registries.find((r) => r.name === options.registry);
  if (!entry) throw new EmbassyError("DRILL_FAILED", `the shipper does not replicate ${options.registry}`);
  if (entry.databaseUrl)
    throw new EmbassyError("DRILL_FAILED", "the drill destroys and restores SQLite registries only");
  const definition = await resolveRegistry(entry.name, options.registries, entry.module);
  const checks: DrillCheck[] = [
    { name: `${options.registry} health`, url: `${registryService.url}/healthz` },
    ...(state.drill?.checks ?? []),
  ];
  if (state.services.ledger?.url)
    // The restore verified every segment's ledger signature offline; this checks the ledger still serves.
    checks.push({ name: "ledger health", url: `${state.services.ledger.url}/healthz` });

  log(`drill: probing ${checks.length} checks before`);
  const before = await Promise.all(checks.map(probe));
  log(`drill: stopping ${options.registry}`);
  await control.stop(options.registry);
  const journal = await openStorage<any>({
    component: definition.component,
    dataDir: entry.dataDir,
    url: "",
    migrations: definition.migrations,
  });
  const head = await journal.db
    .selectFrom("change_journal")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .executeTakeFirst();
  await journal.close();
  const homeSeq = Number(head?.seq ?? 0);
  let best = { name: "", url: "", seq: -1 };
  for (const e of config.embassies) {
    const client = new EmbassyClient(e.url, config.tls);
    try {
      const h = await client.head(options.registry);
      if (h && h.lastSeq > best.seq) best = { name: e.name, url: e.url, seq: h.lastSeq };
    } catch (error) {
      log(`drill: embassy ${e.name} unreachable: ${(error as Error).message}`);
    } finally {
      await client.close();
    }
  }
  if (best.seq < 0) throw new EmbassyError("DRILL_FAILED", `no embassy holds ${options.registry}`);

  log(
    `drill: destroying ${definition.component} in ${entry.dataDir} (home seq ${homeSeq}, embassy ${best.name} holds ${best.seq})`,
  );
  const destroyedAt = performance.now();
  for (const suffix of ["", "-wal", "-shm"])
    rmSync(join(entry.dataDir, `${definition.component}.sqlite${suffix}`), { force: true });
  const client = new EmbassyClient(best.url, config.tls);
  let restore: RestoreReport;
  try {
    restore = await restoreRegistry({
      definition,
      source: client,
      masterKeys: [readMasterKeyFile(config.masterKeyFile)],
      ledgerKey: config.ledgerKey,
      to: entry.dataDir,
    });
  } finally {
    await client.close();
  }
  const recoveryPointChanges = Math.max(0, homeSeq - restore.lastSeq);
  log(
    `drill: recovery point ${recoveryPointChanges} changes (home seq ${homeSeq}, restored up to seq ${restore.lastSeq} from ${best.name} in ${restore.durationMs} ms); starting ${options.registry}`,
  );
  await control.start(options.registry);
  await waitHealthy(registryService.url, 60_000);
  const after = await Promise.all(checks.map(probe));
  const recoveryTimeMs = Math.round(performance.now() - destroyedAt);
  const results = checks.map((c, i) => ({
    name: c.name,
    ok: before[i] === after[i],
    before: before[i]!,
    after: after[i]!,
  }));
  return {
    ok: results.every((r) => r.ok),
    registry: options.registry,
    homeSeq,
    embassySeq: best.seq,
    embassy: best.name,
    recoveryPointChanges,
    recoveryTimeMs,
    restore,
    trustAnchor: { ledgerKey: config.ledgerKey.name, config: config.path },
    checks: results,
  };
}
