import * as vscode from 'vscode';
import type { ToolCallDelta } from '../try/chat-stream.ts';

/** An OpenAI chat message, as `/v1/chat/completions` takes it. */
export type OpenAIMessage =
  | { role: 'system' | 'user'; content: string | OpenAIContentPart[]; name?: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A part of a user message: text, or an image as a data URL. */
export type OpenAIContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string } };

/** VS Code's roles: User 1, Assistant 2, and System 3 (proposed in 1.105, sent by the chat view). */
const ASSISTANT_ROLE = 2;
const SYSTEM_ROLE = 3;

/** Model options passed on to the gateway as they are; others are VS Code's or another vendor's. */
const PASSED_OPTIONS = ['temperature', 'top_p', 'max_tokens', 'max_completion_tokens', 'stop', 'seed'];

function isText(part: unknown): part is { value: string } {
  return typeof (part as { value?: unknown })?.value === 'string';
}
function isToolCall(part: unknown): part is { callId: string; name: string; input: object } {
  const candidate = part as { callId?: unknown; name?: unknown; input?: unknown };
  return typeof candidate?.callId === 'string' && typeof candidate.name === 'string' && 'input' in candidate;
}
function isToolResult(part: unknown): part is { callId: string; content: unknown[] } {
  const candidate = part as { callId?: unknown; content?: unknown };
  return typeof candidate?.callId === 'string' && Array.isArray(candidate.content);
}
function isImage(part: unknown): part is { mimeType: string; data: Uint8Array } {
  const candidate = part as { mimeType?: unknown; data?: unknown };
  return (
    typeof candidate?.mimeType === 'string' &&
    candidate.mimeType.startsWith('image/') &&
    candidate.data instanceof Uint8Array
  );
}

/** The text of a tool result: its text parts, anything else as JSON. */
function resultText(content: readonly unknown[]): string {
  return content.map((part) => (isText(part) ? part.value : JSON.stringify(part))).join('');
}

/**
 * VS Code's request messages as OpenAI messages. A tool call becomes the assistant's
 * `tool_calls`, a tool result its own `tool` message (before the user's text, which follows it).
 */
export function toOpenAIMessages(
  messages: readonly vscode.LanguageModelChatRequestMessage[],
): OpenAIMessage[] {
  const out: OpenAIMessage[] = [];
  for (const message of messages) {
    const role = Number(message.role);
    if (role === ASSISTANT_ROLE) {
      const text = message.content
        .filter(isText)
        .map((part) => part.value)
        .join('');
      const calls = message.content.filter(isToolCall).map((part) => ({
        id: part.callId,
        type: 'function' as const,
        function: { name: part.name, arguments: JSON.stringify(part.input ?? {}) },
      }));
      out.push(
        calls.length > 0
          ? { role: 'assistant', content: text || null, tool_calls: calls }
          : { role: 'assistant', content: text },
      );
      continue;
    }
    for (const part of message.content)
      if (isToolResult(part))
        out.push({ role: 'tool', tool_call_id: part.callId, content: resultText(part.content) });
    const parts: OpenAIContentPart[] = [];
    for (const part of message.content) {
      if (isText(part)) parts.push({ type: 'text', text: part.value });
      else if (isImage(part))
        parts.push({
          type: 'image_url',
          image_url: { url: `data:${part.mimeType};base64,${Buffer.from(part.data).toString('base64')}` },
        });
    }
    if (parts.length === 0) continue;
    const content = parts.every((part) => part.type === 'text')
      ? parts.map((part) => (part.type === 'text' ? part.text : '')).join('')
      : parts;
    const name = message.name ? { name: message.name } : {};
    out.push({ role: role === SYSTEM_ROLE ? 'system' : 'user', content, ...name });
  }
  return out;
}

/** The body of a `/v1/chat/completions` request (without `stream`, which the sender adds). */
export function chatCompletionBody(
  gatewayModel: string,
  messages: readonly vscode.LanguageModelChatRequestMessage[],
  options: vscode.ProvideLanguageModelChatResponseOptions,
): Record<string, unknown> {
  const body: Record<string, unknown> = { model: gatewayModel, messages: toOpenAIMessages(messages) };
  if (options.tools && options.tools.length > 0) {
    body.tools = options.tools.map((tool) => ({
      type: 'function',
      function: {
        name: tool.name,
        description: tool.description,
        parameters: tool.inputSchema ?? { type: 'object', properties: {} },
      },
    }));
    if (options.toolMode === vscode.LanguageModelChatToolMode.Required) body.tool_choice = 'required';
  }
  for (const option of PASSED_OPTIONS)
    if (options.modelOptions?.[option] !== undefined) body[option] = options.modelOptions[option];
  return body;
}

/** A tool call whose pieces have all arrived. */
export interface CompletedToolCall {
  callId: string;
  name: string;
  input: object;
}

/** Puts streamed tool call pieces back together, by their index. */
export class ToolCallAssembler {
  readonly #calls = new Map<number, { id: string; name: string; arguments: string }>();

  /** Takes the pieces of one chunk. */
  add(deltas: readonly ToolCallDelta[]): void {
    for (const delta of deltas) {
      const call = this.#calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
      this.#calls.set(delta.index, call);
    }
  }

  /** The calls received so far, in index order, and forgets them; throws when arguments are not JSON. */
  take(): CompletedToolCall[] {
    const calls = [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    this.#calls.clear();
    return calls.map((call) => {
      let input: unknown;
      try {
        input = call.arguments.trim() ? JSON.parse(call.arguments) : {};
      } catch {
        throw new Error(`The model called ${call.name} with arguments that are not JSON`);
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw new Error(`The model called ${call.name} with arguments that are not a JSON object`);
      return { callId: call.id, name: call.name, input };
    });
  }
}
