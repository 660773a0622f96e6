import { rfc3339 } from '../../api/converters/common';

describe('rfc3339', () => {
  it('writes what toISOString writes, across millisecond widths, months and leap days', () => {
    const samples = [
      Date.UTC(2026, 0, 1, 0, 0, 0, 0),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2024, 1, 29, 7, 5, 3, 7),
      Date.UTC(2024, 1, 29, 7, 5, 3, 70),
      Date.UTC(1000, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ];
    // Plus a deterministic spread over ~300 years at an odd stride, so every field takes many values.
    for (let t = Date.UTC(1900, 0, 1); t < Date.UTC(2200, 0, 1); t += 7_777_777_777) samples.push(t);
    for (const t of samples) expect(rfc3339(new Date(t))).toBe(new Date(t).toISOString());
  });

  it("keeps toISOString's form for years outside four digits, and its error for an invalid date", () => {
    expect(rfc3339(new Date(Date.UTC(10000, 0, 1)))).toBe('+010000-01-01T00:00:00.000Z');
    expect(rfc3339(new Date(Date.UTC(-1, 0, 1)))).toBe('-000001-01-01T00:00:00.000Z');
    expect(() => rfc3339(new Date(Number.NaN))).toThrow(RangeError);
  });
});
