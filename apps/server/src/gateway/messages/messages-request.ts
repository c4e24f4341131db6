// The Anthropic Messages API request (POST /v1/messages), validated and translated to the chat
// completions request every adapter speaks.
import type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatTool,
  ChatToolCall,
  ChatToolChoice,
} from '@switchboard/provider-spec';
import { invalidRequest } from '../errors.ts';

type Json = Record<string, unknown>;

/** A Messages API request, validated. */
export interface MessagesRequest {
  model: string | undefined;
  maxTokens: number;
  system: string | null;
  messages: { role: 'user' | 'assistant'; content: string | Json[] }[];
  tools: ChatTool[];
  toolChoice: ChatToolChoice | undefined;
  parallelToolCalls: boolean | undefined;
  stopSequences: string[];
  temperature: number | null;
  topP: number | null;
  reasoningEffort: string | undefined;
  user: string | undefined;
  stream: boolean;
}

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Parameters with no equivalent in a chat completion: refused by name rather than dropped.
// (`cache_control` and `service_tier` are hints that change cost, not the answer.)
const UNSUPPORTED = ['top_k', 'container', 'mcp_servers'] as const;

function number(body: Json, name: string, min: number, max: number): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(`${name}: must be a number from ${min} to ${max}`, name);
  }
  return value;
}

/** Validates a POST /v1/messages (or count_tokens) body. `max_tokens` is required unless counting. */
export function parseMessagesRequest(body: Json, counting = false): MessagesRequest {
  for (const name of UNSUPPORTED) {
    if (body[name] !== undefined && body[name] !== null) {
      throw invalidRequest(`${name}: is not supported by this gateway`, name, 'unsupported_parameter');
    }
  }
  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') {
    throw invalidRequest('model: must be a string such as "anthropic/claude-haiku-4-5-20251001"', 'model');
  }
  const maxTokens = body.max_tokens;
  if (!counting && (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1)) {
    throw invalidRequest('max_tokens: Field required (a whole number of at least 1)', 'max_tokens');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw invalidRequest('messages: must be a non-empty array', 'messages');
  }
  const messages = body.messages.map((message, index) => {
    const param = `messages.${index}`;
    if (!isObject(message)) throw invalidRequest(`${param}: must be an object`, param);
    if (message.role !== 'user' && message.role !== 'assistant') {
      throw invalidRequest(`${param}.role: must be "user" or "assistant"`, `${param}.role`);
    }
    const content = message.content;
    if (typeof content !== 'string' && !(Array.isArray(content) && content.every(isObject))) {
      throw invalidRequest(`${param}.content: must be a string or an array of blocks`, `${param}.content`);
    }
    return { role: message.role as 'user' | 'assistant', content: content as string | Json[] };
  });
  const stop = body.stop_sequences;
  if (stop !== undefined && !(Array.isArray(stop) && stop.every((item) => typeof item === 'string'))) {
    throw invalidRequest('stop_sequences: must be an array of strings', 'stop_sequences');
  }
  const metadata = body.metadata;
  const user = isObject(metadata) && typeof metadata.user_id === 'string' ? metadata.user_id : undefined;
  const { choice, parallel } = parseToolChoice(body.tool_choice);
  return {
    model: model === '' || model === null ? undefined : (model as string | undefined),
    maxTokens: typeof maxTokens === 'number' ? maxTokens : 0,
    system: parseSystem(body.system),
    messages,
    tools: parseTools(body.tools),
    toolChoice: choice,
    parallelToolCalls: parallel,
    stopSequences: (stop as string[] | undefined) ?? [],
    temperature: number(body, 'temperature', 0, 1),
    topP: number(body, 'top_p', 0, 1),
    reasoningEffort: parseThinking(body.thinking),
    user,
    stream: body.stream === true,
  };
}

function parseSystem(system: unknown): string | null {
  if (system === undefined || system === null) return null;
  if (typeof system === 'string') return system;
  if (Array.isArray(system) && system.every((block) => isObject(block) && block.type === 'text')) {
    return (system as Json[]).map((block) => String(block.text ?? '')).join('\n');
  }
  throw invalidRequest('system: must be a string or an array of text blocks', 'system');
}

