import { type ChatParameters, COMMON_CHAT_PARAMETERS } from '@switchboard/provider-spec';
import { REASONING_EFFORTS } from '../shared/reasoning-budget.ts';

/** The chat parameters the Gemini adapter honours (it builds its own generateContent body). */
export const geminiChatParameters: ChatParameters = {
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
    // A named tool is mode ANY with allowedFunctionNames.
    tool_choice: 'native',
    // Gemini decides how many calls to make; only the default can be honoured.
    parallel_tool_calls: { values: [true] },
    response_format: 'native',
    // generationConfig.thinkingConfig: a budget from decision 0030's table, thoughts included.
    reasoning_effort: { values: REASONING_EFFORTS },
  },
  others: 'unsupported',
};
