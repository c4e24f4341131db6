// Local upstreams that answer like a model would, each in its provider's real wire format
// (OpenAI chat completions, Anthropic Messages, Gemini generateContent, Ollama /api/chat), streamed
// and whole: a tool call when tools are offered and no tool result came back yet, JSON when asked
// for JSON, text otherwise. Each also reads back what the gateway sent it in one neutral shape
// (`Seen`), so a test can assert the mapped request the same way for every provider.
import type { ServerResponse } from 'node:http';
import { type FakeUpstream, type RecordedRequest, startFakeUpstream } from '@switchboard/test-utils';
import { recorded } from './upstreams-fixture.ts';

/** The four wire formats the matrix runs against. */
export type UpstreamKind = 'openai-compatible' | 'anthropic' | 'gemini' | 'ollama';

/** How a request asked for tools to be chosen, in neutral form (undefined: not said). */
export type SeenToolChoice = 'auto' | 'required' | 'none' | { name: string } | undefined;

/** What one generation request the upstream received asked for, whatever the provider. */
export interface Seen {
  streamed: boolean;
  /** Names of the function tools offered, in order. */
  tools: string[];
  toolChoice: SeenToolChoice;
  /** 'object' for JSON without a schema, the schema when one was sent, undefined for no JSON mode. */
  json: 'object' | { schema: Record<string, unknown> } | undefined;
  /** Whether the conversation carries the result of an earlier tool call. */
  toolResult: boolean;
  /** Text of the last user turn (tool results left out). */
  lastUserText: string;
  /** The turns in order: 'system', 'user', 'assistant', or 'tool' for a turn of tool results. */
  roles: string[];
  /** The output token limit, however the provider names it. */
  maxTokens: number | undefined;
  temperature: number | undefined;
  topP: number | undefined;
  /** Stop sequences, always as a list. */
  stop: string[] | undefined;
  /** Images in the conversation, inline or by URL. */
  images: number;
}

/** The text a model-like upstream answers with. */
export const ANSWER_TEXT = 'It is sunny in Paris today.';
/** The object it answers with when asked for JSON (or a `json` tool is forced). */
export const ANSWER_OBJECT = { city: 'Paris', temperature: 18 };
/** The arguments of every tool call it makes. */
export const TOOL_ARGUMENTS = { city: 'Paris' };
/** Usage every answer reports. */
export const USAGE = { input: 11, output: 7 };

/** What the model decides to do with a request. */
type Decision =
  | { kind: 'text'; text: string }
  | { kind: 'tool'; name: string; args: Record<string, unknown> };

/** Anthropic's JSON mode is a forced `json` tool (see the adapter): calling it is answering in JSON. */
const JSON_TOOL = 'json';

function decide(seen: Seen): Decision {
  const named = typeof seen.toolChoice === 'object' ? seen.toolChoice.name : undefined;
  if (named === JSON_TOOL) return { kind: 'tool', name: JSON_TOOL, args: ANSWER_OBJECT };
  const callable = seen.tools.filter((name) => name !== JSON_TOOL);
  if (callable.length > 0 && !seen.toolResult && seen.toolChoice !== 'none') {
    const name = named ?? (callable[0] as string);
    // The weather tool gets a city; any other (a client's structured-output tool) the whole object.
    return { kind: 'tool', name, args: name === 'weather' ? TOOL_ARGUMENTS : ANSWER_OBJECT };
  }
  if (seen.json) return { kind: 'text', text: JSON.stringify(ANSWER_OBJECT) };
  return { kind: 'text', text: ANSWER_TEXT };
}

/** Pieces of a streamed text, cut every few characters so the client must join deltas. */
const pieces = (text: string) => text.match(/.{1,6}/gs) ?? [];

type Json = Record<string, unknown>;
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const textOfContent = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : asArray(content)
        .filter((part) => part.type === 'text' || typeof part.text === 'string')
        .map((part) => String(part.text ?? ''))
        .join('');

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions.

