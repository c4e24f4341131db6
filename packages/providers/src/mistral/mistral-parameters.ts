import type { ChatParameters } from '@switchboard/provider-spec';

/**
 * The chat parameters Mistral's adapter changes or leaves out; the rest reach Mistral, which
 * answers 422 for a field it does not know.
 */
export const mistralChatParameters: ChatParameters = {
  known: {
    user: 'advisory',
    metadata: 'advisory',
    store: { values: [false] },
    logprobs: { values: [false] },
    top_logprobs: { values: [0] },
    logit_bias: 'unsupported',
    // Sent as max_tokens and random_seed.
    max_completion_tokens: 'native',
    seed: 'native',
  },
  others: 'passed',
};
