import {
  BadRequestError,
  type ChatContentPart,
  type ChatMessage,
  type ChatRequest,
} from '@switchboard/provider-spec';
import type { OllamaChatRequest, OllamaMessage, OllamaOptions, OllamaToolCall } from './ollama-wire.ts';

const invalid = (message: string, field: string) =>
  new BadRequestError(`Ollama: ${message}`, { provider: 'ollama', field });

/** `data:image/png;base64,AAAA` to `AAAA`; Ollama takes images only inline, as bare base64. */
function imageData(url: string): string {
  const match = /^data:[^;,]*(?:;[^;,]*)*;base64,/i.exec(url);
  if (!match)
    throw invalid('images must be sent as base64 data: URLs, Ollama cannot fetch image links', 'messages');
  return url.slice(match[0].length);
}

/** Splits canonical content into Ollama's text and images. */
function contentOf(content: string | ChatContentPart[] | null | undefined): {
  text: string;
  images: string[];
} {
  if (content === null || content === undefined) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'image_url') images.push(imageData(part.image_url.url));
    else throw invalid(`content parts of type '${part.type}' are not supported`, 'messages');
  }
  return { text: texts.join('\n'), images };
}

function parseArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Reported below, with the field.
  }
  throw invalid('tool call arguments must be a JSON object', 'messages');
}

function toOllamaMessages(messages: ChatMessage[]): OllamaMessage[] {
  // Ollama's templates name a tool result by the function's name, which OpenAI leaves on the call only.
  const toolNames = new Map<string, string>();
  return messages.map((message): OllamaMessage => {
    const { text, images } = contentOf(message.content);
    const withImages = images.length > 0 ? { images } : {};
    switch (message.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text, ...withImages };
      case 'user':
        return { role: 'user', content: text, ...withImages };
      case 'assistant': {
        const calls = message.tool_calls?.map((call, index): OllamaToolCall => {
          toolNames.set(call.id, call.function.name);
          return {
            id: call.id,
            function: { index, name: call.function.name, arguments: parseArguments(call.function.arguments) },
          };
        });
        return {
          role: 'assistant',
          content: text,
          ...withImages,
          ...(calls?.length ? { tool_calls: calls } : {}),
        };
      }
      case 'tool': {
        const name = toolNames.get(message.tool_call_id);
        return {
          role: 'tool',
          content: text,
          tool_call_id: message.tool_call_id,
          ...(name ? { tool_name: name } : {}),
        };
      }
      default:
        throw invalid(`unknown message role '${(message as { role: string }).role}'`, 'messages');
    }
  });
}

function toOptions(request: ChatRequest): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.top_p !== undefined) options.top_p = request.top_p;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) options.num_predict = maxTokens;
  if (request.stop !== undefined)
    options.stop = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presence_penalty !== undefined) options.presence_penalty = request.presence_penalty;
  if (request.frequency_penalty !== undefined) options.frequency_penalty = request.frequency_penalty;
  return Object.keys(options).length > 0 ? options : undefined;
}

/** OpenAI's reasoning effort as Ollama's `think`: off for 'none', else the level (gpt-oss reads it). */
function thinkOf(effort: string): boolean | string {
  if (effort === 'none') return false;
  return effort === 'minimal' ? 'low' : effort;
}

/** Translates a canonical chat request into Ollama's `/api/chat` body. */
export function toOllamaChatRequest(request: ChatRequest, stream: boolean): OllamaChatRequest {
  if (request.n !== undefined && request.n !== 1) throw invalid('only one choice (n = 1) is supported', 'n');
  const body: OllamaChatRequest = {
    model: request.model,
    messages: toOllamaMessages(request.messages),
    stream,
  };
  // Ollama has no tool_choice: 'none' is honoured by not offering the tools at all, a named
  // tool by offering it alone ('required' is refused by the adapter's parameter declaration).
  const choice = request.tool_choice;
  let tools = request.tools;
  if (typeof choice === 'object' && choice !== null) {
    tools = tools?.filter((tool) => tool.function.name === choice.function?.name);
    if (!tools?.length)
      throw invalid(`tool_choice names an unknown tool "${choice.function?.name}"`, 'tool_choice');
  }
  if (tools?.length && choice !== 'none') {
    body.tools = tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.function.name,
        ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
        ...(tool.function.parameters !== undefined ? { parameters: tool.function.parameters } : {}),
      },
    }));
  }
  const format = request.response_format;
  if (format?.type === 'json_object') body.format = 'json';
  else if (format?.type === 'json_schema') body.format = format.json_schema.schema ?? { type: 'object' };
  const options = toOptions(request);
  if (options) body.options = options;
  // Ollama-specific knobs a client may add to an OpenAI-shaped request.
  if (typeof request.keep_alive === 'string' || typeof request.keep_alive === 'number') {
    body.keep_alive = request.keep_alive;
  }
  if (typeof request.think === 'boolean' || typeof request.think === 'string') body.think = request.think;
  else if (typeof request.reasoning_effort === 'string') body.think = thinkOf(request.reasoning_effort);
  return body;
}