function parseTools(tools: unknown): ChatTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidRequest('tools: must be an array', 'tools');
  return tools.map((tool, index) => {
    const param = `tools.${index}`;
    if (!isObject(tool)) throw invalidRequest(`${param}: must be an object`, param);
    if (tool.type !== undefined && tool.type !== 'custom') {
      throw invalidRequest(
        `${param}.type: "${String(tool.type)}" is a server tool, not supported by this gateway`,
        `${param}.type`,
        'unsupported_parameter',
      );
    }
    if (typeof tool.name !== 'string' || tool.name === '') {
      throw invalidRequest(`${param}.name: Field required`, `${param}.name`);
    }
    if (!isObject(tool.input_schema)) {
      throw invalidRequest(
        `${param}.input_schema: Field required (a JSON schema object)`,
        `${param}.input_schema`,
      );
    }
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        parameters: tool.input_schema,
        ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
      },
    };
  });
}

function parseToolChoice(choice: unknown): {
  choice: ChatToolChoice | undefined;
  parallel: boolean | undefined;
} {
  if (choice === undefined || choice === null) return { choice: undefined, parallel: undefined };
  if (!isObject(choice)) throw invalidRequest('tool_choice: must be an object', 'tool_choice');
  const parallel = choice.disable_parallel_tool_use === true ? false : undefined;
  switch (choice.type) {
    case 'auto':
      return { choice: 'auto', parallel };
    case 'any':
      return { choice: 'required', parallel };
    case 'none':
      return { choice: 'none', parallel };
    case 'tool':
      if (typeof choice.name !== 'string')
        throw invalidRequest('tool_choice.name: Field required', 'tool_choice.name');
      return { choice: { type: 'function', function: { name: choice.name } }, parallel };
    default:
      throw invalidRequest('tool_choice.type: must be auto, any, tool or none', 'tool_choice.type');
  }
}

/**
 * Extended thinking, as a reasoning effort for providers that take one: the budget's size picks
 * low, medium or high. `disabled` (or none) asks for nothing.
 */
function parseThinking(thinking: unknown): string | undefined {
  if (thinking === undefined || thinking === null) return undefined;
  if (!isObject(thinking)) throw invalidRequest('thinking: must be an object', 'thinking');
  if (thinking.type === 'disabled') return undefined;
  if (thinking.type === 'adaptive') return 'medium';
  if (thinking.type !== 'enabled')
    throw invalidRequest('thinking.type: must be enabled, disabled or adaptive', 'thinking.type');
  const budget = thinking.budget_tokens;
  if (typeof budget !== 'number' || budget < 1024) {
    throw invalidRequest('thinking.budget_tokens: must be at least 1024', 'thinking.budget_tokens');
  }
  return budget < 4096 ? 'low' : budget < 16_384 ? 'medium' : 'high';
}

