import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import {
  type Actor,
  addCustomModel,
  createApiKey,
  createCredential,
  installProvider,
  setDefaultModel,
  setupFirstOwner,
} from '@switchboard/core';
import type { ModelType, ProviderId } from '@switchboard/provider-spec';
import { type FakeUpstream, type Responder, startFakeUpstream } from '@switchboard/test-utils';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/server.ts';
import { completion, streamChunks } from './gateway-fixture.ts';
import { startTestServer } from './helpers.ts';

// Every operation of every provider, end to end: the openai SDK talks to Switchboard's /v1 with a
// workspace key, Switchboard talks to one local upstream that answers each provider (under its own
// path prefix) in that provider's wire format, mostly with the answers recorded in its own tests.

const fixtureUrl = (provider: string, name: string) =>
  new URL(`../../../packages/providers/src/${provider}/__fixtures__/${name}`, import.meta.url);
/** A recorded answer from a provider's own tests (taken from its API documentation). */
const recorded = (provider: string, name: string) => readFileSync(fixtureUrl(provider, name), 'utf8');
const recordedJson = <T>(provider: string, name: string) => JSON.parse(recorded(provider, name)) as T;

// ---------------------------------------------------------------------------------------------
// What the fake upstream answers.

/** A canned answer, written chunk by chunk (streams split where the provider's events end). */
interface Answer {
  headers: Record<string, string>;
  chunks: (string | Buffer)[];
}

const jsonAnswer = (body: string | object): Answer => ({
  headers: { 'content-type': 'application/json' },
  chunks: [typeof body === 'string' ? body : JSON.stringify(body)],
});
const sseAnswer = (text: string): Answer => ({
  headers: { 'content-type': 'text/event-stream' },
  chunks: text.split(/(?<=\n\n)/),
});
const ndjsonAnswer = (text: string): Answer => ({
  headers: { 'content-type': 'application/x-ndjson' },
  chunks: text.split(/(?<=\n)/),
});
/** Binary audio in two pieces, so the gateway has to relay a real stream. */
const audioAnswer = (audio: Buffer): Answer => ({
  headers: { 'content-type': 'audio/mpeg' },
  chunks: [audio.subarray(0, 5), audio.subarray(5)],
});
/** OpenAI-format stream events (`data: {...}` and the closing `[DONE]`), as Mistral and vLLM send them. */
const sseEvents = (events: object[]) =>
  [...events.map((event) => `data: ${JSON.stringify(event)}\n\n`), 'data: [DONE]\n\n'].join('');

function write(response: ServerResponse, answer: Answer): void {
  response.writeHead(200, answer.headers);
  response.flushHeaders();
  for (const chunk of answer.chunks) response.write(chunk);
  response.end();
}

const always =
  (answer: Answer): Responder =>
  (_request, response) =>
    write(response, answer);

/** Chat and streamed chat share one path at every provider but Gemini: the body's `stream` flag picks. */
const chatAnswers =
  (whole: Answer, streamed: Answer): Responder =>
  (request, response) =>
    write(response, (request.json() as { stream?: unknown }).stream === true ? streamed : whole);

const base64Floats = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString('base64');

/**
 * An OpenAI-style embeddings answer (`data[].embedding`), as float32 base64 when the request asks
 * for it: the openai SDK always does unless told otherwise, and OpenAI-style upstreams comply.
 */
const embeddingsAnswer =
  (body: string | object, askedBase64: (request: Record<string, unknown>) => boolean): Responder =>
  (request, response) => {
    const value = (typeof body === 'string' ? JSON.parse(body) : structuredClone(body)) as {
      data: { embedding: number[] | string }[];
    };
    if (askedBase64(request.json() as Record<string, unknown>)) {
      for (const item of value.data) item.embedding = base64Floats(item.embedding as number[]);
    }
    write(response, jsonAnswer(value));
  };
const encodingFormatBase64 = (request: Record<string, unknown>) => request.encoding_format === 'base64';

const vectorsOf = (body: { data: { embedding: number[] }[] }) => body.data.map((item) => item.embedding);

// ---------------------------------------------------------------------------------------------
// The matrix.

type Operation = 'chat' | 'chat stream' | 'embeddings' | 'rerank' | 'transcription' | 'speech';

/** What one call must give back: what the upstream's answer says, in OpenAI's shape. */
type Expectation =
  | { operation: 'chat' | 'chat stream' | 'transcription'; text: string }
  | { operation: 'embeddings'; vectors: number[][] }
  | {
      operation: 'rerank';
      documents: string[];
      /** Sent only where the recorded answer was given for a request that asked for documents. */
      returnDocuments?: boolean;
      /** [index, relevance_score], best first. */
      results: [number, number][];
    }
  | {
      operation: 'speech';
      voice: string;
      audio: Buffer;
      /** Gemini speaks raw PCM: the gateway sends it as a WAV file, the PCM after a 44-byte header. */
      wav?: boolean;
    };

type Case = Expectation & {
  /** The provider's own model id (the client names it `provider/model`). */
  model: string;
  /** Path and query the provider's request must arrive at. */
  url: string;
};

