import type { IncomingMessage } from 'node:http';
import type {
  AudioStream,
  SpeechRequest,
  TranscriptionRequest,
  TranscriptionResponse,
} from '@switchboard/provider-spec';
import { invalidRequest } from '../errors.ts';
import type { Endpoint } from '../serve.ts';
import { requestedModel } from './shared.ts';

const RESPONSE_FORMATS = new Set(['json', 'text', 'srt', 'verbose_json', 'vtt']);

/** Parses a multipart/form-data body with the platform's own parser (undici's, behind `Request`). */
async function parseMultipart(request: IncomingMessage, body: Buffer): Promise<FormData> {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('multipart/form-data')) {
    throw invalidRequest('Send the audio as multipart/form-data with a "file" field', 'file');
  }
  try {
    return await new Request('http://gateway.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    }).formData();
  } catch {
    throw invalidRequest('The multipart body could not be parsed', 'file');
  }
}

const field = (form: FormData, name: string): string | undefined => {
  const value = form.get(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** A transcription upload: the request (for its content type) and its whole body. */
export interface Upload {
  request: IncomingMessage;
  body: Buffer;
}

/** What the transcription endpoint parsed: the form's fields, the file still to be read. */
interface TranscriptionCall {
  model: string | undefined;
  file: File;
  fields: Omit<TranscriptionRequest, 'model' | 'file'>;
}

/** POST /v1/audio/transcriptions (multipart: file, model, language, prompt, response_format, temperature). */
export const transcriptions: Endpoint<Upload, TranscriptionCall, TranscriptionResponse> = {
  type: 'speech2text',
  async parse({ request, body }) {
    const form = await parseMultipart(request, body);
    const file = form.get('file');
    if (!file || typeof file === 'string') throw invalidRequest('file is required (an audio file)', 'file');
    const responseFormat = field(form, 'response_format');
    if (responseFormat && !RESPONSE_FORMATS.has(responseFormat)) {
      throw invalidRequest(
        `response_format must be one of ${[...RESPONSE_FORMATS].join(', ')}`,
        'response_format',
      );
    }
    const temperature = field(form, 'temperature');
    if (temperature !== undefined && !Number.isFinite(Number(temperature))) {
      throw invalidRequest('temperature must be a number', 'temperature');
    }
    const language = field(form, 'language');
    const prompt = field(form, 'prompt');
    return {
      model: field(form, 'model'),
      file,
      fields: {
        ...(language ? { language } : {}),
        ...(prompt ? { prompt } : {}),
        ...(responseFormat
          ? { response_format: responseFormat as TranscriptionRequest['response_format'] & string }
          : {}),
        ...(temperature !== undefined ? { temperature: Number(temperature) } : {}),
      },
    };
  },
  model: (parsed) => parsed.model,
  missing: (adapter) => (adapter.transcribe ? undefined : 'transcription'),
  async attempt(route, parsed, credential, signal) {
    const { adapter } = route;
    const upstream: TranscriptionRequest = {
      model: route.resolved.model,
      file: {
        data: new Uint8Array(await parsed.file.arrayBuffer()),
        filename: parsed.file.name || 'audio',
        contentType: parsed.file.type || 'application/octet-stream',
      },
      ...parsed.fields,
    };
    return (adapter.transcribe as NonNullable<typeof adapter.transcribe>).call(adapter, upstream, {
      credentials: credential.values,
      signal,
    });
  },
  answer(result, parsed) {
    const usage = result.usage?.type === 'tokens' ? result.usage : undefined;
    const tokens = { tokensIn: usage?.input_tokens ?? 0, tokensOut: usage?.output_tokens ?? 0 };
    const format = parsed.fields.response_format;
    if (format && format !== 'json' && format !== 'verbose_json') {
      return { kind: 'whole', body: result.text, contentType: 'text/plain; charset=utf-8', ...tokens };
    }
    return { kind: 'whole', body: JSON.stringify(result), ...tokens };
  },
};

/** POST /v1/audio/speech: the audio is streamed back as it arrives. */
export const speech: Endpoint<Record<string, unknown>, SpeechRequest, AudioStream> = {
  type: 'tts',
  parse(body) {
    if (typeof body.input !== 'string' || body.input === '')
      throw invalidRequest('input must be a non-empty string', 'input');
    if (body.voice !== undefined && typeof body.voice !== 'string')
      throw invalidRequest('voice must be a string', 'voice');
    return body as unknown as SpeechRequest;
  },
  model: (request) => requestedModel(request as unknown as Record<string, unknown>),
  missing: (adapter) => (adapter.speak ? undefined : 'speech'),
  attempt(route, request, credential, signal) {
    const { adapter } = route;
    const voices = adapter.manifest.models.find((model) => model.id === route.resolved.model)?.voices;
    const voice = request.voice ?? voices?.[0];
    if (!voice) throw invalidRequest('voice is required', 'voice');
    const upstream = { ...request, model: route.resolved.model, voice };
    return (adapter.speak as NonNullable<typeof adapter.speak>).call(adapter, upstream, {
      credentials: credential.values,
      signal,
    });
  },
  answer: (result, request) => ({
    kind: 'stream',
    headers: { 'content-type': result.contentType },
    chunks: result.body[Symbol.asyncIterator](),
    // Speech is billed by characters.
    usage: () => ({ tokensIn: request.input.length, tokensOut: 0 }),
    // Audio has no error event: cut the connection so the client sees a failure, not a short file.
    failure: () => undefined,
  }),
};
