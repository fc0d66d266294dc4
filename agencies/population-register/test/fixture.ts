import { type DialectTarget, temporaryDirectory } from "@riik/core/testing";

/** A register of its own for each suite: its own SQLite directory, or its own PostgreSQL schema. */
export function freshLocation(target: DialectTarget, name: string) {
  const location = target.location(name);
  return target.dialect === "sqlite" ? { ...location, dataDir: temporaryDirectory() } : location;
}