function seenOpenAI(request: RecordedRequest): Seen {
  const body = request.json() as Json;
  const messages = asArray(body.messages);
  const choice = body.tool_choice as string | { function: { name: string } } | undefined;
  const format = body.response_format as { type: string; json_schema?: { schema?: Json } } | undefined;
  const lastUser = messages.filter((message) => message.role === 'user').at(-1);
  return {
    streamed: body.stream === true,
    tools: asArray(body.tools).map((tool) => (tool.function as { name: string }).name),
    toolChoice: typeof choice === 'object' ? { name: choice.function.name } : (choice as SeenToolChoice),
    json:
      format?.type === 'json_object'
        ? 'object'
        : format?.type === 'json_schema'
          ? format.json_schema?.schema
            ? { schema: format.json_schema.schema }
            : 'object'
          : undefined,
    toolResult: messages.some((message) => message.role === 'tool'),
    lastUserText: textOfContent(lastUser?.content),
    roles: messages.map((message) => (message.role === 'developer' ? 'system' : String(message.role))),
    maxTokens: (body.max_completion_tokens ?? body.max_tokens) as number | undefined,
    temperature: body.temperature as number | undefined,
    topP: body.top_p as number | undefined,
    stop: typeof body.stop === 'string' ? [body.stop] : (body.stop as string[] | undefined),
    images: messages
      .flatMap((message) => asArray(message.content))
      .filter((part) => part.type === 'image_url').length,
  };
}

function answerOpenAI(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as Json;
  const decision = decide(seenOpenAI(request));
  const usage = { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: 18 };
  const base = { id: 'chatcmpl-like', created: 1_764_000_000, model: body.model };
  const call =
    decision.kind === 'tool'
      ? {
          id: 'call_like_1',
          type: 'function',
          function: { name: decision.name, arguments: JSON.stringify(decision.args) },
        }
      : undefined;
  const finish = call ? 'tool_calls' : 'stop';
  if (body.stream !== true) {
    const message = {
      role: 'assistant',
      content: decision.kind === 'text' ? decision.text : null,
      refusal: null,
      ...(call ? { tool_calls: [call] } : {}),
    };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
        usage,
      }),
    );
    return;
  }
  const chunk = (delta: Json, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(chunk({ role: 'assistant', content: '' }));
  if (call) {
    response.write(
      chunk({ tool_calls: [{ index: 0, ...call, function: { name: call.function.name, arguments: '' } }] }),
    );
    for (const piece of pieces(call.function.arguments))
      response.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
  } else if (decision.kind === 'text') {
    for (const piece of pieces(decision.text)) response.write(chunk({ content: piece }));
  }
  response.write(chunk({}, finish));
  // As OpenAI does: a usage chunk only when the request asked for one.
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    response.write(
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
    );
  }
  response.end('data: [DONE]\n\n');
}

// ---------------------------------------------------------------------------------------------
// Anthropic Messages.

function seenAnthropic(request: RecordedRequest): Seen {
  const body = request.json() as Json;
  const messages = asArray(body.messages);
  const choice = body.tool_choice as { type: string; name?: string } | undefined;
  const tools = asArray(body.tools).map((tool) => String(tool.name));
  const schema = (body.output_config as { format?: { schema?: Json } } | undefined)?.format?.schema;
  const blocks = messages.flatMap((message) => asArray(message.content));
  const lastUser = messages
    .filter(
      (message) => message.role === 'user' && !asArray(message.content).some((b) => b.type === 'tool_result'),
    )
    .at(-1);
  return {
    streamed: body.stream === true,
    tools,
    toolChoice:
      choice === undefined
        ? undefined
        : choice.type === 'tool'
          ? { name: String(choice.name) }
          : choice.type === 'any'
            ? 'required'
            : (choice.type as 'auto' | 'none'),
    json: schema ? { schema } : tools.includes(JSON_TOOL) ? 'object' : undefined,
    toolResult: blocks.some((block) => block.type === 'tool_result'),
    lastUserText: textOfContent(lastUser?.content),
    roles: [
      ...(body.system ? ['system'] : []),
      ...messages.map((message) =>
        asArray(message.content).some((block) => block.type === 'tool_result')
          ? 'tool'
          : String(message.role),
      ),
    ],
    maxTokens: body.max_tokens as number | undefined,
    temperature: body.temperature as number | undefined,
    topP: body.top_p as number | undefined,
    stop: body.stop_sequences as string[] | undefined,
    images: blocks.filter((block) => block.type === 'image').length,
  };
}

