import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StoreCorruptError, StoreVersionError } from '../../errors/index.js';
import { ARBOR_APPLICATION_ID, LATEST_SCHEMA_VERSION } from './migrations.js';

const MAGIC = 'SQLite format 3\0';

export interface HeaderFacts {
  exists: boolean;
  userVersion: number;
  applicationId: number;
}

/**
 * Reads the 100-byte SQLite header without opening the database, so a damaged or foreign file is refused
 * before SQLite (or a migration) could write a single byte to it.
 */
export function inspectHeader(path: string): HeaderFacts {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return { exists: false, userVersion: 0, applicationId: 0 };
  }
  if (size === 0) return { exists: false, userVersion: 0, applicationId: 0 };
  const header = Buffer.alloc(100);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (read < 100 || header.toString('latin1', 0, 16) !== MAGIC) {
    throw new StoreCorruptError(path, 'the file is not a SQLite database (bad header)');
  }
  const facts = { exists: true, userVersion: header.readUInt32BE(60), applicationId: header.readUInt32BE(68) };
  checkIdentity(path, facts.userVersion, facts.applicationId);
  return facts;
}

/** Refuses a database of another application or of a schema newer than this build knows. */
export function checkIdentity(path: string, userVersion: number, applicationId: number): void {
  if (applicationId !== 0 && applicationId !== ARBOR_APPLICATION_ID) {
    throw new StoreCorruptError(path, `it belongs to another application (application_id 0x${applicationId.toString(16)})`);
  }
  if (userVersion > LATEST_SCHEMA_VERSION) {
    throw new StoreVersionError(path, userVersion, LATEST_SCHEMA_VERSION);
  }
}
