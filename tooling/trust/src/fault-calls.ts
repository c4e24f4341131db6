import { chatBody } from './fault-world.ts';

/**
 * How one gateway call ended: `ok` (the right answer for this caller), `clean-error` (an error
 * status with a JSON error, or a stream ended by an error event without `[DONE]`), `aborted`
 * (the caller gave up: a stalled upstream), or `bad` (anything else: a 500, a cut connection,
 * someone else's answer, garbage passed on as a success).
 */
export type Outcome = 'ok' | 'clean-error' | 'aborted' | 'bad';

/** One call's outcome and, when not ok, what was seen. */
export interface CallResult {
  outcome: Outcome;
  status: number;
  detail: string;
}

/** The text a stream of chat chunks spells, and whether it ended with `[DONE]` or an error event. */
export function readStream(text: string): { content: string; done: boolean; error: boolean } {
  let content = '';
  let done = false;
  let error = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const data = line.slice(6).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    try {
      const event = JSON.parse(data) as { error?: unknown; choices?: { delta?: { content?: string } }[] };
      if (event.error) error = true;
      content += event.choices?.[0]?.delta?.content ?? '';
    } catch {
      return { content, done: false, error: false };
    }
  }
  return { content, done, error };
}

/** Sends one tagged chat call (streamed or not) and classifies its end. */
export async function chatCall(
  url: string,
  apiKey: string,
  tag: string,
  options: { stream?: boolean; timeoutMs?: number } = {},
): Promise<CallResult> {
  const stream = options.stream ?? false;
  try {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: chatBody(tag, stream),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    const status = response.status;
    if (status >= 400) {
      let message: unknown;
      try {
        message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
      } catch {
        message = undefined;
      }
      const clean = status !== 500 && typeof message === 'string';
      return { outcome: clean ? 'clean-error' : 'bad', status, detail: text.slice(0, 200) };
    }
    if (stream) {
      const read = readStream(text);
      if (read.done && read.content === `echo ${tag}`) return { outcome: 'ok', status, detail: '' };
      if (!read.done && read.error) return { outcome: 'clean-error', status, detail: text.slice(0, 200) };
      return { outcome: 'bad', status, detail: text.slice(0, 200) };
    }
    try {
      const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
      if (body.choices?.[0]?.message?.content === `echo ${tag}`) return { outcome: 'ok', status, detail: '' };
    } catch {
      // Falls through: a 200 that is not the caller's answer.
    }
    return { outcome: 'bad', status, detail: text.slice(0, 200) };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError')
      return { outcome: 'aborted', status: 0, detail: name };
    return { outcome: 'bad', status: 0, detail: String((error as Error).cause ?? error) };
  }
}

/** Counts of each outcome. */
export function tally(results: readonly CallResult[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { ok: 0, 'clean-error': 0, aborted: 0, bad: 0 };
  for (const result of results) counts[result.outcome]++;
  return counts;
}

/** Runs `count` calls of `work`, `parallel` at a time. */
export async function inParallel<T>(
  count: number,
  parallel: number,
  work: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++;
        results[index] = await work(index);
      }
    }),
  );
  return results;
}
