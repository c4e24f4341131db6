import {
  BadRequestError,
  type ChatContentPart,
  type ChatMessage,
  type ChatRequest,
  type ChatTool,
} from '@switchboard/provider-spec';

/** A content part Cohere v2 accepts in a message. */
type CohereContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

/** One message of a Cohere v2 chat request. */
export type CohereMessage =
  | { role: 'system'; content: string | CohereContentPart[] }
  | { role: 'user'; content: string | CohereContentPart[] }
  | {
      role: 'assistant';
      content?: string;
      tool_plan?: string;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string | CohereContentPart[] };

/** The body of `POST /v2/chat`. */
export interface CohereChatBody {
  model: string;
  messages: CohereMessage[];
  stream: boolean;
  tools?: {
    type: 'function';
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }[];
  strict_tools?: boolean;
  tool_choice?: 'REQUIRED' | 'NONE';
  response_format?: { type: 'text' } | { type: 'json_object'; json_schema?: Record<string, unknown> };
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  p?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
}

const badRequest = (message: string, field: string) =>
  new BadRequestError(`Cohere: ${message}`, { provider: 'cohere', field });

function contentParts(
  content: string | ChatContentPart[],
  imagesAllowed: boolean,
): string | CohereContentPart[] {
  if (typeof content === 'string') return content;
  return content.map((part): CohereContentPart => {
    if (part.type === 'text') return { type: 'text', text: part.text };
    if (part.type === 'image_url' && imagesAllowed) {
      const { url, detail } = part.image_url;
      return { type: 'image_url', image_url: detail ? { url, detail } : { url } };
    }
    throw badRequest(`a ${part.type} content part cannot be sent to Cohere in this message`, 'messages');
  });
}

function textOf(content: string | ChatContentPart[] | null | undefined): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => {
      if (part.type !== 'text')
        throw badRequest(`an assistant message cannot hold a ${part.type} part`, 'messages');
      return part.text;
    })
    .join('');
}

function toCohereMessage(message: ChatMessage): CohereMessage {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: contentParts(message.content, false) };
    case 'user':
      return { role: 'user', content: contentParts(message.content, true) };
    case 'tool':
      return {
        role: 'tool',
        tool_call_id: message.tool_call_id,
        content: contentParts(message.content, false),
      };
    case 'assistant': {
      const text = textOf(message.content);
      if (!message.tool_calls?.length) return { role: 'assistant', content: text };
      // Cohere keeps the words before a tool call in `tool_plan`; they come back the same way.
      return {
        role: 'assistant',
        ...(text ? { tool_plan: text } : {}),
        tool_calls: message.tool_calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.function.name, arguments: call.function.arguments },
        })),
      };
    }
  }
}

function toCohereTools(tools: ChatTool[]): NonNullable<CohereChatBody['tools']> {
  return tools.map(({ function: fn }) => ({
    type: 'function',
    function: {
      name: fn.name,
      ...(fn.description === undefined ? {} : { description: fn.description }),
      ...(fn.parameters === undefined ? {} : { parameters: fn.parameters }),
    },
  }));
}

/** Translates an OpenAI chat request into Cohere v2's `/v2/chat` body. */
export function toCohereChatBody(request: ChatRequest, stream: boolean): CohereChatBody {
  if (request.n !== undefined && request.n > 1) throw badRequest('only one choice (n = 1) is supported', 'n');
  const body: CohereChatBody = {
    model: request.model,
    messages: request.messages.map(toCohereMessage),
    stream,
  };

  let tools = request.tools;
  const choice = request.tool_choice;
  if (choice === 'none') body.tool_choice = 'NONE';
  else if (choice === 'required') body.tool_choice = 'REQUIRED';
  else if (typeof choice === 'object') {
    // Cohere cannot name the tool to call: offering only that tool, and requiring a call, is the same thing.
    tools = tools?.filter((tool) => tool.function.name === choice.function.name);
    if (!tools?.length)
      throw badRequest(`tool_choice names an unknown tool "${choice.function.name}"`, 'tool_choice');
    body.tool_choice = 'REQUIRED';
  }
  if (tools?.length) {
    body.tools = toCohereTools(tools);
    if (tools.some((tool) => tool.function.strict)) body.strict_tools = true;
  }

  const format = request.response_format;
  if (format?.type === 'text') body.response_format = { type: 'text' };
  else if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  else if (format?.type === 'json_schema') {
    const schema = format.json_schema.schema;
    body.response_format = schema ? { type: 'json_object', json_schema: schema } : { type: 'json_object' };
  }

  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (request.stop !== undefined)
    body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.top_p !== undefined) body.p = request.top_p;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.frequency_penalty !== undefined) body.frequency_penalty = request.frequency_penalty;
  if (request.presence_penalty !== undefined) body.presence_penalty = request.presence_penalty;
  return body;
}
