import { type FakeUpstream, fixture, startFakeUpstream } from '@switchboard/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestError,
  MalformedResponseError,
  ModelNotFoundError,
  type ProviderAdapter,
  UpstreamUnavailableError,
} from '@switchboard/provider-spec';
import { contextFor, failure, isolatedAdapter } from '../../test/provider-test-kit.ts';
import { createOllamaAdapter } from './index.ts';

const json = (name: string) => JSON.parse(fixture(import.meta.url, name)) as unknown;

describe('ollama discovery and validation', () => {
  let upstream: FakeUpstream;
  let adapter: ProviderAdapter;
  let close: () => Promise<void>;

  /** Answers /api/show by the model asked for, as Ollama does. */
  function routeShow(answers: Record<string, unknown>) {
    upstream.route('POST', '/api/show', (request, response) => {
      const { model } = request.json() as { model: string };
      const body = answers[model];
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: `model '${model}' not found` }));
    });
  }

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    ({ adapter, close } = isolatedAdapter(createOllamaAdapter));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await close();
    await upstream.close();
  });

  it('discovers models from /api/tags and describes each from /api/show', async () => {
    upstream.route('GET', '/api/tags', { json: json('tags.json') });
    routeShow({
      'llama3.2:latest': json('show-llama3.2.json'),
      'llava:7b': json('show-llava.json'),
      'nomic-embed-text:latest': json('show-nomic-embed-text.json'),
    });
    const models = await adapter.discoverModels!(contextFor(upstream));
    expect(models).toEqual([
      {
        id: 'llama3.2:latest',
        type: 'llm',
        contextSize: 131072,
        features: ['streaming', 'structured-output', 'tool-call'],
      },
      {
        id: 'llava:7b',
        type: 'llm',
        contextSize: 32768,
        features: ['streaming', 'structured-output', 'vision'],
      },
      { id: 'nomic-embed-text:latest', type: 'text-embedding', contextSize: 2048, dimensions: 768 },
    ]);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', path: '/api/tags' });
    const shown = upstream.requests
      .filter((request) => request.path === '/api/show')
      .map((request) => request.json() as { model: string });
    expect(shown.map((body) => body.model).sort()).toEqual([
      'llama3.2:latest',
      'llava:7b',
      'nomic-embed-text:latest',
    ]);
    expect(shown[0]).toEqual({ model: expect.any(String) });
  });

  it('falls back on the model family when the server reports no capabilities, and skips vanished models', async () => {
    upstream.route('GET', '/api/tags', { json: json('tags.json') });
    const legacyEmbedding = { ...(json('show-nomic-embed-text.json') as object), capabilities: undefined };
    routeShow({ 'llama3.2:latest': json('show-legacy.json'), 'nomic-embed-text:latest': legacyEmbedding });
    const models = await adapter.discoverModels!(contextFor(upstream));
    expect(models).toEqual([
      { id: 'llama3.2:latest', type: 'llm', contextSize: 8192, features: ['streaming', 'structured-output'] },
      { id: 'nomic-embed-text:latest', type: 'text-embedding', contextSize: 2048, dimensions: 768 },
    ]);
  });

  it('discovers nothing from an empty server', async () => {
    upstream.route('GET', '/api/tags', { json: { models: [] } });
    expect(await adapter.discoverModels!(contextFor(upstream))).toEqual([]);
  });

  it('validates the endpoint with GET /api/tags and lists its models', async () => {
    upstream.route('GET', '/api/tags', { json: json('tags.json') });
    const result = await adapter.validateCredentials(
      contextFor(upstream, { base_url: `${upstream.url}/`, api_key: 'sk-test-ollama-proxy-0001' }),
    );
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', url: '/api/tags' });
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-test-ollama-proxy-0001');
    expect(result).toEqual({
      models: [
        { id: 'llama3.2:latest', type: 'llm' },
        { id: 'llava:7b', type: 'llm' },
        { id: 'nomic-embed-text:latest', type: 'text-embedding' },
      ],
    });
  });

  it('blames base_url when the endpoint is not an Ollama server', async () => {
    upstream.route('GET', '/api/tags', { body: '<!doctype html><title>Router</title>' });
    const notJson = await failure(adapter.validateCredentials(contextFor(upstream)));
    expect(notJson).toBeInstanceOf(MalformedResponseError);
    expect(notJson).toMatchObject({ field: 'base_url' });

    upstream.route('GET', '/api/tags', { json: { data: [] } });
    expect(await failure(adapter.validateCredentials(contextFor(upstream)))).toMatchObject({
      code: 'malformed_response',
      field: 'base_url',
    });

    upstream.reset();
    const missing = await failure(adapter.validateCredentials(contextFor(upstream)));
    expect(missing).toMatchObject({ status: 404, field: 'base_url' });

    upstream.route('GET', '/api/tags', { status: 502, body: 'Bad Gateway' });
    const down = await failure(adapter.validateCredentials(contextFor(upstream)));
    expect(down).toBeInstanceOf(UpstreamUnavailableError);
    expect(down).toMatchObject({ field: 'base_url' });
  });

  it('validates a custom model with POST /api/show', async () => {
    routeShow({ 'llama3.2': json('show-llama3.2.json') });
    const result = await adapter.validateCredentials(contextFor(upstream), {
      model: 'llama3.2',
      type: 'llm',
    });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', path: '/api/show' });
    expect(upstream.requests[0]?.json()).toEqual({ model: 'llama3.2' });
    expect(result).toEqual({
      models: [
        {
          id: 'llama3.2',
          type: 'llm',
          contextSize: 131072,
          features: ['streaming', 'structured-output', 'tool-call'],
        },
      ],
    });
  });

  it('reports a custom model that is not on the server as model_not_found on field model', async () => {
    routeShow({});
    const error = await failure(
      adapter.validateCredentials(contextFor(upstream), { model: 'llama3:70b', type: 'llm' }),
    );
    expect(error).toBeInstanceOf(ModelNotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found', field: 'model', status: 404 });
    expect((error as Error).message).toBe("Ollama: model 'llama3:70b' not found");
  });

  it('refuses a custom model registered with the wrong type', async () => {
    routeShow({ 'nomic-embed-text': json('show-nomic-embed-text.json') });
    const error = await failure(
      adapter.validateCredentials(contextFor(upstream), { model: 'nomic-embed-text', type: 'llm' }),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      field: 'model',
      message: 'Ollama: nomic-embed-text is an embedding model, not a llm model',
    });
  });
});
