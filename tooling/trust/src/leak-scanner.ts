import { randomInt } from 'node:crypto';

/**
 * The secret-leak scan's search (issue 13, suite 2): canary secrets, and every trace of them that
 * redaction (decision 0019) promises to remove: the whole key in any case, any run of 8 or more of
 * its letters and digits (separators between them skipped), and its base64 encoding at each byte
 * alignment. Hits name the place and the canary's label, never the secret.
 */

/** Letters that are neither hex digits nor common in ids, so a canary's runs never occur by chance in hashes. */
const ALPHABET = 'ghjkmnpqrstvwxyzGHJKMNPQRSTVWXYZ';

/** A fake secret planted in the scenario: `sk-test-fake-canary-` and 24 random letters (44 characters, like a real key). */
export interface Canary {
  /** What it is, for a hit's report ("key C, edited in"): never the value. */
  label: string;
  value: string;
}

/** Makes an obviously fake, unique canary secret. */
export function makeCanary(label: string): Canary {
  let random = '';
  for (let index = 0; index < 24; index++) random += ALPHABET[randomInt(ALPHABET.length)];
  return { label, value: `sk-test-fake-canary-${random}` };
}

/** Letters and digits only, lower case: how a run is compared (decision 0019). Bytes are read as latin1, one char each. */
export function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Run length of the secret itself (decision 0019's threshold). */
const RUN = 8;
/** Run length of a base64 trace: 10 base64 characters carry 7.5 bytes of the secret, and never match by chance. */
const BASE64_RUN = 10;

/** Where a canary was found: the place, the canary's label, the kind of trace; never the secret. */
export interface LeakHit {
  place: string;
  canary: string;
  kind: 'whole' | 'run of 8+' | 'base64';
  /** Offset in the place's letters and digits (normalised), to find it again. */
  offset: number;
}

interface Needle {
  canary: string;
  kind: LeakHit['kind'];
}

/** The canaries' traces, looked up in every place added; counts places and bytes searched. */
export class LeakScanner {
  readonly #runs = new Map<string, Needle>();
  readonly #base64 = new Map<string, Needle>();
  readonly #wholes: { text: string; canary: string }[] = [];
  readonly #places = new Set<string>();
  #bytes = 0;
  readonly hits: LeakHit[] = [];

  constructor(readonly canaries: readonly Canary[]) {
    for (const { label, value } of canaries) {
      const bare = normalise(value);
      this.#wholes.push({ text: bare, canary: label });
      for (let index = 0; index + RUN <= bare.length; index++) {
        this.#runs.set(bare.slice(index, index + RUN), { canary: label, kind: 'run of 8+' });
      }
      for (let shift = 0; shift < 3; shift++) {
        // The characters that do not depend on the bytes around the secret: drop the last block.
        const encoded = Buffer.from(value.slice(shift)).toString('base64');
        const stable = normalise(encoded.slice(0, Math.floor((value.length - shift) / 3) * 4));
        for (let index = 0; index + BASE64_RUN <= stable.length; index++) {
          this.#base64.set(stable.slice(index, index + BASE64_RUN), { canary: label, kind: 'base64' });
        }
      }
    }
  }

  /** Searches `content` (bytes or text) as the place `place`; returns the hits found there. */
  search(place: string, content: string | Uint8Array): LeakHit[] {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    this.#places.add(place.replace(/ #\d+$/, ''));
    this.#bytes += bytes.length;
    const text = normalise(bytes.toString('latin1'));
    const found: LeakHit[] = [];
    const seen = new Set<string>();
    const hit = (needle: Needle, offset: number) => {
      if (seen.has(needle.canary)) return;
      seen.add(needle.canary);
      found.push({ place, canary: needle.canary, kind: needle.kind, offset });
    };
    for (const whole of this.#wholes) {
      const offset = text.indexOf(whole.text);
      if (offset >= 0) hit({ canary: whole.canary, kind: 'whole' }, offset);
    }
    for (let index = 0; index + RUN <= text.length; index++) {
      const run = this.#runs.get(text.slice(index, index + RUN));
      if (run) hit(run, index);
      const encoded = this.#base64.get(text.slice(index, index + BASE64_RUN));
      if (encoded) hit(encoded, index);
    }
    this.hits.push(...found);
    return found;
  }

  /** Distinct places searched (numbered captures of one kind count once). */
  get places(): number {
    return this.#places.size;
  }

  /** Bytes searched in all. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The hits as lines for a failure message: where, which canary, what kind; never a secret. */
  report(): string {
    return this.hits
      .map((hit) => `${hit.place}: ${hit.canary} (${hit.kind}) at letter ${hit.offset}`)
      .join('\n');
  }
}
