// The playground's client of the gateway: a streamed chat completion through the console's session
// path (`/console/v1/…`, decision 0024), read as OpenAI's server-sent events.

/** Where the console reaches the gateway with its session cookie; the browser holds no key. */
export const CONSOLE_CHAT_URL = '/console/v1/chat/completions';

/** What a finished (or stopped) call reports. */
export interface ChatOutcome {
  /** `provider/model` that answered, as the gateway names it. */
  model: string | null;
  /** Id of the credential that served the call. */
  credentialId: string | null;
  /** Milliseconds to the first piece of text, and to the end. */
  firstTokenMs: number | null;
  totalMs: number;
  tokensIn: number | null;
  tokensOut: number | null;
}

/** A failed call, with the gateway's own message. */
export class ChatError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

interface StreamChunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * Sends one prompt and calls `onText` with each piece of the answer as it arrives. Resolves with
 * the call's numbers when the stream ends; rejects with a ChatError (the gateway's message).
 */
export async function streamChat(
  input: { workspaceId: string; model: string; prompt: string; signal: AbortSignal },
  onText: (text: string) => void,
): Promise<ChatOutcome> {
  const started = performance.now();
  const response = await fetch(CONSOLE_CHAT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchboard-workspace': input.workspaceId },
    body: JSON.stringify({
      model: input.model,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: input.prompt }],
    }),
    signal: input.signal,
  });
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => null)) as StreamChunk | null;
    throw new ChatError(body?.error?.message ?? `The gateway answered ${response.status}`, response.status);
  }
  const outcome: ChatOutcome = {
    model: response.headers.get('x-switchboard-model'),
    credentialId: response.headers.get('x-switchboard-credential'),
    firstTokenMs: null,
    totalMs: 0,
    tokensIn: null,
    tokensOut: null,
  };
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    // Events end with a blank line; a partial event waits for the rest.
    const events = buffer.split(/\r?\n\r?\n/);
    buffer = events.pop() ?? '';
    for (const event of events) {
      for (const line of event.split(/\r?\n/)) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const chunk = JSON.parse(data) as StreamChunk;
        if (chunk.error) throw new ChatError(chunk.error.message ?? 'The provider failed mid-answer', 502);
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) {
          outcome.firstTokenMs ??= Math.round(performance.now() - started);
          onText(text);
        }
        if (chunk.usage) {
          outcome.tokensIn = chunk.usage.prompt_tokens ?? null;
          outcome.tokensOut = chunk.usage.completion_tokens ?? null;
        }
      }
    }
  }
  outcome.totalMs = Math.round(performance.now() - started);
  return outcome;
}

/** Estimated dollars of a call at the catalog's prices per million tokens; null without a price. */
export function estimateCost(
  pricing: { inputPerMillion: number; outputPerMillion?: number | undefined } | null | undefined,
  tokensIn: number | null,
  tokensOut: number | null,
): number | null {
  if (!pricing || tokensIn === null) return null;
  return (
    (tokensIn * pricing.inputPerMillion + (tokensOut ?? 0) * (pricing.outputPerMillion ?? 0)) / 1_000_000
  );
}
