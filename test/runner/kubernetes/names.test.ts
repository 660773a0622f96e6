/** Fitting any text into Kubernetes' names: kept when it fits, else cleaned, cut and hashed. */
import { dnsLabelFor, isDnsSubdomain, isLabelKey, labelValueFor } from '../../../activities/runners/kubernetes/names';

describe('names', () => {
  test.each([
    ['a label value that fits is kept', labelValueFor('Train_Model.v2'), 'Train_Model.v2'],
    ['a DNS label that fits is kept', dnsLabelFor('shared-data'), 'shared-data'],
  ])('%s', (_, actual, expected) => expect(actual).toBe(expected));

  test.each([
    ['root/for-loop-2[17]/train', /^root-for-loop-2-17-train-[0-9a-f]{10}$/],
    ['x'.repeat(200), /^x{52}-[0-9a-f]{10}$/],
    ['///', /^[0-9a-f]{10}$/],
    ['-leading and trailing-', /^leading-and-trailing-[0-9a-f]{10}$/],
  ])('label value for %j', (text, pattern) => {
    const value = labelValueFor(text);
    expect(value).toMatch(pattern);
    expect(value.length).toBeLessThanOrEqual(63);
  });

  test('texts that clean up alike still get different names', () => {
    expect(labelValueFor('a/b')).not.toBe(labelValueFor('a:b'));
    expect(dnsLabelFor('Data')).not.toBe(dnsLabelFor('data'));
    expect(dnsLabelFor('my.secret')).toMatch(/^my-secret-[0-9a-f]{10}$/);
  });

  test.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['Team/x', false],
    [`${'a'.repeat(64)}`, false],
    ['/x', false],
    ['a b', false],
  ])('label key %j: %s', (key, valid) => expect(isLabelKey(key)).toBe(valid));

  test.each([
    ['tls.example.com', true],
    ['My-Secret', false],
    ['a..b', false],
    [`${'a'.repeat(254)}`, false],
  ])('object name %j: %s', (name, valid) => expect(isDnsSubdomain(name)).toBe(valid));
});
