import { describe, expect, it } from 'vitest';
import { SseTap } from './passthrough.ts';

describe('SseTap', () => {
  it('joins a character split across chunks within its own stream, whatever other taps read between', () => {
    const seen: string[] = [];
    const first = new SseTap(() => true, (json) => seen.push(`first ${json}`));
    const second = new SseTap(() => true, (json) => seen.push(`second ${json}`));
    const event = Buffer.from('data: {"text":"héllo"}\n\n');
    const split = event.indexOf(0xc3) + 1; // inside the two bytes of "é"
    first.see(event.subarray(0, split));
    second.see(Buffer.from('data: {"text":"plain"}\n\n'));
    first.see(event.subarray(split));
    expect(seen).toEqual(['second {"text":"plain"}', 'first {"text":"héllo"}']);
  });
});