const sse = (event: string, data: Json) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function answerAnthropic(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as Json;
  const decision = decide(seenAnthropic(request));
  const block =
    decision.kind === 'tool'
      ? { type: 'tool_use', id: 'toolu_like_1', name: decision.name, input: decision.args }
      : { type: 'text', text: decision.text };
  const stopReason = decision.kind === 'tool' ? 'tool_use' : 'end_turn';
  const message = {
    id: 'msg_like_1',
    type: 'message',
    role: 'assistant',
    model: body.model,
    stop_sequence: null,
  };
  if (body.stream !== true) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...message,
        content: [block],
        stop_reason: stopReason,
        usage: { input_tokens: USAGE.input, output_tokens: USAGE.output },
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write(
    sse('message_start', {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        usage: { input_tokens: USAGE.input, output_tokens: 1 },
      },
    }),
  );
  if (decision.kind === 'tool') {
    response.write(
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { ...block, input: {} },
      }),
    );
    for (const piece of pieces(JSON.stringify(decision.args)))
      response.write(
        sse('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: piece },
        }),
      );
  } else {
    response.write(
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
    );
    response.write(sse('ping', { type: 'ping' }));
    for (const piece of pieces(decision.text))
      response.write(
        sse('content_block_delta', {
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'text_delta', text: piece },
        }),
      );
  }
  response.write(sse('content_block_stop', { type: 'content_block_stop', index: 0 }));
  response.write(
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: USAGE.output },
    }),
  );
  response.end(sse('message_stop', { type: 'message_stop' }));
}

/** What Anthropic's count_tokens answers for any prompt here (distinct from any estimate). */
export const ANTHROPIC_COUNT = 4242;
/** What Gemini's countTokens answers for any prompt here. */
export const GEMINI_COUNT = 2424;

// ---------------------------------------------------------------------------------------------
// Gemini generateContent / streamGenerateContent.

function seenGemini(request: RecordedRequest): Seen {
  const body = request.json() as Json;
  const contents = asArray(body.contents);
  const declarations = asArray(body.tools).flatMap((tool) => asArray(tool.functionDeclarations));
  const calling = (
    body.toolConfig as { functionCallingConfig?: { mode: string; allowedFunctionNames?: string[] } }
  )?.functionCallingConfig;
  const generation = body.generationConfig as
    | { responseMimeType?: string; responseJsonSchema?: Json; responseSchema?: Json }
    | undefined;
  const parts = contents.flatMap((content) => asArray(content.parts));
  const lastUser = contents
    .filter((content) => content.role === 'user' && asArray(content.parts).some((part) => 'text' in part))
    .at(-1);
  const schema = generation?.responseJsonSchema ?? generation?.responseSchema;
  return {
    streamed: request.path.endsWith(':streamGenerateContent'),
    tools: declarations.map((declaration) => String(declaration.name)),
    toolChoice:
      calling === undefined
        ? undefined
        : calling.mode === 'AUTO'
          ? 'auto'
          : calling.mode === 'NONE'
            ? 'none'
            : calling.allowedFunctionNames?.length === 1
              ? { name: calling.allowedFunctionNames[0] as string }
              : 'required',
    json: generation?.responseMimeType === 'application/json' ? (schema ? { schema } : 'object') : undefined,
    toolResult: parts.some((part) => 'functionResponse' in part),
    lastUserText: textOfContent(lastUser?.parts),
    roles: [
      ...(body.systemInstruction ? ['system'] : []),
      ...contents.map((content) =>
        content.role === 'model'
          ? 'assistant'
          : asArray(content.parts).some((part) => 'functionResponse' in part)
            ? 'tool'
            : 'user',
      ),
    ],
    maxTokens: (body.generationConfig as { maxOutputTokens?: number } | undefined)?.maxOutputTokens,
    temperature: (body.generationConfig as { temperature?: number } | undefined)?.temperature,
    topP: (body.generationConfig as { topP?: number } | undefined)?.topP,
    stop: (body.generationConfig as { stopSequences?: string[] } | undefined)?.stopSequences,
    images: parts.filter((part) => 'inlineData' in part || 'fileData' in part).length,
  };
}

