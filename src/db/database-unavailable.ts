// The error a query meets while the PostgreSQL server cannot be reached (stopped, restarting,
// refusing connections), as a type the error handler answers 503. It never hides an SQL error.
import { DomainError } from '../domain/errors.js';

export class DatabaseUnavailable extends DomainError {
  override readonly name = 'DatabaseUnavailable';
  readonly kind = 'unavailable';
  readonly title = 'Database unavailable';
  constructor(cause: unknown) {
    super(`the database cannot be reached: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** SQLSTATEs of a server going away: admin/crash shutdown, starting up, too many connections. */
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const POOL_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

export function isConnectionFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || SERVER_GONE_CODES.has(code) || code.startsWith('08'))) return true;
  return POOL_MESSAGES.test(error.message);
}

/** Rethrows a connection failure as DatabaseUnavailable, anything else as it is. */
export function asUnavailable(error: unknown): never {
  throw isConnectionFailure(error) ? new DatabaseUnavailable(error) : error;
}
