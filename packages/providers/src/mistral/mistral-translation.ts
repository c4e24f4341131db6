import type { ChatCompletion, ChatCompletionChunk } from '@switchboard/provider-spec';
import type { ChunkRepair } from '../openai-compatible/index.ts';

// Mistral speaks the OpenAI wire with three differences that matter: it rejects
// fields it does not know (422), it names the seed `random_seed`, and it streams a
// tool call whole, without the `index` and `type` OpenAI clients key on.

const UNSUPPORTED = ['stream_options', 'user', 'store', 'metadata', 'logprobs', 'top_logprobs', 'logit_bias'];

/** The canonical chat body as Mistral accepts it. */
export function mistralChatBody(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const field of UNSUPPORTED) delete out[field];
  if (out.max_completion_tokens !== undefined) {
    out.max_tokens ??= out.max_completion_tokens;
    delete out.max_completion_tokens;
  }
  if (out.seed !== undefined) {
    out.random_seed ??= out.seed;
    delete out.seed;
  }
  return out;
}

/** Adds the `index` and `type` Mistral leaves out of streamed tool calls. */
export const mistralChunkRepair: ChunkRepair = {
  mayNeed: (text) => text.includes('"tool_calls"'),
  repair(chunk: ChatCompletionChunk) {
    let changed = false;
    for (const choice of chunk.choices ?? []) {
      choice.delta?.tool_calls?.forEach((call, position) => {
        if (typeof call.index !== 'number') {
          call.index = position;
          changed = true;
        }
        if (call.id && !call.type) {
          call.type = 'function';
          changed = true;
        }
      });
    }
    return changed;
  },
};

/** Adds the `type` Mistral may leave out of a completion's tool calls. */
export function mistralCompletionRepair(completion: ChatCompletion): boolean {
  let changed = false;
  for (const choice of completion.choices) {
    for (const call of choice.message.tool_calls ?? []) {
      if (!call.type) {
        call.type = 'function';
        changed = true;
      }
    }
  }
  return changed;
}
