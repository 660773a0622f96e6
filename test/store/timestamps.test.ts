import { Client, types } from 'pg';
import { parseTimestamptz, STORE_TYPES } from '../../store/pg-timestamps';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

const pgParser = types.getTypeParser(types.builtins.TIMESTAMPTZ, 'text') as (text: string) => Date;

describe('parseTimestamptz', () => {
  test.each([
    ['2026-12-03 12:00:00+00', Date.UTC(2026, 11, 3, 12)],
    ['2026-12-03 12:00:00.5+05:30', Date.UTC(2026, 11, 3, 6, 30, 0, 500)],
    ['2026-12-03 12:00:00.123456-03', Date.UTC(2026, 11, 3, 15, 0, 0, 123)],
    ['1999-01-08 04:05:06.789+02:30:15', Date.UTC(1999, 0, 8, 1, 34, 51, 789)],
    ['2024-02-29 23:59:59.999999+00', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    // pg's parser reads this as .569 (1000 * 0.57 in floating point); the digits say .570.
    ['2026-12-03 12:00:00.57+00', Date.UTC(2026, 11, 3, 12, 0, 0, 570)],
  ])('%s', (text, expected) => {
    expect(parseTimestamptz(text).getTime()).toBe(expected);
  });

  test("hands what it does not read to pg's parser: early and late years, BC, infinity", () => {
    for (const text of ['0099-01-01 00:00:00+00', '0999-06-01 10:00:00.25+01', '12345-01-01 00:00:00+00', '2000-01-01 00:00:00+00 BC', 'infinity', '-infinity']) {
      expect(parseTimestamptz(text)).toEqual(pgParser(text));
    }
  });
});

describe('timestamps read through the store types, from PostgreSQL', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase('store_timestamps');
    client = new Client({ connectionString: db.url, types: STORE_TYPES });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  test.each(['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Europe/Amsterdam'])('are the same instants in session time zone %s', async (zone) => {
    await client.query(`SET TimeZone = '${zone}'`);
    const { rows } = await client.query<{ at: Date; text: string }>(
      `SELECT t AS at, to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS text
       FROM unnest($1::timestamptz[]) AS t`,
      [['2026-12-03T12:00:00.570Z', '2026-03-29T01:30:00.001Z', '1970-01-01T00:00:00Z', '2038-01-19T03:14:07.999Z', '1901-12-13T20:45:52.123Z']],
    );
    for (const r of rows) expect(r.at.toISOString()).toBe(r.text);
  });
});
