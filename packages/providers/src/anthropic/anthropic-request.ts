import {
  BadRequestError,
  type ChatContentPart,
  type ChatMessage,
  type ChatRequest,
  type ChatToolChoice,
  UnsupportedError,
} from '@switchboard/provider-spec';
import { acceptsSampling, defaultMaxTokens } from './anthropic-manifest.ts';
import { type AnthropicThinkingBlock, replayedThinking, thinkingFor } from './anthropic-thinking.ts';

/** A content block of an Anthropic message (the subset Switchboard sends). */
export type AnthropicContentBlock =
  | { type: 'text'; text: string }
  | {
      type: 'image';
      source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
    }
  | { type: 'document'; source: { type: 'base64'; media_type: string; data: string } }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string | AnthropicContentBlock[] }
  | AnthropicThinkingBlock;

/** One turn of `messages`. */
export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | AnthropicContentBlock[];
}

/** POST /v1/messages body. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: { type: 'text'; text: string }[];
  tools?: { name: string; description?: string; input_schema: Record<string, unknown> }[];
  tool_choice?: {
    type: 'auto' | 'any' | 'none' | 'tool';
    name?: string;
    disable_parallel_tool_use?: boolean;
  };
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  metadata?: { user_id: string };
  output_config?: { format: { type: 'json_schema'; schema: Record<string, unknown> } };
  /** Extended thinking, for reasoning_effort. */
  thinking?: { type: 'enabled'; budget_tokens: number };
  stream?: boolean;
}

const badRequest = (message: string, field: string) =>
  new BadRequestError(`Anthropic: ${message}`, { provider: 'anthropic', field });

const unsupportedSampling = (model: string, field: string) =>
  new UnsupportedError(`Anthropic: ${model} takes no sampling settings; leave ${field} out`, {
    provider: 'anthropic',
    field,
  });

/** Splits `data:image/png;base64,AAAA` without a regex; undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  const marker = url.lastIndexOf(';base64', comma);
  if (comma === -1 || marker === -1) return undefined;
  return { mediaType: url.slice(5, marker), data: url.slice(comma + 1) };
}

function partToBlock(part: ChatContentPart): AnthropicContentBlock {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image_url': {
      const inline = parseDataUrl(part.image_url.url);
      return inline
        ? { type: 'image', source: { type: 'base64', media_type: inline.mediaType, data: inline.data } }
        : { type: 'image', source: { type: 'url', url: part.image_url.url } };
    }
    case 'file': {
      const inline = part.file.file_data ? parseDataUrl(part.file.file_data) : undefined;
      if (!inline) throw badRequest('files must be sent inline as a data: URL', 'messages');
      return {
        type: 'document',
        source: { type: 'base64', media_type: inline.mediaType, data: inline.data },
      };
    }
    default:
      throw badRequest(`content of type "${part.type}" is not supported`, 'messages');
  }
}

function contentBlocks(content: string | ChatContentPart[] | null | undefined): AnthropicContentBlock[] {
  if (content === null || content === undefined || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map(partToBlock);
}

function textOf(content: string | ChatContentPart[]): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) {
    if (part.type !== 'text') throw badRequest('system messages may only contain text', 'messages');
    text += part.text;
  }
  return text;
}

function parseArguments(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('tool call arguments are not valid JSON', 'messages');
  }
}

/** A message's blocks; `thinking`: the call thinks, so an assistant turn's thinking blocks are replayed first. */
function blocksOf(message: ChatMessage, thinking: boolean): AnthropicContentBlock[] {
  if (message.role === 'system' || message.role === 'developer') return [];
  if (message.role === 'tool') {
    const content = typeof message.content === 'string' ? message.content : contentBlocks(message.content);
    return [{ type: 'tool_result', tool_use_id: message.tool_call_id, content }];
  }
  const replayed: AnthropicContentBlock[] = thinking ? replayedThinking(message) : [];
  const blocks = [...replayed, ...contentBlocks(message.content)];
  if (message.role === 'assistant' && message.tool_calls) {
    for (const call of message.tool_calls) {
      blocks.push({
        type: 'tool_use',
        id: call.id,
        name: call.function.name,
        input: parseArguments(call.function.arguments),
      });
    }
  }
  return blocks;
}

