import { describe, expect, it } from 'vitest';
import { maskSecret } from './mask.ts';

describe('maskSecret', () => {
  it('keeps the first 3 and last 4 characters of a long secret, hiding its length', () => {
    expect(maskSecret('sk-test-openai-0001')).toBe('sk-************0001');
    expect(maskSecret('sk-test-a-much-longer-fake-key-0002')).toBe('sk-************0002');
  });

  it('shows only stars for 12 characters or fewer', () => {
    expect(maskSecret('short-secret')).toBe('************');
    expect(maskSecret('abc')).toBe('************');
  });
});