interface ProviderSetup {
  id: ProviderId;
  /** The provider key Switchboard holds; only the upstream may see it. */
  key: string;
  /** The header the provider reads its key from (`authorization` carries `Bearer <key>`). */
  keyHeader: 'authorization' | 'x-api-key' | 'x-goog-api-key' | 'api-key';
  /** The provider credential its predefined models use. */
  credential?: (url: string, key: string) => Record<string, string>;
  /** Custom models, each with its own credential (providers without predefined models). */
  customModels?: {
    name: string;
    type: ModelType;
    values: (url: string, key: string) => Record<string, string>;
  }[];
  /** `METHOD /path` → answer: the calls that validate the credential and every operation's call. */
  routes: Record<string, Responder>;
  cases: Case[];
}

const AUDIO_IN = Buffer.from('RIFF fake wav bytes for the transcription');
const MP3 = readFileSync(fixtureUrl('openai', 'speech.mp3'));

const openaiStream = (model: string, words: string[]) => streamChunks(model, words, true).join('');

const PROVIDERS: ProviderSetup[] = [
  {
    id: 'openai',
    key: 'sk-test-openai-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/openai/v1` }),
    routes: {
      'GET /openai/v1/models': always(jsonAnswer(recorded('openai', 'models.json'))),
      // No recorded plain-text completion: OpenAI's documented shape, inline.
      'POST /openai/v1/chat/completions': chatAnswers(
        jsonAnswer(completion('gpt-4.1-mini-2025-04-14', 'Bonjour de Zürich')),
        sseAnswer(recorded('openai', 'chat-text.sse')),
      ),
      'POST /openai/v1/embeddings': embeddingsAnswer(
        recorded('openai', 'embeddings.json'),
        encodingFormatBase64,
      ),
      'POST /openai/v1/audio/transcriptions': always(jsonAnswer(recorded('openai', 'transcription.json'))),
      'POST /openai/v1/audio/speech': always(audioAnswer(MP3)),
    },
    cases: [
      {
        operation: 'chat',
        model: 'gpt-4.1-mini',
        url: '/openai/v1/chat/completions',
        text: 'Bonjour de Zürich',
      },
      {
        operation: 'chat stream',
        model: 'gpt-4.1-mini',
        url: '/openai/v1/chat/completions',
        text: 'Grüße aus Zürich 🌍',
      },
      {
        operation: 'embeddings',
        model: 'text-embedding-3-small',
        url: '/openai/v1/embeddings',
        vectors: vectorsOf(recordedJson('openai', 'embeddings.json')),
      },
      {
        operation: 'transcription',
        model: 'gpt-4o-mini-transcribe',
        url: '/openai/v1/audio/transcriptions',
        text: 'The beach was a popular spot on a hot summer day.',
      },
      {
        operation: 'speech',
        model: 'gpt-4o-mini-tts',
        url: '/openai/v1/audio/speech',
        voice: 'coral',
        audio: MP3,
      },
    ],
  },
  {
    // Every Azure model is a deployment; Switchboard proves each one with the smallest real call.
    id: 'azure-openai',
    key: 'test-azure-key-every-0001',
    keyHeader: 'api-key',
    customModels: [
      { name: 'gpt-4o', type: 'llm', values: (url, key) => azure(url, key, 'chat-prod') },
      {
        name: 'text-embedding-3-small',
        type: 'text-embedding',
        values: (url, key) => azure(url, key, 'embed-prod'),
      },
      { name: 'whisper-1', type: 'speech2text', values: (url, key) => azure(url, key, 'whisper-prod') },
      { name: 'gpt-4o-mini-tts', type: 'tts', values: (url, key) => azure(url, key, 'tts-prod') },
    ],
    routes: {
      'POST /azure/openai/deployments/chat-prod/chat/completions': chatAnswers(
        jsonAnswer(recorded('azure-openai', 'chat.json')),
        sseAnswer(recorded('azure-openai', 'chat.sse')),
      ),
      'POST /azure/openai/deployments/embed-prod/embeddings': embeddingsAnswer(
        recorded('azure-openai', 'embeddings.json'),
        encodingFormatBase64,
      ),
      // Azure answers transcriptions and speech as OpenAI does; no recording of them, so inline.
      'POST /azure/openai/deployments/whisper-prod/audio/transcriptions': always(
        jsonAnswer({ text: 'Azure heard this.' }),
      ),
      'POST /azure/openai/deployments/tts-prod/audio/speech': always(audioAnswer(MP3)),
    },
    cases: [
      {
        operation: 'chat',
        model: 'gpt-4o',
        url: '/azure/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21',
        text: 'Hello! How can I help?',
      },
      {
        operation: 'chat stream',
        model: 'gpt-4o',
        url: '/azure/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21',
        text: 'Hej då',
      },
      {
        operation: 'embeddings',
        model: 'text-embedding-3-small',
        url: '/azure/openai/deployments/embed-prod/embeddings?api-version=2024-10-21',
        vectors: vectorsOf(recordedJson('azure-openai', 'embeddings.json')),
      },
      {
        operation: 'transcription',
        model: 'whisper-1',
        url: '/azure/openai/deployments/whisper-prod/audio/transcriptions?api-version=2024-10-21',
        text: 'Azure heard this.',
      },
      {
        operation: 'speech',
        model: 'gpt-4o-mini-tts',
        url: '/azure/openai/deployments/tts-prod/audio/speech?api-version=2024-10-21',
        voice: 'alloy',
        audio: MP3,
      },
    ],
  },
  {
    id: 'anthropic',
    key: 'sk-ant-test-every-0001',
    keyHeader: 'x-api-key',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/anthropic` }),
    routes: {
      'GET /anthropic/v1/models': always(jsonAnswer(recorded('anthropic', 'models.json'))),
      'POST /anthropic/v1/messages': chatAnswers(
        jsonAnswer(recorded('anthropic', 'messages-text.json')),
        sseAnswer(recorded('anthropic', 'stream-text.sse')),
      ),
    },
    cases: [
      {
        operation: 'chat',
        model: 'claude-sonnet-5-5',
        url: '/anthropic/v1/messages',
        text: 'Bonjour ! Il fait 18 °C à Paris.',
      },
      {
        operation: 'chat stream',
        model: 'claude-sonnet-5-5',
        url: '/anthropic/v1/messages',
        text: 'Héllo, 世界 🌍! How can I help? "quoted" \\ é!',
      },
    ],
  },
  {
    id: 'gemini',
    key: 'test-gemini-key-every-0001',
    keyHeader: 'x-goog-api-key',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/gemini` }),
    routes: {
      'GET /gemini/v1beta/models': always(jsonAnswer(recorded('gemini', 'models.json'))),
      'POST /gemini/v1beta/models/gemini-2.5-flash:generateContent': always(
        jsonAnswer(recorded('gemini', 'generate-text.json')),
      ),
      'POST /gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent': always(
        sseAnswer(recorded('gemini', 'stream-text.sse')),
      ),
      'POST /gemini/v1beta/models/gemini-embedding-001:batchEmbedContents': always(
        jsonAnswer(recorded('gemini', 'batch-embed.json')),
      ),
      'POST /gemini/v1beta/models/gemini-3.8-flash-tts:generateContent': always(
        jsonAnswer(recorded('gemini', 'speech.json')),
      ),
    },
    cases: [
      {
        // The recorded answer has a thought part before the text: it stays out of the content.
        operation: 'chat',
        model: 'gemini-2.5-flash',
        url: '/gemini/v1beta/models/gemini-2.5-flash:generateContent',
        text: 'low',
      },
      {
        operation: 'chat stream',
        model: 'gemini-2.5-flash',
        url: '/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
        text: 'The sky is blue — "quoted" \\ backé 天空は青い 🌈 because of Rayleigh scattering.',
      },
      {
        operation: 'embeddings',
        model: 'gemini-embedding-001',
        url: '/gemini/v1beta/models/gemini-embedding-001:batchEmbedContents',
        vectors: recordedJson<{ embeddings: { values: number[] }[] }>(
          'gemini',
          'batch-embed.json',
        ).embeddings.map((embedding) => embedding.values),
      },
      {
        operation: 'speech',
        model: 'gemini-3.8-flash-tts',
        url: '/gemini/v1beta/models/gemini-3.8-flash-tts:generateContent',
        voice: 'Kore',
        audio: Buffer.from(
          recordedJson<{ candidates: { content: { parts: { inlineData: { data: string } }[] } }[] }>(
            'gemini',
            'speech.json',
          ).candidates[0]!.content.parts[0]!.inlineData.data,
          'base64',
        ),
        wav: true,
      },
    ],
  },
  {
    id: 'mistral',
    key: 'test-mistral-key-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/mistral/v1` }),
    routes: {
      'GET /mistral/v1/models': always(jsonAnswer(recorded('mistral', 'models.json'))),
      // Mistral's recordings are of tool calls; a plain-text answer in the same shape, inline.
      'POST /mistral/v1/chat/completions': chatAnswers(
        jsonAnswer({
          id: 'cf79f7daaee244b1a0ae5c7b1444425b',
          object: 'chat.completion',
          created: 1769088854,
          model: 'mistral-small-latest',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: 'Bonjour, Paris !', tool_calls: null },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 8, total_tokens: 14, completion_tokens: 6 },
        }),
        sseAnswer(
          sseEvents(
            [
              { delta: { role: 'assistant', content: '' }, finish_reason: null },
              { delta: { content: 'Salut' }, finish_reason: null },
              { delta: { content: ' Lyon' }, finish_reason: 'stop' },
            ].map((choice, position) => ({
              id: 'b3999b8d',
              object: 'chat.completion.chunk',
              created: 1769088854,
              model: 'mistral-small-latest',
              choices: [{ index: 0, ...choice, logprobs: null }],
              ...(position === 2
                ? { usage: { prompt_tokens: 8, total_tokens: 11, completion_tokens: 3 } }
                : {}),
            })),
          ),
        ),
      ),
      'POST /mistral/v1/embeddings': embeddingsAnswer(
        recorded('mistral', 'embeddings.json'),
        encodingFormatBase64,
      ),
      'POST /mistral/v1/audio/transcriptions': always(jsonAnswer(recorded('mistral', 'transcription.json'))),
    },
    cases: [
      {
        operation: 'chat',
        model: 'mistral-small-latest',
        url: '/mistral/v1/chat/completions',
        text: 'Bonjour, Paris !',
      },
      {
        operation: 'chat stream',
        model: 'mistral-small-latest',
        url: '/mistral/v1/chat/completions',
        text: 'Salut Lyon',
      },
      {
        operation: 'embeddings',
        model: 'mistral-embed',
        url: '/mistral/v1/embeddings',
        vectors: vectorsOf(recordedJson('mistral', 'embeddings.json')),
      },
      {
        operation: 'transcription',
        model: 'voxtral-mini-latest',
        url: '/mistral/v1/audio/transcriptions',
        text: 'This week, I traveled to Chicago.',
      },
    ],
  },
  {
    id: 'deepseek',
    key: 'sk-test-deepseek-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/deepseek` }),
    routes: {
      'GET /deepseek/models': always(jsonAnswer(recorded('deepseek', 'models.json'))),
      'POST /deepseek/chat/completions': chatAnswers(
        jsonAnswer(recorded('deepseek', 'chat.json')),
        sseAnswer(recorded('deepseek', 'chat-reasoning.sse')),
      ),
    },
    cases: [
      {
        operation: 'chat',
        model: 'deepseek-chat',
        url: '/deepseek/chat/completions',
        text: 'There are three.',
      },
      {
        // The recorded stream reasons first (`reasoning_content`); only the answer is content.
        operation: 'chat stream',
        model: 'deepseek-reasoner',
        url: '/deepseek/chat/completions',
        text: 'There are three.',
      },
    ],
  },
  {
    id: 'groq',
    key: 'gsk_test-groq-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/groq/openai/v1` }),
    routes: {
      'GET /groq/openai/v1/models': always(jsonAnswer(recorded('groq', 'models.json'))),
      'POST /groq/openai/v1/chat/completions': chatAnswers(
        jsonAnswer(recorded('groq', 'chat.json')),
        sseAnswer(recorded('groq', 'chat.sse')),
      ),
      'POST /groq/openai/v1/audio/transcriptions': always(jsonAnswer(recorded('groq', 'transcription.json'))),
    },
    cases: [
      {
        operation: 'chat',
        model: 'llama-3.3-70b-versatile',
        url: '/groq/openai/v1/chat/completions',
        text: 'Fast language models matter because they lower latency.',
      },
      {
        operation: 'chat stream',
        model: 'llama-3.3-70b-versatile',
        url: '/groq/openai/v1/chat/completions',
        text: 'Hi',
      },
      {
        operation: 'transcription',
        model: 'whisper-large-v3-turbo',
        url: '/groq/openai/v1/audio/transcriptions',
        text: ' Your transcribed text appears here.',
      },
    ],
  },
  {
    // OpenRouter's model list is public, so the key is proven with GET /key.
    id: 'openrouter',
    key: 'sk-or-v1-test-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/openrouter/api/v1` }),
    routes: {
      'GET /openrouter/api/v1/key': always(jsonAnswer(recorded('openrouter', 'key.json'))),
      'POST /openrouter/api/v1/chat/completions': chatAnswers(
        jsonAnswer(recorded('openrouter', 'chat.json')),
        sseAnswer(recorded('openrouter', 'chat.sse')),
      ),
    },
    cases: [
      {
        operation: 'chat',
        model: 'openai/gpt-4o-mini',
        url: '/openrouter/api/v1/chat/completions',
        text: 'Paris.',
      },
      {
        operation: 'chat stream',
        model: 'openai/gpt-4o-mini',
        url: '/openrouter/api/v1/chat/completions',
        text: 'Paris',
      },
    ],
  },
  {
    id: 'cohere',
    key: 'test-cohere-key-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/cohere` }),
    routes: {
      'GET /cohere/v1/models': always(jsonAnswer(recorded('cohere', 'models-response.json'))),
      'POST /cohere/v2/chat': chatAnswers(
        jsonAnswer(recorded('cohere', 'chat-response-text.json')),
        sseAnswer(recorded('cohere', 'chat-stream-text.sse')),
      ),
      'POST /cohere/v2/embed': always(jsonAnswer(recorded('cohere', 'embed-response.json'))),
      'POST /cohere/v2/rerank': always(jsonAnswer(recorded('cohere', 'rerank-response.json'))),
    },
    cases: [
      {
        operation: 'chat',
        model: 'command-a-03-2025',
        url: '/cohere/v2/chat',
        text: 'LLMs stand for Large Language Models, which are a type of neural network model specialized in processing and generating human language.',
      },
      {
        operation: 'chat stream',
        model: 'command-a-03-2025',
        url: '/cohere/v2/chat',
        text: 'Grüße aus 東京 🌸!',
      },
      {
        operation: 'embeddings',
        model: 'embed-v4.0',
        url: '/cohere/v2/embed',
        vectors: recordedJson<{ embeddings: { float: number[][] } }>('cohere', 'embed-response.json')
          .embeddings.float,
      },
      {
        // Cohere v2 never returns documents: the gateway attaches them from the request.
        operation: 'rerank',
        model: 'rerank-v3.5',
        url: '/cohere/v2/rerank',
        documents: [
          'Carson City is in Nevada.',
          'Bananas are yellow.',
          'Saipan is in the Pacific.',
          'Washington, D.C. is the capital.',
        ],
        returnDocuments: true,
        results: [
          [3, 0.9991],
          [0, 0.3271],
        ],
      },
    ],
  },
  {
    // Jina has no authenticated list call: the key is proven by embedding one word.
    id: 'jina',
    key: 'jina_test-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/jina/v1` }),
    routes: {
      'POST /jina/v1/embeddings': embeddingsAnswer(
        recorded('jina', 'embed-response.json'),
        (request) => request.embedding_type === 'base64',
      ),
      'POST /jina/v1/rerank': always(jsonAnswer(recorded('jina', 'rerank-response.json'))),
    },
    cases: [
      {
        operation: 'embeddings',
        model: 'jina-embeddings-v3',
        url: '/jina/v1/embeddings',
        vectors: vectorsOf(recordedJson('jina', 'embed-response.json')),
      },
      {
        operation: 'rerank',
        model: 'jina-reranker-v2-base-multilingual',
        url: '/jina/v1/rerank',
        documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
        returnDocuments: true,
        results: [
          [1, 0.912],
          [0, 0.031],
        ],
      },
    ],
  },
  {
    // Voyage has no model list: the key is proven by embedding one word.
    id: 'voyage',
    key: 'pa-test-voyage-every-0001',
    keyHeader: 'authorization',
    credential: (url, key) => ({ api_key: key, base_url: `${url}/voyage/v1` }),
    routes: {
      'POST /voyage/v1/embeddings': embeddingsAnswer(
        recorded('voyage', 'embed-response.json'),
        encodingFormatBase64,
      ),
      'POST /voyage/v1/rerank': always(jsonAnswer(recorded('voyage', 'rerank-response-documents.json'))),
    },
    cases: [
      {
        operation: 'embeddings',
        model: 'voyage-3.5',
        url: '/voyage/v1/embeddings',
        vectors: vectorsOf(recordedJson('voyage', 'embed-response.json')),
      },
      {
        operation: 'rerank',
        model: 'rerank-2.5',
        url: '/voyage/v1/rerank',
        documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
        returnDocuments: true,
        results: [
          [1, 0.8867],
          [0, 0.1953],
        ],
      },
    ],
  },
  {
    // Ollama needs no key, but one sitting behind an authenticating proxy gets a Bearer token.
    id: 'ollama',
    key: 'test-ollama-proxy-token-0001',
    keyHeader: 'authorization',
    customModels: [
      { name: 'llama3.2', type: 'llm', values: (url, key) => ({ base_url: `${url}/ollama`, api_key: key }) },
      {
        name: 'nomic-embed-text',
        type: 'text-embedding',
        values: (url, key) => ({ base_url: `${url}/ollama`, api_key: key }),
      },
    ],
    routes: {
      // A custom model is proven by showing it: the answer tells a chat model from an embedding one.
      'POST /ollama/api/show': (request, response) => {
        const { model } = request.json() as { model: string };
        const file = model === 'nomic-embed-text' ? 'show-nomic-embed-text.json' : 'show-llama3.2.json';
        write(response, jsonAnswer(recorded('ollama', file)));
      },
      'POST /ollama/api/chat': chatAnswers(
        jsonAnswer(recorded('ollama', 'chat-response.json')),
        ndjsonAnswer(recorded('ollama', 'chat-stream.ndjson')),
      ),
      'POST /ollama/api/embed': always(jsonAnswer(recorded('ollama', 'embed-response.json'))),
    },
    cases: [
      { operation: 'chat', model: 'llama3.2', url: '/ollama/api/chat', text: 'Hello! How are you today?' },
      {
        operation: 'chat stream',
        model: 'llama3.2',
        url: '/ollama/api/chat',
        text: "Le ciel est bleu 🌤️ — ça s'appelle la diffusion de Rayleigh. 空は青い。",
      },
      {
        operation: 'embeddings',
        model: 'nomic-embed-text',
        url: '/ollama/api/embed',
        vectors: recordedJson<{ embeddings: number[][] }>('ollama', 'embed-response.json').embeddings,
      },
    ],
  },
  {
    // Xinference lists every running model with its type: that list proves each custom model.
    id: 'xinference',
    key: 'test-xinference-key-every-0001',
    keyHeader: 'authorization',
    customModels: (
      [
        ['qwen2.5-instruct', 'llm'],
        ['bge-m3', 'text-embedding'],
        ['bge-reranker-v2-m3', 'rerank'],
        ['whisper-large-v3', 'speech2text'],
        ['ChatTTS', 'tts'],
      ] as const
    ).map(([name, type]) => ({
      name,
      type,
      values: (url: string, key: string) => ({ base_url: `${url}/xinference`, api_key: key }),
    })),
    routes: {
      'GET /xinference/v1/models': always(jsonAnswer(recorded('xinference', 'models.json'))),
      // Xinference answers chat, transcription and speech as OpenAI does; those not recorded are inline.
      'POST /xinference/v1/chat/completions': chatAnswers(
        jsonAnswer(completion('qwen2.5-instruct', '你好，世界')),
        sseAnswer(recorded('xinference', 'chat.sse')),
      ),
      'POST /xinference/v1/embeddings': embeddingsAnswer(
        recorded('xinference', 'embeddings.json'),
        encodingFormatBase64,
      ),
      'POST /xinference/v1/rerank': always(jsonAnswer(recorded('xinference', 'rerank.json'))),
      'POST /xinference/v1/audio/transcriptions': always(jsonAnswer({ text: 'Xinference heard this.' })),
      'POST /xinference/v1/audio/speech': always(audioAnswer(MP3)),
    },
    cases: [
      {
        operation: 'chat',
        model: 'qwen2.5-instruct',
        url: '/xinference/v1/chat/completions',
        text: '你好，世界',
      },
      {
        operation: 'chat stream',
        model: 'qwen2.5-instruct',
        url: '/xinference/v1/chat/completions',
        text: '你好',
      },
      {
        operation: 'embeddings',
        model: 'bge-m3',
        url: '/xinference/v1/embeddings',
        vectors: vectorsOf(recordedJson('xinference', 'embeddings.json')),
      },
      {
        // Recorded without return_documents: its documents are null.
        operation: 'rerank',
        model: 'bge-reranker-v2-m3',
        url: '/xinference/v1/rerank',
        documents: ['Berlin is in Germany.', 'Paris is the capital of France.'],
        results: [
          [1, 0.9991],
          [0, 0.0124],
        ],
      },
      {
        operation: 'transcription',
        model: 'whisper-large-v3',
        url: '/xinference/v1/audio/transcriptions',
        text: 'Xinference heard this.',
      },
      {
        operation: 'speech',
        model: 'ChatTTS',
        url: '/xinference/v1/audio/speech',
        voice: 'alloy',
        audio: MP3,
      },
    ],
  },
  {
    // A vLLM-like server. Models its /models lists are proven by the list; the others (embedding,
    // audio) by one real call each, which the same routes answer.
    id: 'openai-compatible',
    key: 'test-vllm-key-every-0001',
    keyHeader: 'authorization',
    customModels: (
      [
        ['Qwen/Qwen2.5-7B-Instruct', 'llm'],
        ['BAAI/bge-m3', 'text-embedding'],
        ['BAAI/bge-reranker-v2-m3', 'rerank'],
        ['openai/whisper-large-v3-turbo', 'speech2text'],
        ['hexgrad/Kokoro-82M', 'tts'],
      ] as const
    ).map(([name, type]) => ({
      name,
      type,
      values: (url: string, key: string) => ({ base_url: `${url}/compat/v1`, api_key: key }),
    })),
    routes: {
      'GET /compat/v1/models': always(jsonAnswer(recorded('openai-compatible', 'vllm-models.json'))),
      // The recorded vLLM stream is a tool call; plain text in the OpenAI shape vLLM speaks, inline.
      'POST /compat/v1/chat/completions': chatAnswers(
        jsonAnswer(completion('Qwen/Qwen2.5-7B-Instruct', 'Dzień dobry')),
        sseAnswer(openaiStream('Qwen/Qwen2.5-7B-Instruct', ['Cześć', ', ', 'Kraków'])),
      ),
      'POST /compat/v1/embeddings': embeddingsAnswer(
        {
          object: 'list',
          model: 'BAAI/bge-m3',
          data: [{ object: 'embedding', index: 0, embedding: [0.0312, -0.0478, 0.0155, 0.0921] }],
          usage: { prompt_tokens: 4, total_tokens: 4 },
        },
        encodingFormatBase64,
      ),
      'POST /compat/v1/rerank': always(jsonAnswer(recorded('openai-compatible', 'vllm-rerank.json'))),
      'POST /compat/v1/audio/transcriptions': always(jsonAnswer({ text: 'vLLM heard this.' })),
      'POST /compat/v1/audio/speech': always(audioAnswer(MP3)),
    },
    cases: [
      {
        operation: 'chat',
        model: 'Qwen/Qwen2.5-7B-Instruct',
        url: '/compat/v1/chat/completions',
        text: 'Dzień dobry',
      },
      {
        operation: 'chat stream',
        model: 'Qwen/Qwen2.5-7B-Instruct',
        url: '/compat/v1/chat/completions',
        text: 'Cześć, Kraków',
      },
      {
        operation: 'embeddings',
        model: 'BAAI/bge-m3',
        url: '/compat/v1/embeddings',
        vectors: [[0.0312, -0.0478, 0.0155, 0.0921]],
      },
      {
        operation: 'rerank',
        model: 'BAAI/bge-reranker-v2-m3',
        url: '/compat/v1/rerank',
        documents: ['Brasilia is the capital of Brazil.', 'Paris is the capital of France.'],
        returnDocuments: true,
        results: [
          [1, 0.9985],
          [0, 0.0006],
        ],
      },
      {
        operation: 'transcription',
        model: 'openai/whisper-large-v3-turbo',
        url: '/compat/v1/audio/transcriptions',
        text: 'vLLM heard this.',
      },
      {
        operation: 'speech',
        model: 'hexgrad/Kokoro-82M',
        url: '/compat/v1/audio/speech',
        voice: 'af_heart',
        audio: MP3,
      },
    ],
  },
];

