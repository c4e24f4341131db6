// The Responses API request (POST /v1/responses), validated and translated to the chat
// completions request every adapter speaks. Earlier turns (`previous_response_id`) and items
// referenced by id (`item_reference`) are looked up by the caller and passed in already resolved.
import type {
  ChatContentPart,
  ChatMessage,
  ChatRequest,
  ChatResponseFormat,
  ChatTool,
  ChatToolChoice,
} from '@switchboard/provider-spec';
import { GatewayError, invalidRequest } from '../errors.ts';

type Json = Record<string, unknown>;

/** A Responses API input item (message, function_call, function_call_output, reasoning, …), as sent. */
export type InputItem = Json;

/** The request, validated; `input` still holds `item_reference`s until they are resolved. */
export interface ResponsesRequest {
  model: string | undefined;
  input: InputItem[];
  instructions: string | null;
  tools: ResponsesFunctionTool[];
  toolChoice: ChatToolChoice | undefined;
  format: ChatResponseFormat | undefined;
  maxOutputTokens: number | null;
  temperature: number | null;
  topP: number | null;
  parallelToolCalls: boolean | undefined;
  stream: boolean;
  store: boolean;
  previousResponseId: string | null;
  metadata: Record<string, string>;
  reasoningEffort: string | undefined;
  user: string | undefined;
  /** The body as sent, for the echo of settings in the response object. */
  body: Json;
}

/** A function tool in the Responses shape (flat: `name` beside `type`). */
export interface ResponsesFunctionTool {
  type: 'function';
  name: string;
  description?: string | null;
  parameters?: Json | null;
  strict?: boolean | null;
}

// Parameters that ask for something a translation to chat completions cannot do. Refused by
// name, never dropped silently; everything else the API defines is honoured or has no effect
// on the answer (`include`, `truncation`, `service_tier`, `prompt_cache_key`, …).
const UNSUPPORTED: Record<string, (value: unknown) => boolean> = {
  background: (value) => value === true,
  conversation: (value) => value !== undefined && value !== null,
  prompt: (value) => value !== undefined && value !== null,
  max_tool_calls: (value) => value !== undefined && value !== null,
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalNumber(body: Json, name: string, min: number, max: number): number | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidRequest(`${name} must be a number from ${min} to ${max}`, name);
  }
  return value;
}

function optionalString(body: Json, name: string): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalidRequest(`${name} must be a string`, name);
  return value;
}

function optionalBoolean(body: Json, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`${name} must be true or false`, name);
  return value;
}

/** Validates a POST /v1/responses body. */
export function parseResponsesRequest(body: Json): ResponsesRequest {
  for (const [name, isUsed] of Object.entries(UNSUPPORTED)) {
    if (isUsed(body[name])) {
      throw invalidRequest(`${name} is not supported by this gateway`, name, 'unsupported_parameter');
    }
  }
  const model = body.model;
  if (model !== undefined && model !== null && typeof model !== 'string') {
    throw invalidRequest('model must be a string such as "openai/gpt-4o-mini"', 'model');
  }
  const previousResponseId = optionalString(body, 'previous_response_id');
  const input = parseInput(body.input, previousResponseId !== null);
  const maxOutputTokens = optionalNumber(body, 'max_output_tokens', 1, Number.MAX_SAFE_INTEGER);
  if (maxOutputTokens !== null && !Number.isInteger(maxOutputTokens)) {
    throw invalidRequest('max_output_tokens must be a whole number', 'max_output_tokens');
  }
  const reasoning = body.reasoning;
  if (reasoning !== undefined && reasoning !== null && !isObject(reasoning)) {
    throw invalidRequest('reasoning must be an object', 'reasoning');
  }
  const effort = reasoning?.effort;
  if (effort !== undefined && effort !== null && typeof effort !== 'string') {
    throw invalidRequest('reasoning.effort must be a string', 'reasoning.effort');
  }
  const metadata = body.metadata ?? {};
  if (!isObject(metadata) || Object.values(metadata).some((value) => typeof value !== 'string')) {
    throw invalidRequest('metadata must be an object of strings', 'metadata');
  }
  return {
    model: model === '' || model === null ? undefined : (model as string | undefined),
    input,
    instructions: optionalString(body, 'instructions'),
    tools: parseTools(body.tools),
    toolChoice: parseToolChoice(body.tool_choice),
    format: parseFormat(body.text),
    maxOutputTokens,
    temperature: optionalNumber(body, 'temperature', 0, 2),
    topP: optionalNumber(body, 'top_p', 0, 1),
    parallelToolCalls: optionalBoolean(body, 'parallel_tool_calls'),
    stream: optionalBoolean(body, 'stream') ?? false,
    store: optionalBoolean(body, 'store') ?? true,
    previousResponseId,
    metadata: metadata as Record<string, string>,
    reasoningEffort: (effort as string | null | undefined) ?? undefined,
    user: optionalString(body, 'safety_identifier') ?? optionalString(body, 'user') ?? undefined,
    body,
  };
}