function toolChoice(
  choice: ChatToolChoice | undefined,
  parallel: boolean | undefined,
): AnthropicRequest['tool_choice'] | undefined {
  let mapped: AnthropicRequest['tool_choice'];
  if (choice === 'auto') mapped = { type: 'auto' };
  else if (choice === 'required') mapped = { type: 'any' };
  else if (choice === 'none') return { type: 'none' };
  else if (choice) mapped = { type: 'tool', name: choice.function.name };
  if (parallel === false) return { ...(mapped ?? { type: 'auto' }), disable_parallel_tool_use: true };
  return mapped;
}

/** The synthetic tool whose input is the answer when the client asks for any JSON object. */
export const JSON_TOOL = 'json';

/** Whether the request asks for a JSON object that only the `json` tool can give. */
export function wantsJsonTool(request: ChatRequest): boolean {
  const format = request.response_format;
  return format?.type === 'json_object' || (format?.type === 'json_schema' && !format.json_schema.schema);
}

/**
 * JSON mode as Anthropic can honour it: a `json` tool taking any object, which the model must
 * call unless it calls one of the client's tools (the answer returns its input as the message's
 * text). With tool_choice 'none' the client's tools are withdrawn; a named tool stays forced.
 */
function addJsonTool(body: AnthropicRequest, request: ChatRequest): void {
  if (request.tools?.some((tool) => tool.function.name === JSON_TOOL))
    throw badRequest(
      `response_format json_object cannot be combined with a tool named "${JSON_TOOL}"`,
      'tools',
    );
  const tool = {
    name: JSON_TOOL,
    description: 'Give the answer as a JSON object: its input is the whole answer.',
    input_schema: { type: 'object' as const },
  };
  const disable = request.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const clientTools = request.tool_choice === 'none' ? [] : (body.tools ?? []);
  body.tools = [...clientTools, tool];
  if (clientTools.length === 0) body.tool_choice = { type: 'tool', name: JSON_TOOL };
  else if (body.tool_choice?.type !== 'tool') body.tool_choice = { type: 'any', ...disable };
}

/**
 * The Messages API body for a canonical request. System messages move to `system`; tool results
 * become user turns; consecutive turns of one role are merged, because the API alternates roles.
 */
export function toAnthropicRequest(request: ChatRequest, stream: boolean): AnthropicRequest {
  if (request.n !== undefined && request.n !== 1) throw badRequest('only n = 1 is supported', 'n');
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? defaultMaxTokens(request.model);
  const thinking = thinkingFor(request, maxTokens, wantsJsonTool(request));
  const system: { type: 'text'; text: string }[] = [];
  const messages: AnthropicMessage[] = [];
  let current: { role: 'user' | 'assistant'; blocks: AnthropicContentBlock[] } | undefined;
  const flush = () => {
    if (!current || current.blocks.length === 0) return;
    const only = current.blocks[0];
    // A lone text block goes as a plain string: the shorthand the API documents.
    const content = current.blocks.length === 1 && only?.type === 'text' ? only.text : current.blocks;
    messages.push({ role: current.role, content });
  };
  for (const message of request.messages) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push({ type: 'text', text: textOf(message.content) });
      continue;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = blocksOf(message, thinking !== undefined);
    if (current?.role === role) current.blocks.push(...blocks);
    else {
      flush();
      current = { role, blocks };
    }
  }
  flush();

  const body: AnthropicRequest = { model: request.model, max_tokens: maxTokens, messages };
  if (thinking) body.thinking = thinking;
  if (system.length > 0) body.system = system;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(({ function: tool }) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: tool.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const choice = body.tools ? toolChoice(request.tool_choice, request.parallel_tool_calls) : undefined;
  if (choice) body.tool_choice = choice;
  if (wantsJsonTool(request)) addJsonTool(body, request);
  if (request.stop !== undefined)
    body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  // Models newer than Claude Opus 4.6 answer 400 to any sampling setting. The neutral value (1,
  // which some clients send by habit) changes nothing and is left out; any other is refused by
  // name before the call, never dropped silently.
  if (acceptsSampling(request.model)) {
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.top_p !== undefined) body.top_p = request.top_p;
  } else {
    for (const name of ['temperature', 'top_p'] as const) {
      const value = request[name];
      if (value !== undefined && value !== null && value !== 1)
        throw unsupportedSampling(request.model, name);
    }
  }
  if (request.user) body.metadata = { user_id: request.user };
  const format = request.response_format;
  // A schema is output_config.format, Anthropic's own structured output; a JSON object without a
  // schema (which output_config cannot express) is the forced `json` tool added above.
  if (format?.type === 'json_schema' && format.json_schema.schema) {
    body.output_config = { format: { type: 'json_schema', schema: format.json_schema.schema } };
  }
  if (stream) body.stream = true;
  return body;
}
