import type { CredentialValues, FormField } from '@switchboard/provider-spec';

/** Values of the `secret` fields of the given forms: what must never appear in a message. */
export function secretValues(forms: FormField[][], credentials: CredentialValues): string[] {
  const secrets: string[] = [];
  for (const form of forms) {
    for (const field of form) {
      const value = credentials[field.id];
      if (field.type === 'secret' && typeof value === 'string' && value.length > 0) secrets.push(value);
    }
  }
  return secrets;
}

/** Shortest run of a secret's letters and digits that counts as a trace of it. */
const OVERLAP = 8;
const REDACTED = '[redacted]';

/** Letters and digits, lower-cased: what survives upper-casing and separators put between characters. */
const bare = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * The forms of a secret an upstream may echo, as bare text: the secret itself, and its base64
 * encoding at each of the three byte alignments it can sit at inside a longer encoded value
 * (`Basic base64(user:key)`), without the characters it shares with its neighbours there. Bare
 * text has no `+/-_`, so one encoding stands for both alphabets (standard and URL-safe).
 */
function echoForms(secret: string): string[] {
  const forms = [bare(secret)];
  for (const shift of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)])
      .toString('base64')
      .replace(/=+$/, '');
    forms.push(bare(encoded.slice(shift === 0 ? 0 : shift + 1, encoded.length - 2)));
  }
  return forms;
}

/** 0-9 and a-z as 0..35 (either case), -1 for anything else. */
function symbol(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return -1;
}

// A rolling hash of the last OVERLAP symbols (32-bit arithmetic) picks a bit in a small table;
// only a set bit costs an exact look-up. An error body is scanned at a few nanoseconds a character.
const BASE = 37;
const BASE_TO_OVERLAP = Array.from({ length: OVERLAP }).reduce<number>((power) => Math.imul(power, BASE), 1);
const TABLE_BITS = 16;
const slot = (hash: number): number => Math.imul(hash, 0x9e3779b1) >>> (32 - TABLE_BITS);

/** A run of OVERLAP symbols as a whole number below 36^OVERLAP (exact in a double). */
interface SecretRuns {
  /** The runs of OVERLAP letters and digits of the secrets' echo forms, as numbers. */
  runs: Set<number>;
  /** One bit per hash slot a run falls in. */
  table: Uint32Array;
  /** Secrets with fewer than OVERLAP letters and digits: only the whole secret counts. */
  whole: string[];
}

// Error contexts keep one secrets array per credentials, so the runs are derived once per key.
const runsBySecrets = new WeakMap<readonly string[], SecretRuns>();

function secretRuns(secrets: readonly string[]): SecretRuns {
  const cached = runsBySecrets.get(secrets);
  if (cached) return cached;
  const runs = new Set<number>();
  const table = new Uint32Array((1 << TABLE_BITS) / 32);
  const whole: string[] = [];
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    if (bare(secret).length < OVERLAP) {
      whole.push(secret);
      continue;
    }
    for (const form of echoForms(secret)) {
      for (let i = 0; i + OVERLAP <= form.length; i++) {
        let run = 0;
        let hash = 0;
        for (let k = i; k < i + OVERLAP; k++) {
          const value = symbol(form.charCodeAt(k));
          run = run * 36 + value;
          hash = (Math.imul(hash, BASE) + value) | 0;
        }
        runs.add(run);
        const at = slot(hash);
        table[at >>> 5]! |= 1 << (at & 31);
      }
    }
  }
  const result = { runs, table, whole };
  runsBySecrets.set(secrets, result);
  return result;
}

/**
 * Replaces every trace of a secret with `[redacted]`: the secret whole, any 8 or more of its
 * letters and digits in a row, in any case, with separators (spaces, dashes, dots...) between
 * them, or base64-encoded. Runs only on error text (never on a successful answer), and always
 * before a message is cut, so a cut cannot leave a piece of the secret that no longer matches.
 */
export function redact(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0 || text.length === 0) return text;
  const { runs, table, whole } = secretRuns(secrets);
  let out = text;
  for (const secret of whole) out = out.split(secret).join(REDACTED);
  if (runs.size === 0) return out;

  // One pass over the text's letters and digits (case folded, anything else skipped), keeping the
  // last OVERLAP of them and the text index of each; a run found in the secrets marks the text
  // from its first to its last character. Spans are merged as they are found.
  const spans: [number, number][] = [];
  const symbols = new Int32Array(OVERLAP);
  const indexes = new Int32Array(OVERLAP);
  let hash = 0;
  let seen = 0;
  for (let i = 0; i < out.length; i++) {
    const value = symbol(out.charCodeAt(i));
    if (value < 0) continue;
    const ring = seen % OVERLAP;
    hash = (Math.imul(hash, BASE) + value - Math.imul(symbols[ring]!, BASE_TO_OVERLAP)) | 0;
    symbols[ring] = value;
    indexes[ring] = i;
    seen++;
    if (seen < OVERLAP) continue;
    const at = slot(hash);
    if ((table[at >>> 5]! & (1 << (at & 31))) === 0) continue;
    let run = 0;
    for (let k = 0; k < OVERLAP; k++) run = run * 36 + symbols[(seen + k) % OVERLAP]!;
    if (!runs.has(run)) continue;
    const start = indexes[seen % OVERLAP]!;
    const last = spans[spans.length - 1];
    if (last && start <= last[1]) last[1] = i + 1;
    else spans.push([start, i + 1]);
  }
  if (spans.length === 0) return out;
  let result = '';
  let from = 0;
  for (const [start, end] of spans) {
    result += out.slice(from, start) + REDACTED;
    from = end;
  }
  return result + out.slice(from);
}

/** The first `max` characters of `text` once every secret is out of it (redact first, then cut). */
export function redactedExcerpt(text: string, secrets: readonly string[], max: number): string {
  // Only the start is kept: redacting a window a little longer than it bounds the work on a
  // large body, and the margin keeps every echo that crosses the cut whole for the redaction.
  return redact(text.slice(0, max + 4_096), secrets).slice(0, max);
}
