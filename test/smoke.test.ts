import { Client } from 'pg';
test('stack up', async () => {
  const c = new Client({ connectionString: process.env.SLUICE_TEST_DATABASE_ADMIN_URL });
  await c.connect();
  const r = await c.query('select 1 as x');
  expect(r.rows[0].x).toBe(1);
  await c.end();
  expect(process.env.SLUICE_TEST_TEMPORAL_ADDRESS).toMatch(/127.0.0.1:\d+/);
});
