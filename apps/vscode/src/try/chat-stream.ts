/** Where and as whom a gateway call goes: the user's token, for the chosen workspace. */
export interface GatewayTarget {
  serverUrl: string;
  /** Personal access token; sent only in the Authorization header. */
  token: string;
  workspaceId: string;
  /** Sent as `x-request-id` and logged, so a call can be found on both sides. */
  requestId: string;
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

/** A streamed one-prompt chat request through the gateway's `/v1/chat/completions`. */
export interface ChatRequest extends GatewayTarget {
  /** `provider/model`, or `default`. */
  model: string;
  prompt: string;
}

/** How a streamed chat ended. */
export interface ChatResult {
  /** The model the gateway says answered (`model` of the chunks). */
  model: string | undefined;
  /** The upstream completion id (`chatcmpl-…`). */
  completionId: string | undefined;
  usage: { promptTokens: number; completionTokens: number } | undefined;
  latencyMs: number;
  firstTokenMs: number | undefined;
  finishReason: string | undefined;
}

/** A gateway error answer: its HTTP status and OpenAI-shaped message and code. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** A piece of a tool call as OpenAI streams it: the first piece has the id and name, later ones more arguments. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

/** One chunk of a streamed chat completion (the fields the extension reads). */
export interface ChatChunk {
  id?: string;
  model?: string;
  choices?: {
    delta?: { content?: string | null; tool_calls?: ToolCallDelta[] | null };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; code?: string };
}

/** Sends the prompt and calls `onText` with each piece of the reply as it arrives. */
export async function streamChat(request: ChatRequest, onText: (text: string) => void): Promise<ChatResult> {
  return streamChatCompletion(
    request,
    { model: request.model, messages: [{ role: 'user', content: request.prompt }] },
    (chunk) => {
      for (const choice of chunk.choices ?? []) if (choice.delta?.content) onText(choice.delta.content);
    },
  );
}

/**
 * Posts an OpenAI chat completion request (`body`: model, messages, tools...) with `stream: true`
 * and hands each chunk to `onChunk` as it arrives; throws a `GatewayError` for an error answer.
 */
export async function streamChatCompletion(
  target: GatewayTarget,
  body: Record<string, unknown>,
  onChunk: (chunk: ChatChunk) => void,
): Promise<ChatResult> {
  const started = performance.now();
  const fetchImpl = target.fetch ?? globalThis.fetch;
  const response = await fetchImpl(`${target.serverUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${target.token}`,
      'x-switchboard-workspace': target.workspaceId,
      'x-request-id': target.requestId,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
    signal: target.signal ?? null,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text || response.statusText;
    let code: string | undefined;
    try {
      const parsed = JSON.parse(text) as ChatChunk;
      message = parsed.error?.message ?? message;
      code = parsed.error?.code;
    } catch {
      // Not JSON: the body itself is the message.
    }
    throw new GatewayError(response.status, message, code);
  }
  const result: ChatResult = {
    model: undefined,
    completionId: undefined,
    usage: undefined,
    latencyMs: 0,
    firstTokenMs: undefined,
    finishReason: undefined,
  };
  for await (const data of serverSentData(response.body)) {
    if (data === '[DONE]') break;
    const chunk = JSON.parse(data) as ChatChunk;
    if (chunk.error)
      throw new GatewayError(response.status, chunk.error.message ?? 'stream failed', chunk.error.code);
    result.model ??= chunk.model;
    result.completionId ??= chunk.id;
    if (chunk.usage)
      result.usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content || choice.delta?.tool_calls?.length)
        result.firstTokenMs ??= Math.round(performance.now() - started);
      if (choice.finish_reason) result.finishReason = choice.finish_reason;
    }
    onChunk(chunk);
  }
  result.latencyMs = Math.round(performance.now() - started);
  return result;
}

/** The `data:` payloads of a server-sent event stream, one per event. */
export async function* serverSentData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).replace(/\r$/, '');
      buffer = buffer.slice(newline + 1);
      if (line === '') {
        if (data.length > 0) yield data.join('\n');
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
      newline = buffer.indexOf('\n');
    }
  }
  if (data.length > 0) yield data.join('\n');
}
