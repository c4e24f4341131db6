import { type FakeUpstream, fixture, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, type ProviderAdapter } from '@switchboard/provider-spec';
import { contextFor, failure, isolatedAdapter } from '../../test/provider-test-kit.ts';
import { createOllamaAdapter } from './index.ts';

const answer = JSON.parse(fixture(import.meta.url, 'embed-response.json')) as { embeddings: number[][] };

describe('ollama embeddings', () => {
  let upstream: FakeUpstream;
  let adapter: ProviderAdapter;
  let close: () => Promise<void>;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    ({ adapter, close } = isolatedAdapter(createOllamaAdapter));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await close();
    await upstream.close();
  });

  it('sends /api/embed and returns canonical embeddings with usage', async () => {
    upstream.route('POST', '/api/embed', { json: answer });
    const result = await adapter.embed!(
      { model: 'all-minilm', input: ['Why is the sky blue?', 'Why is the grass green?'], dimensions: 10 },
      contextFor(upstream),
    );
    expect(upstream.requests[0]?.path).toBe('/api/embed');
    expect(upstream.requests[0]?.json()).toEqual({
      model: 'all-minilm',
      input: ['Why is the sky blue?', 'Why is the grass green?'],
      dimensions: 10,
    });
    expect(result).toEqual({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: answer.embeddings[0] },
        { object: 'embedding', index: 1, embedding: answer.embeddings[1] },
      ],
      model: 'all-minilm',
      usage: { prompt_tokens: 12, total_tokens: 12 },
    });
  });

  it('returns float32 base64 vectors for encoding_format base64', async () => {
    upstream.route('POST', '/api/embed', { json: answer });
    const result = await adapter.embed!(
      { model: 'all-minilm', input: 'Why is the sky blue?', encoding_format: 'base64' },
      contextFor(upstream),
    );
    expect(upstream.requests[0]?.json()).toEqual({ model: 'all-minilm', input: 'Why is the sky blue?' });
    const encoded = result.data[0]?.embedding as string;
    const bytes = Buffer.from(encoded, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toEqual(answer.embeddings[0]!.map((value) => Math.fround(value)));
  });

  it('refuses token arrays, which Ollama cannot embed', async () => {
    const error = await failure(
      adapter.embed!({ model: 'all-minilm', input: [[1, 2, 3]] }, contextFor(upstream)),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ field: 'input' });
    expect(upstream.requests).toHaveLength(0);
  });
});