/** The chat completions request for `model` (the provider's model id). */
export function toChatRequest(request: MessagesRequest, model: string): ChatRequest {
  const messages: ChatMessage[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  request.messages.forEach((message, index) => {
    if (message.role === 'user') appendUser(messages, message.content, `messages.${index}`);
    else appendAssistant(messages, message.content, `messages.${index}`);
  });
  const chat: ChatRequest = { model, messages };
  if (request.maxTokens > 0) chat.max_tokens = request.maxTokens;
  if (request.tools.length > 0) chat.tools = request.tools;
  if (request.toolChoice !== undefined) chat.tool_choice = request.toolChoice;
  if (request.parallelToolCalls !== undefined) chat.parallel_tool_calls = request.parallelToolCalls;
  if (request.stopSequences.length > 0) chat.stop = request.stopSequences;
  if (request.temperature !== null) chat.temperature = request.temperature;
  if (request.topP !== null) chat.top_p = request.topP;
  if (request.reasoningEffort !== undefined) chat.reasoning_effort = request.reasoningEffort;
  if (request.user !== undefined) chat.user = request.user;
  return chat;
}

/** A user turn: tool results become tool messages (first, answering the previous turn), the rest one user message. */
function appendUser(messages: ChatMessage[], content: string | Json[], param: string): void {
  if (typeof content === 'string') {
    messages.push({ role: 'user', content });
    return;
  }
  const parts: ChatContentPart[] = [];
  content.forEach((block, index) => {
    const blockParam = `${param}.content.${index}`;
    if (block.type === 'tool_result') {
      if (typeof block.tool_use_id !== 'string') {
        throw invalidRequest(`${blockParam}.tool_use_id: Field required`, `${blockParam}.tool_use_id`);
      }
      const text = toolResultText(block.content, blockParam);
      messages.push({
        role: 'tool',
        tool_call_id: block.tool_use_id,
        content: block.is_error === true ? `Error: ${text}` : text,
      });
      return;
    }
    parts.push(toChatPart(block, blockParam));
  });
  if (parts.length > 0) {
    const onlyText = parts.every((part) => part.type === 'text');
    messages.push({
      role: 'user',
      content: onlyText ? parts.map((part) => (part as { text: string }).text).join('\n') : parts,
    });
  }
}

function appendAssistant(messages: ChatMessage[], content: string | Json[], param: string): void {
  if (typeof content === 'string') {
    messages.push({ role: 'assistant', content });
    return;
  }
  let text = '';
  const calls: ChatToolCall[] = [];
  content.forEach((block, index) => {
    const blockParam = `${param}.content.${index}`;
    switch (block.type) {
      case 'text':
        text += String(block.text ?? '');
        return;
      case 'tool_use':
        if (typeof block.id !== 'string' || typeof block.name !== 'string') {
          throw invalidRequest(`${blockParam}: tool_use needs id and name`, blockParam);
        }
        calls.push({
          id: block.id,
          type: 'function',
          function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
        });
        return;
      case 'thinking':
      case 'redacted_thinking':
        // The model's own scratch work from an earlier turn: chat completions take none back.
        return;
      default:
        throw invalidRequest(
          `${blockParam}.type: "${String(block.type)}" is not supported in assistant turns`,
          `${blockParam}.type`,
        );
    }
  });
  messages.push({
    role: 'assistant',
    content: text === '' && calls.length > 0 ? null : text,
    ...(calls.length > 0 ? { tool_calls: calls } : {}),
  });
}

function toChatPart(block: Json, param: string): ChatContentPart {
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string')
        throw invalidRequest(`${param}.text: must be a string`, `${param}.text`);
      return { type: 'text', text: block.text };
    case 'image': {
      const source = block.source;
      if (isObject(source) && source.type === 'base64' && typeof source.data === 'string') {
        return {
          type: 'image_url',
          image_url: { url: `data:${String(source.media_type)};base64,${source.data}` },
        };
      }
      if (isObject(source) && source.type === 'url' && typeof source.url === 'string') {
        return { type: 'image_url', image_url: { url: source.url } };
      }
      throw invalidRequest(`${param}.source: must be a base64 or url image source`, `${param}.source`);
    }
    case 'document': {
      const source = block.source;
      if (isObject(source) && source.type === 'base64' && typeof source.data === 'string') {
        return {
          type: 'file',
          file: {
            file_data: `data:${String(source.media_type)};base64,${source.data}`,
            ...(typeof block.title === 'string' ? { filename: block.title } : {}),
          },
        };
      }
      if (isObject(source) && source.type === 'text' && typeof source.data === 'string') {
        return { type: 'text', text: source.data };
      }
      throw invalidRequest(`${param}.source: must be a base64 or text document source`, `${param}.source`);
    }
    default:
      throw invalidRequest(
        `${param}.type: "${String(block.type)}" is not supported in user turns`,
        `${param}.type`,
      );
  }
}

function toolResultText(content: unknown, param: string): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => (isObject(block) && block.type === 'text' ? String(block.text ?? '') : ''))
      .join('\n');
  }
  throw invalidRequest(`${param}.content: must be a string or an array of blocks`, `${param}.content`);
}

/**
 * A rough token count for `count_tokens` when the provider has no counting endpoint: about four
 * characters a token, as the providers' own guides estimate English text.
 */
export function estimateTokens(request: MessagesRequest): number {
  const text = JSON.stringify([request.system, request.messages, request.tools]);
  return Math.max(1, Math.ceil(text.length / 4));
}
