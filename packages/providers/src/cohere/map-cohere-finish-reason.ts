import {
  type FinishReason,
  type ProviderError,
  TimeoutError,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';

/** Cohere's `finish_reason` (`COMPLETE`, `MAX_TOKENS`...) as OpenAI's. */
export function mapCohereFinishReason(reason: string | undefined | null): FinishReason | null {
  switch (reason) {
    case 'COMPLETE':
    case 'STOP_SEQUENCE':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'TOOL_CALL':
      return 'tool_calls';
    case undefined:
    case null:
      return null;
    default:
      return 'stop';
  }
}

/** The error a generation that ended in `ERROR` or `TIMEOUT` stands for; undefined when it finished. */
export function cohereFinishError(
  reason: string | undefined | null,
  detail: string | undefined,
): ProviderError | undefined {
  if (reason === 'ERROR') {
    return new UpstreamUnavailableError(`Cohere: the generation failed${detail ? ` (${detail})` : ''}`, {
      provider: 'cohere',
      ...(detail ? { upstreamMessage: detail } : {}),
    });
  }
  if (reason === 'TIMEOUT')
    return new TimeoutError('Cohere: the generation timed out upstream', { provider: 'cohere' });
  return undefined;
}
