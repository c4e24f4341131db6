import { type ChatParameters, COMMON_CHAT_PARAMETERS } from '@switchboard/provider-spec';

/** The chat parameters the Ollama adapter honours (it builds its own /api/chat body). */
export const ollamaChatParameters: ChatParameters = {
  known: {
    ...COMMON_CHAT_PARAMETERS,
    max_tokens: 'native',
    max_completion_tokens: 'native',
    temperature: 'native',
    top_p: 'native',
    stop: 'native',
    seed: 'native',
    presence_penalty: 'native',
    frequency_penalty: 'native',
    tools: 'native',
    // Ollama has no tool_choice: 'none' offers no tools, a named tool is offered alone. It cannot
    // force a call, so 'required' is refused.
    tool_choice: { values: ['none', 'auto', { type: 'function' }] },
    // Ollama has no such switch: with false, only the answer's first tool call is returned.
    parallel_tool_calls: 'emulated',
    response_format: 'native',
    // Sent as `think` (a level for models that take one, such as gpt-oss).
    reasoning_effort: 'native',
    // Ollama's own knobs, sent as they are.
    keep_alive: 'native',
    think: 'native',
  },
  others: 'unsupported',
};
