// One table of result parsers, given to both PGlite and `pg`, so a row reads the same from either
// backend. It never changes `pg`'s global parsers: pg-boss's own pool keeps the defaults.
import pg from 'pg';

const OID = { int8: 20, json: 114, date: 1082, timestamp: 1114, timestamptz: 1184, jsonb: 3802 } as const;

/** A number while exact, else a bigint (as PGlite does by default). */
function parseInt8(text: string): number | bigint {
  const value = BigInt(text);
  return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
}

export const typeParsers: Record<number, (text: string) => unknown> = {
  [OID.int8]: parseInt8,
  [OID.json]: JSON.parse,
  [OID.jsonb]: JSON.parse,
  // Left as text: a calendar date parsed to a Date lands on a time zone's midnight.
  [OID.date]: (text) => text,
  [OID.timestamp]: pg.types.getTypeParser(OID.timestamp, 'text'),
  [OID.timestamptz]: pg.types.getTypeParser(OID.timestamptz, 'text'),
};

/** The same table in the form `pg`'s per-client `types` option takes. */
export const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    (format ?? 'text') === 'text' && typeParsers[oid] ? typeParsers[oid] : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};
