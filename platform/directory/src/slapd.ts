import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { DirectoryError } from "./errors.ts";
import { BASE_DN, skeletonLdif } from "./tree.ts";

const run = promisify(execFile);

export const SLAPD = process.env.RIIK_SLAPD ?? "/usr/sbin/slapd";
export const SLAPADD = process.env.RIIK_SLAPADD ?? "/usr/sbin/slapadd";
const SETPRIV = "/usr/bin/setpriv";
const SCHEMA_DIR = "/etc/ldap/schema";
const MODULE_DIR = "/usr/lib/ldap";

/** The directory's own administrator: the only identity allowed to write. */
export const ROOT_DN = `cn=admin,${BASE_DN}`;

export interface SlapdOptions {
  dir: string;
  port: number;
  host?: string;
}

export interface Slapd {
  url: string;
  rootDn: string;
  rootPassword: string;
  /** The process id of slapd, the child of this process. */
  pid: number;
  stop(): Promise<void>;
}

/** RFC 2307 {SSHA}: SHA-1 of password and salt, then the salt, base64. */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash("sha1").update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString("base64")}`;
}

function rootSecret(dir: string): string {
  const file = join(dir, "root.secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(24).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * slapd.conf(5) with the mdb backend: anonymous users may read and search, only the
 * root DN writes (olcAccess: by anonymous read; writes need the rootdn, RFC 4513 5.1.1).
 */
function configuration(dir: string, password: string): string {
  return [
    `include ${SCHEMA_DIR}/core.schema`,
    `include ${SCHEMA_DIR}/cosine.schema`,
    `include ${SCHEMA_DIR}/inetorgperson.schema`,
    `modulepath ${MODULE_DIR}`,
    "moduleload back_mdb",
    "sizelimit 500",
    "",
    "database mdb",
    `suffix "${BASE_DN}"`,
    `rootdn "${ROOT_DN}"`,
    `rootpw ${ssha(password)}`,
    `directory ${join(dir, "data")}`,
    "maxsize 1073741824",
    "index serialNumber eq",
    "index objectClass eq",
    "access to attrs=userPassword by * none",
    "access to * by anonymous read by * read",
    "",
  ].join("\n");
}

/** Writes the private configuration under DIR (0700) and creates the tree when the database is new. */
export async function prepareSlapd(dir: string): Promise<{ config: string; password: string }> {
  if (!existsSync(SLAPD)) throw new DirectoryError("DIRECTORY_SLAPD", `slapd is not installed at ${SLAPD}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  const fresh = !existsSync(join(data, "data.mdb"));
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const password = rootSecret(dir);
  const config = join(dir, "slapd.conf");
  writeFileSync(config, configuration(dir, password), { mode: 0o600 });
  chmodSync(config, 0o600);
  try {
    await run(SLAPD, ["-Tt", "-u", "-f", config]);
    if (fresh) {
      const ldif = join(dir, "skeleton.ldif");
      writeFileSync(ldif, skeletonLdif(), { mode: 0o600 });
      await run(SLAPADD, ["-f", config, "-l", ldif]);
    }
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? "";
    throw new DirectoryError("DIRECTORY_SLAPD", `slapd refused its configuration: ${stderr.trim().slice(-400)}`, {
      cause,
    });
  }
  return { config, password };
}

function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/**
 * Starts slapd as a child process in the foreground (`-d 0`: no fork, so it stays our
 * child), listening only on ldap://HOST:PORT, and stops it when we stop or die.
 */
export async function startSlapd(options: SlapdOptions): Promise<Slapd> {
  const host = options.host ?? "127.0.0.1";
  const { config, password } = await prepareSlapd(options.dir);
  const url = `ldap://${host}:${options.port}`;
  const slapdArgs = [SLAPD, "-d", "0", "-f", config, "-h", `${url}/`];
  // setpriv(1) --pdeathsig: the kernel sends slapd SIGTERM if we die, even by SIGKILL (prctl PR_SET_PDEATHSIG).
  const [command, ...args] = existsSync(SETPRIV) ? [SETPRIV, "--pdeathsig", "TERM", ...slapdArgs] : slapdArgs;
  const child: ChildProcess = spawn(command!, args, {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const killOnExit = () => child.kill("SIGTERM");
  process.once("exit", killOnExit);
  for (let attempt = 0; attempt < 100 && !exited; attempt++) {
    if (await listening(host, options.port)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited || !(await listening(host, options.port))) {
    child.kill("SIGKILL");
    throw new DirectoryError("DIRECTORY_SLAPD", `slapd did not start on ${url}: ${stderr.trim().slice(-400)}`);
  }
  return {
    url,
    rootDn: ROOT_DN,
    rootPassword: password,
    pid: child.pid ?? 0,
    async stop() {
      process.off("exit", killOnExit);
      if (!exited) {
        child.kill("SIGTERM");
        await exit;
      }
    },
  };
}
