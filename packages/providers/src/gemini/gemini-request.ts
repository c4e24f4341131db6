import {
  BadRequestError,
  type ChatContentPart,
  type ChatRequest,
  type ChatToolChoice,
} from '@switchboard/provider-spec';
import { thinkingBudget } from '../shared/reasoning-budget.ts';

/** One part of a Gemini content (one key set per part). */
export interface GeminiPart {
  text?: string;
  thought?: boolean;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: { name: string; args?: Record<string, unknown>; id?: string };
  functionResponse?: { name: string; response: Record<string, unknown> };
  thoughtSignature?: string;
}

/** One turn of `contents`. */
export interface GeminiContent {
  role: 'user' | 'model';
  parts: GeminiPart[];
}

/** `generationConfig` (the fields Switchboard maps). */
export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  candidateCount?: number;
  responseMimeType?: string;
  responseJsonSchema?: Record<string, unknown>;
  /** Thinking, for reasoning_effort: a token budget (0 turns it off), thought summaries included. */
  thinkingConfig?: { thinkingBudget: number; includeThoughts?: boolean };
}

/** generateContent / streamGenerateContent body. */
export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: {
    functionDeclarations: {
      name: string;
      description?: string;
      parametersJsonSchema?: Record<string, unknown>;
    }[];
  }[];
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
}

// Documented sentinel for replayed function calls whose thought signature was lost, as it
// always is in an OpenAI-format history; Gemini 3 models reject the call without one.
const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  heic: 'image/heic',
  pdf: 'application/pdf',
};

const badRequest = (message: string, field: string) =>
  new BadRequestError(`Gemini: ${message}`, { provider: 'gemini', field });

function dataUrl(url: string): { mimeType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  const marker = url.lastIndexOf(';base64', comma);
  if (comma === -1 || marker === -1) return undefined;
  return { mimeType: url.slice(5, marker), data: url.slice(comma + 1) };
}

function mimeTypeOfUrl(url: string): string {
  const path = url.split('?')[0] ?? url;
  const extension = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return IMAGE_TYPES[extension] ?? 'image/jpeg';
}

function toPart(part: ChatContentPart): GeminiPart {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image_url': {
      const inline = dataUrl(part.image_url.url);
      return inline
        ? { inlineData: inline }
        : { fileData: { mimeType: mimeTypeOfUrl(part.image_url.url), fileUri: part.image_url.url } };
    }
    case 'input_audio':
      return {
        inlineData: {
          mimeType: part.input_audio.format === 'mp3' ? 'audio/mp3' : 'audio/wav',
          data: part.input_audio.data,
        },
      };
    case 'file': {
      const inline = part.file.file_data ? dataUrl(part.file.file_data) : undefined;
      if (!inline) throw badRequest('files must be sent inline as a data: URL', 'messages');
      return { inlineData: inline };
    }
    default:
      throw badRequest('unsupported content part', 'messages');
  }
}

function toParts(content: string | ChatContentPart[] | null | undefined): GeminiPart[] {
  if (content === null || content === undefined || content === '') return [];
  if (typeof content === 'string') return [{ text: content }];
  return content.map(toPart);
}

function textOf(content: string | ChatContentPart[]): string {
  if (typeof content === 'string') return content;
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return text;
}

function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below with the field at fault.
  }
  throw badRequest('tool call arguments must be a JSON object', 'messages');
}

function toolConfig(choice: ChatToolChoice | undefined): GeminiRequest['toolConfig'] {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } };
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } };
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } };
  return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
}

/**
 * The generateContent body for a canonical request. System messages become `systemInstruction`,
 * tool results become functionResponse parts of a user turn (their names found from the earlier
 * calls, since Gemini pairs by name), and consecutive turns of one role are merged.
 */
export function toGeminiRequest(request: ChatRequest): GeminiRequest {
  const systemParts: { text: string }[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const signCalls = request.model.startsWith('gemini-3');
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  for (const message of request.messages) {
    switch (message.role) {
      case 'system':
      case 'developer':
        systemParts.push({ text: textOf(message.content) });
        break;
      case 'user':
        push('user', toParts(message.content));
        break;
      case 'assistant': {
        const parts = toParts(message.content);
        let first = true;
        for (const call of message.tool_calls ?? []) {
          toolNames.set(call.id, call.function.name);
          const part: GeminiPart = {
            functionCall: { name: call.function.name, args: parseArguments(call.function.arguments) },
          };
          if (signCalls && first) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
          first = false;
          parts.push(part);
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = toolNames.get(message.tool_call_id);
        if (!name) throw badRequest(`no earlier tool call has the id "${message.tool_call_id}"`, 'messages');
        push('user', [{ functionResponse: { name, response: { name, content: textOf(message.content) } } }]);
        break;
      }
    }
  }

  const body: GeminiRequest = { contents };
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  if (request.tools && request.tools.length > 0) {
    body.tools = [
      {
        // parametersJsonSchema takes the client's JSON Schema as it is; `parameters` wants
        // Google's OpenAPI subset and rejects common keywords such as additionalProperties.
        functionDeclarations: request.tools.map(({ function: tool }) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          ...(tool.parameters === undefined ? {} : { parametersJsonSchema: tool.parameters }),
        })),
      },
    ];
  }
  const config = toolConfig(request.tool_choice);
  if (config && body.tools) body.toolConfig = config;

  const generation: GeminiGenerationConfig = {};
  if (request.temperature !== undefined) generation.temperature = request.temperature;
  if (request.top_p !== undefined) generation.topP = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) generation.maxOutputTokens = maxTokens;
  if (request.stop !== undefined)
    generation.stopSequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) generation.seed = request.seed;
  if (request.presence_penalty !== undefined) generation.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) generation.frequencyPenalty = request.frequency_penalty;
  if (request.n !== undefined && request.n !== 1) throw badRequest('only n = 1 is supported', 'n');
  const format = request.response_format;
  if (format?.type === 'json_object') generation.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    generation.responseMimeType = 'application/json';
    // responseJsonSchema, like parametersJsonSchema, accepts standard JSON Schema unchanged.
    if (format.json_schema.schema) generation.responseJsonSchema = format.json_schema.schema;
  }
  // maxOutputTokens covers thinking as well, as OpenAI's max_completion_tokens covers reasoning.
  const budget = thinkingBudget(request.reasoning_effort);
  if (budget === 0) generation.thinkingConfig = { thinkingBudget: 0 };
  else if (budget !== undefined)
    generation.thinkingConfig = { thinkingBudget: budget, includeThoughts: true };
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  return body;
}