function parseInput(input: unknown, continuing: boolean): InputItem[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  if (input === undefined || input === null) {
    if (continuing) return [];
    throw invalidRequest('input is required: a string or an array of input items', 'input');
  }
  if (!Array.isArray(input))
    throw invalidRequest('input must be a string or an array of input items', 'input');
  input.forEach((item, index) => {
    if (!isObject(item)) throw invalidRequest(`input[${index}] must be an object`, `input[${index}]`);
  });
  return input as InputItem[];
}

function parseTools(tools: unknown): ResponsesFunctionTool[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw invalidRequest('tools must be an array', 'tools');
  return tools.map((tool, index) => {
    const param = `tools[${index}]`;
    if (!isObject(tool)) throw invalidRequest(`${param} must be an object`, param);
    if (tool.type !== 'function') {
      throw invalidRequest(
        `${param}.type "${String(tool.type)}" is not supported by this gateway: only function tools are`,
        `${param}.type`,
        'unsupported_parameter',
      );
    }
    if (typeof tool.name !== 'string' || tool.name === '') {
      throw invalidRequest(`${param}.name must be a non-empty string`, `${param}.name`);
    }
    if (tool.parameters !== undefined && tool.parameters !== null && !isObject(tool.parameters)) {
      throw invalidRequest(`${param}.parameters must be a JSON schema object`, `${param}.parameters`);
    }
    return tool as unknown as ResponsesFunctionTool;
  });
}

function parseToolChoice(choice: unknown): ChatToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') {
    return { type: 'function', function: { name: choice.name } };
  }
  throw invalidRequest(
    'tool_choice must be "auto", "none", "required" or { "type": "function", "name": … }',
    'tool_choice',
  );
}

function parseFormat(text: unknown): ChatResponseFormat | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) throw invalidRequest('text must be an object', 'text');
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) throw invalidRequest('text.format must be an object', 'text.format');
  switch (format.type) {
    case 'text':
      return undefined;
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      if (typeof format.name !== 'string' || format.name === '') {
        throw invalidRequest('text.format.name must be a non-empty string', 'text.format.name');
      }
      if (!isObject(format.schema)) {
        throw invalidRequest('text.format.schema must be a JSON schema object', 'text.format.schema');
      }
      return {
        type: 'json_schema',
        json_schema: {
          name: format.name,
          schema: format.schema,
          ...(typeof format.description === 'string' ? { description: format.description } : {}),
          ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}),
        },
      };
    }
    default:
      throw invalidRequest(
        'text.format.type must be "text", "json_object" or "json_schema"',
        'text.format.type',
      );
  }
}

/** The `item_reference` ids in the input, to be looked up before translation. */
export function referencedIds(input: InputItem[]): string[] {
  const ids: string[] = [];
  input.forEach((item, index) => {
    if (item.type !== 'item_reference') return;
    if (typeof item.id !== 'string' || item.id === '') {
      throw invalidRequest(
        `input[${index}].id must be the id of an earlier output item`,
        `input[${index}].id`,
      );
    }
    ids.push(item.id);
  });
  return ids;
}

/** OpenAI's answer to an id the workspace has no stored item or response for. */
export function notFoundError(kind: 'Item' | 'Response', id: string, param: string | null): GatewayError {
  return new GatewayError(
    404,
    'invalid_request_error',
    'not_found',
    `${kind} with id '${id}' not found.`,
    param,
  );
}

/**
 * Translates the conversation (earlier turns first, references resolved) and the settings into
 * a chat completions request for `model` (the provider's model id).
 */
export function toChatRequest(request: ResponsesRequest, items: InputItem[], model: string): ChatRequest {
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  items.forEach((item, index) => {
    appendItem(messages, item, `input[${index}]`);
  });
  if (messages.length === 0) throw invalidRequest('input must contain at least one message', 'input');
  const chat: ChatRequest = { model, messages };
  if (request.tools.length > 0) chat.tools = request.tools.map(toChatTool);
  if (request.toolChoice !== undefined) chat.tool_choice = request.toolChoice;
  if (request.parallelToolCalls !== undefined) chat.parallel_tool_calls = request.parallelToolCalls;
  if (request.format) chat.response_format = request.format;
  if (request.maxOutputTokens !== null) chat.max_completion_tokens = request.maxOutputTokens;
  if (request.temperature !== null) chat.temperature = request.temperature;
  if (request.topP !== null) chat.top_p = request.topP;
  if (request.reasoningEffort !== undefined) chat.reasoning_effort = request.reasoningEffort;
  if (request.user !== undefined) chat.user = request.user;
  return chat;
}