/** An Azure deployment's credential: the resource endpoint, its key, the deployment, the api-version. */
function azure(url: string, key: string, deployment: string): Record<string, string> {
  return { base_url: `${url}/azure`, api_key: key, deployment_name: deployment, api_version: '2024-10-21' };
}

/** Workspace defaults, one per model type, each used with the model left out or named "default". */
const DEFAULTS: {
  type: ModelType;
  provider: ProviderId;
  operation: Operation;
  requested: 'default' | undefined;
}[] = [
  { type: 'llm', provider: 'deepseek', operation: 'chat', requested: 'default' },
  { type: 'text-embedding', provider: 'voyage', operation: 'embeddings', requested: undefined },
  { type: 'rerank', provider: 'cohere', operation: 'rerank', requested: undefined },
  { type: 'speech2text', provider: 'groq', operation: 'transcription', requested: 'default' },
  { type: 'tts', provider: 'gemini', operation: 'speech', requested: undefined },
];

const caseOf = (provider: ProviderId, operation: Operation) => {
  const setup = PROVIDERS.find((candidate) => candidate.id === provider)!;
  return { setup, testCase: setup.cases.find((candidate) => candidate.operation === operation)! };
};

// ---------------------------------------------------------------------------------------------

describe('the gateway serves every operation of every provider to the openai SDK', () => {
  let server: RunningServer;
  let upstream: FakeUpstream;
  let openai: OpenAI;
  let apiKey: string;
  let actor: Actor;
  let workspaceId: string;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    for (const provider of PROVIDERS) {
      for (const [route, responder] of Object.entries(provider.routes)) {
        const [method, path] = route.split(' ') as [string, string];
        upstream.route(method, path, responder);
      }
    }
    server = await startTestServer('sqlite');
    const setup = await setupFirstOwner(server.core, {
      email: 'every@example.test',
      password: 'long enough pass',
      workspaceName: 'Every provider',
    });
    actor = { kind: 'user', userId: setup.user.id };
    workspaceId = setup.workspace.id;
    // Each credential is validated with a real call to the fake upstream, as an admin's would be.
    for (const provider of PROVIDERS) {
      await installProvider(server.core, actor, { workspaceId, provider: provider.id });
      if (provider.credential) {
        await createCredential(server.core, actor, {
          workspaceId,
          provider: provider.id,
          name: `${provider.id}-main`,
          values: provider.credential(upstream.url, provider.key),
        });
      }
      for (const model of provider.customModels ?? []) {
        await addCustomModel(server.core, actor, {
          workspaceId,
          provider: provider.id,
          model: { name: model.name, type: model.type },
          credential: { name: `${provider.id}-main`, values: model.values(upstream.url, provider.key) },
        });
      }
    }
    for (const { type, provider, operation } of DEFAULTS) {
      const { testCase } = caseOf(provider, operation);
      await setDefaultModel(server.core, actor, {
        workspaceId,
        provider,
        model: { name: testCase.model, type },
      });
    }
    ({ key: apiKey } = await createApiKey(server.core, actor, {
      workspaceId: workspaceId,
      name: 'every provider',
    }));
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
  });
  afterAll(async () => {
    await server?.stop();
    await upstream?.close();
  });

  /** Makes the call through the SDK and checks the OpenAI-shaped answer against the expectation. */
  async function callAndCheck(testCase: Case, model: string | undefined): Promise<unknown> {
    // Left undefined, `model` is dropped from the JSON body: the gateway then uses the workspace default.
    const named = model as string;
    switch (testCase.operation) {
      case 'chat': {
        const answer = await openai.chat.completions.create({
          model: named,
          messages: [{ role: 'user', content: 'Hello' }],
        });
        expect(answer.object).toBe('chat.completion');
        expect(answer.choices[0]?.message).toMatchObject({ role: 'assistant', content: testCase.text });
        expect(answer.choices[0]?.finish_reason).toBe('stop');
        return answer;
      }
      case 'chat stream': {
        const stream = await openai.chat.completions.create({
          model: named,
          messages: [{ role: 'user', content: 'Hello' }],
          stream: true,
        });
        const chunks: OpenAI.ChatCompletionChunk[] = [];
        // The loop ends only if the stream ends cleanly; a cut connection throws here.
        for await (const chunk of stream) chunks.push(chunk);
        // Chunks without choices pass as the provider sent them (Azure's content-filter envelope
        // has `object: ""`, as when the SDK talks to Azure directly); every choice comes in a chunk.
        const withChoices = chunks.filter((chunk) => chunk.choices.length > 0);
        expect(withChoices.length).toBeGreaterThan(0);
        expect(withChoices.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
        expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(testCase.text);
        expect(chunks.map((chunk) => chunk.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop']);
        return chunks;
      }
      case 'embeddings': {
        // No encoding_format: the SDK asks for base64 and decodes it, as most callers do.
        const answer = await openai.embeddings.create({
          model: named,
          input: testCase.vectors.map((_, index) => `text number ${index}`),
        });
        expect(answer.object).toBe('list');
        expect(answer.data.map((item) => item.index)).toEqual(testCase.vectors.map((_, index) => index));
        for (const [index, item] of answer.data.entries()) {
          const expected = testCase.vectors[index]!;
          expect(item.embedding).toHaveLength(expected.length);
          // Float32 on the wire: equal to about seven digits.
          for (const [position, value] of item.embedding.entries()) {
            expect(value).toBeCloseTo(expected[position]!, 6);
          }
        }
        return answer;
      }
      case 'rerank': {
        // The SDK has no rerank method: its generic POST, with the same key and base URL.
        const answer = await openai.post<{
          results: { index: number; relevance_score: number; document?: { text: string } }[];
        }>('/rerank', {
          body: {
            model,
            query: 'capital city',
            documents: testCase.documents,
            top_n: testCase.results.length,
            ...(testCase.returnDocuments ? { return_documents: true } : {}),
          },
        });
        expect(answer.results.map((result) => [result.index, result.relevance_score])).toEqual(
          testCase.results,
        );
        for (const result of answer.results) {
          if (testCase.returnDocuments) expect(result.document?.text).toBe(testCase.documents[result.index]);
        }
        return answer;
      }
      case 'transcription': {
        const answer = await openai.audio.transcriptions.create({
          model: named,
          file: await toFile(AUDIO_IN, 'clip.wav', { type: 'audio/wav' }),
        });
        expect(answer.text).toBe(testCase.text);
        return answer;
      }
      case 'speech': {
        const speech = await openai.audio.speech.create({
          model: named,
          voice: testCase.voice,
          input: 'Hello',
        });
        const audio = Buffer.from(await speech.arrayBuffer());
        if (testCase.wav) {
          expect(speech.headers.get('content-type')).toBe('audio/wav');
          expect(audio.subarray(0, 4).toString('latin1')).toBe('RIFF');
          expect(audio.subarray(44)).toEqual(testCase.audio);
        } else {
          expect(audio).toEqual(testCase.audio);
        }
        return audio;
      }
    }
  }

  /** One call, and what reached the provider: one request, at its path, with its own key only. */
  async function check(setup: ProviderSetup, testCase: Case, model: string | undefined): Promise<void> {
    const before = upstream.requests.length;
    const answer = await callAndCheck(testCase, model);
    const sent = upstream.requests.slice(before);
    expect(sent.map((request) => `${request.method} ${request.url}`)).toEqual([`POST ${testCase.url}`]);
    const request = sent[0]!;
    const expectedKey = setup.keyHeader === 'authorization' ? `Bearer ${setup.key}` : setup.key;
    expect(request.headers[setup.keyHeader]).toBe(expectedKey);
    // Switchboard's key stops at the gateway; the provider's never travels back to the client.
    expect(JSON.stringify(request.headers) + request.text()).not.toContain(apiKey);
    expect(Buffer.isBuffer(answer) ? '' : JSON.stringify(answer)).not.toContain(setup.key);
    // The provider is asked for its own model (in the path for Gemini, in the body elsewhere).
    expect(request.url + request.text()).toContain(testCase.model);
    if (testCase.operation === 'transcription') {
      expect(request.headers['content-type']).toMatch(/^multipart\/form-data/);
      expect(request.body.includes(AUDIO_IN)).toBe(true);
    }
  }

  for (const setup of PROVIDERS) {
    describe(setup.id, () => {
      for (const testCase of setup.cases) {
        it(`${testCase.operation}: ${setup.id}/${testCase.model}`, () =>
          check(setup, testCase, `${setup.id}/${testCase.model}`));
      }
    });
  }

  describe('workspace defaults', () => {
    for (const { type, provider, operation, requested } of DEFAULTS) {
      const { setup, testCase } = caseOf(provider, operation);
      const how = requested === undefined ? 'model left out' : `model "${requested}"`;
      it(`${operation} with ${how}: the ${type} default, ${provider}/${testCase.model}`, () =>
        check(setup, testCase, requested));
    }
  });
});