function answerGemini(request: RecordedRequest, response: ServerResponse): void {
  const seen = seenGemini(request);
  const decision = decide(seen);
  const usageMetadata = {
    promptTokenCount: USAGE.input,
    candidatesTokenCount: USAGE.output,
    totalTokenCount: USAGE.input + USAGE.output,
  };
  const base = { modelVersion: 'gemini-2.5-flash', responseId: 'like-gemini-1' };
  const candidate = (parts: Json[], finish?: string) => ({
    content: { role: 'model', parts },
    index: 0,
    ...(finish ? { finishReason: finish } : {}),
  });
  if (!seen.streamed) {
    const part =
      decision.kind === 'tool'
        ? { functionCall: { name: decision.name, args: decision.args } }
        : { text: decision.text };
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ candidates: [candidate([part], 'STOP')], usageMetadata, ...base }));
    return;
  }
  // streamGenerateContent?alt=sse: each event a whole GenerateContentResponse, usage growing.
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (data: Json) => response.write(`data: ${JSON.stringify(data)}\n\n`);
  if (decision.kind === 'tool') {
    event({
      candidates: [candidate([{ functionCall: { name: decision.name, args: decision.args } }], 'STOP')],
      usageMetadata,
      ...base,
    });
  } else {
    const texts = pieces(decision.text);
    texts.forEach((text, index) => {
      const last = index === texts.length - 1;
      event({
        candidates: [candidate([{ text }], last ? 'STOP' : undefined)],
        usageMetadata: last ? usageMetadata : { promptTokenCount: USAGE.input, totalTokenCount: USAGE.input },
        ...base,
      });
    });
  }
  response.end();
}

// ---------------------------------------------------------------------------------------------
// Ollama /api/chat.

function seenOllama(request: RecordedRequest): Seen {
  const body = request.json() as Json;
  const messages = asArray(body.messages);
  const format = body.format as string | Json | undefined;
  const lastUser = messages.filter((message) => message.role === 'user').at(-1);
  return {
    // Ollama streams unless told not to.
    streamed: body.stream !== false,
    tools: asArray(body.tools).map((tool) => (tool.function as { name: string }).name),
    // Ollama has no tool_choice: a named choice can only show as the one tool offered.
    toolChoice: undefined,
    json: format === 'json' ? 'object' : typeof format === 'object' ? { schema: format } : undefined,
    toolResult: messages.some((message) => message.role === 'tool'),
    lastUserText: textOfContent(lastUser?.content),
    roles: messages.map((message) => String(message.role)),
    maxTokens: (body.options as { num_predict?: number } | undefined)?.num_predict,
    temperature: (body.options as { temperature?: number } | undefined)?.temperature,
    topP: (body.options as { top_p?: number } | undefined)?.top_p,
    stop: (body.options as { stop?: string[] } | undefined)?.stop,
    images: messages.reduce((count, message) => count + asArray(message.images).length, 0),
  };
}