function toChatTool(tool: ResponsesFunctionTool): ChatTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parameters ? { parameters: tool.parameters } : {}),
      ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
    },
  };
}

function appendItem(messages: ChatMessage[], item: InputItem, param: string): void {
  const type = item.type ?? 'message';
  switch (type) {
    case 'message':
      appendMessage(messages, item, param);
      return;
    case 'function_call': {
      if (typeof item.call_id !== 'string' || typeof item.name !== 'string') {
        throw invalidRequest(`${param} needs call_id and name`, param);
      }
      const call = {
        id: item.call_id,
        type: 'function' as const,
        function: { name: item.name, arguments: typeof item.arguments === 'string' ? item.arguments : '{}' },
      };
      // Calls made in one turn belong to one assistant message, after any text of that turn.
      const last = messages[messages.length - 1];
      if (last?.role === 'assistant') {
        last.tool_calls = [...(last.tool_calls ?? []), call];
      } else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      return;
    }
    case 'function_call_output': {
      if (typeof item.call_id !== 'string')
        throw invalidRequest(`${param}.call_id is required`, `${param}.call_id`);
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output, param) });
      return;
    }
    case 'reasoning':
      // Reasoning is the model's own scratch work: chat completions take none back.
      return;
    default:
      throw invalidRequest(
        `${param}.type "${String(type)}" is not supported by this gateway`,
        `${param}.type`,
        'unsupported_parameter',
      );
  }
}

function appendMessage(messages: ChatMessage[], item: InputItem, param: string): void {
  const role = item.role;
  const content = item.content;
  if (role === 'assistant') {
    const text = typeof content === 'string' ? content : assistantText(content, param);
    messages.push({ role: 'assistant', content: text });
    return;
  }
  if (role !== 'user' && role !== 'system' && role !== 'developer') {
    throw invalidRequest(`${param}.role must be user, assistant, system or developer`, `${param}.role`);
  }
  if (typeof content === 'string') {
    messages.push({ role, content });
    return;
  }
  if (!Array.isArray(content)) {
    throw invalidRequest(`${param}.content must be a string or an array of parts`, `${param}.content`);
  }
  const parts = content.map((part, index) => toChatPart(part, `${param}.content[${index}]`));
  // Text alone travels as a string: every chat upstream takes that, not all take parts.
  const onlyText = parts.every((part) => part.type === 'text');
  if (role === 'user' && !onlyText) messages.push({ role, content: parts });
  else
    messages.push({ role, content: parts.map((part) => (part.type === 'text' ? part.text : '')).join('') });
}

function assistantText(content: unknown, param: string): string {
  if (!Array.isArray(content)) {
    throw invalidRequest(`${param}.content must be a string or an array of parts`, `${param}.content`);
  }
  return content
    .map((part) => {
      if (!isObject(part)) return '';
      if (part.type === 'output_text' || part.type === 'input_text') return String(part.text ?? '');
      if (part.type === 'refusal') return String(part.refusal ?? '');
      return '';
    })
    .join('');
}

function toChatPart(part: unknown, param: string): ChatContentPart {
  if (!isObject(part)) throw invalidRequest(`${param} must be an object`, param);
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (typeof part.text !== 'string')
        throw invalidRequest(`${param}.text must be a string`, `${param}.text`);
      return { type: 'text', text: part.text };
    case 'input_image': {
      if (typeof part.image_url !== 'string') {
        throw invalidRequest(
          `${param}.image_url must be a URL or a data URL (file_id images are not supported by this gateway)`,
          `${param}.image_url`,
        );
      }
      const detail = part.detail === 'low' || part.detail === 'high' ? part.detail : 'auto';
      return { type: 'image_url', image_url: { url: part.image_url, detail } };
    }
    case 'input_file': {
      if (typeof part.file_data !== 'string') {
        throw invalidRequest(
          `${param}.file_data is required (file_id files are not supported by this gateway)`,
          param,
        );
      }
      return {
        type: 'file',
        file: {
          file_data: part.file_data,
          ...(typeof part.filename === 'string' ? { filename: part.filename } : {}),
        },
      };
    }
    default:
      throw invalidRequest(`${param}.type "${String(part.type)}" is not supported`, `${param}.type`);
  }
}

function outputText(output: unknown, param: string): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) {
    return output.map((part) => (isObject(part) && typeof part.text === 'string' ? part.text : '')).join('');
  }
  throw invalidRequest(`${param}.output must be a string or an array of parts`, `${param}.output`);
}