function answerOllama(request: RecordedRequest, response: ServerResponse): void {
  const body = request.json() as Json;
  const seen = seenOllama(request);
  const decision = decide(seen);
  const base = { model: body.model, created_at: '2026-12-07T10:00:00.1Z' };
  const calls =
    decision.kind === 'tool'
      ? [{ id: 'call_like_1', function: { index: 0, name: decision.name, arguments: decision.args } }]
      : undefined;
  const done = {
    done: true,
    done_reason: 'stop',
    total_duration: 1_000_000,
    prompt_eval_count: USAGE.input,
    eval_count: USAGE.output,
  };
  if (!seen.streamed) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        ...base,
        message: {
          role: 'assistant',
          content: decision.kind === 'text' ? decision.text : '',
          ...(calls ? { tool_calls: calls } : {}),
        },
        ...done,
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const line = (data: Json) => response.write(`${JSON.stringify(data)}\n`);
  if (calls) line({ ...base, message: { role: 'assistant', content: '', tool_calls: calls }, done: false });
  else if (decision.kind === 'text')
    for (const piece of pieces(decision.text))
      line({ ...base, message: { role: 'assistant', content: piece }, done: false });
  line({ ...base, message: { role: 'assistant', content: '' }, ...done });
  response.end();
}

// ---------------------------------------------------------------------------------------------
// The upstreams.

/** One provider's model-like upstream and how to read what it was sent. */
export interface ModelLikeUpstream {
  kind: UpstreamKind;
  upstream: FakeUpstream;
  /** The provider's own id of the model it serves. */
  model: string;
  /** The generation requests it received, oldest first. */
  generations(): RecordedRequest[];
  /** A request in neutral form. */
  seen(request: RecordedRequest): Seen;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** Starts the upstream for `kind`, with the routes its credential validation asks too. */
export async function startModelLikeUpstream(kind: UpstreamKind): Promise<ModelLikeUpstream> {
  const upstream = await startFakeUpstream();
  const only = (test: (request: RecordedRequest) => boolean) => () =>
    upstream.requests.filter((request) => request.method === 'POST' && test(request));
  switch (kind) {
    case 'openai-compatible':
      upstream.route('GET', '/v1/models', {
        json: {
          object: 'list',
          data: [{ id: 'local-model', object: 'model', created: 0, owned_by: 'local' }],
        },
      });
      upstream.route('POST', '/v1/chat/completions', answerOpenAI);
      return {
        kind,
        upstream,
        model: 'local-model',
        generations: only((request) => request.path === '/v1/chat/completions'),
        seen: seenOpenAI,
      };
    case 'anthropic':
      upstream.route('GET', '/v1/models', {
        body: recorded('anthropic', 'models.json'),
        headers: JSON_HEADERS,
      });
      upstream.route('POST', '/v1/messages', answerAnthropic);
      upstream.route('POST', '/v1/messages/count_tokens', { json: { input_tokens: ANTHROPIC_COUNT } });
      return {
        kind,
        upstream,
        model: 'claude-haiku-4-5-20251001',
        generations: only((request) => request.path === '/v1/messages'),
        seen: seenAnthropic,
      };
    case 'gemini': {
      upstream.route('GET', '/v1beta/models', {
        body: recorded('gemini', 'models.json'),
        headers: JSON_HEADERS,
      });
      const model = 'gemini-2.5-flash';
      upstream.route('POST', `/v1beta/models/${model}:generateContent`, answerGemini);
      upstream.route('POST', `/v1beta/models/${model}:streamGenerateContent`, answerGemini);
      upstream.route('POST', `/v1beta/models/${model}:countTokens`, {
        json: {
          totalTokens: GEMINI_COUNT,
          promptTokensDetails: [{ modality: 'TEXT', tokenCount: GEMINI_COUNT }],
        },
      });
      return {
        kind,
        upstream,
        model,
        generations: only((request) => /:(stream)?[gG]enerateContent$/.test(request.path)),
        seen: seenGemini,
      };
    }
    case 'ollama':
      upstream.route('GET', '/api/tags', { body: recorded('ollama', 'tags.json'), headers: JSON_HEADERS });
      upstream.route('GET', '/api/version', {
        body: recorded('ollama', 'version.json'),
        headers: JSON_HEADERS,
      });
      upstream.route('POST', '/api/show', {
        body: recorded('ollama', 'show-llama3.2.json'),
        headers: JSON_HEADERS,
      });
      upstream.route('POST', '/api/chat', answerOllama);
      return {
        kind,
        upstream,
        model: 'llama3.2',
        generations: only((request) => request.path === '/api/chat'),
        seen: seenOllama,
      };
  }
}
