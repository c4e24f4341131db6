import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SpeechRequest, TranscriptionRequest } from '@switchboard/providers/spec';
import { CallRecord, clientGone, sendJson, writeChunk } from '../call.ts';
import { invalidRequest, sendError } from '../errors.ts';
import type { Principal } from '../principal.ts';
import type { GatewayRuntime } from '../runtime.ts';
import { requestedModel, unsupported } from './shared.ts';

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

/** POST /v1/audio/transcriptions (multipart: file, model, language, prompt, response_format, temperature). */
export async function transcriptions(
  runtime: GatewayRuntime,
  principal: Principal,
  request: IncomingMessage,
  body: Buffer,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, 'speech2text');
  try {
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
    const route = await runtime.route(principal, 'speech2text', field(form, 'model'));
    call.route = route;
    const { transcribe } = route.adapter;
    if (!transcribe) throw unsupported(route, 'transcription');
    const upstream: TranscriptionRequest = {
      model: route.resolved.model,
      file: {
        data: new Uint8Array(await file.arrayBuffer()),
        filename: file.name || 'audio',
        contentType: file.type || 'application/octet-stream',
      },
      ...(field(form, 'language') ? { language: field(form, 'language') as string } : {}),
      ...(field(form, 'prompt') ? { prompt: field(form, 'prompt') as string } : {}),
      ...(responseFormat
        ? { response_format: responseFormat as TranscriptionRequest['response_format'] & string }
        : {}),
      ...(temperature !== undefined ? { temperature: Number(temperature) } : {}),
    };
    const signal = clientGone(response);
    const done = await runtime.withFailover(principal, route, (credential) =>
      transcribe.call(route.adapter, upstream, { credentials: credential.values, signal }),
    );
    call.credentialId = done.credentialId;
    const usage = done.result.usage;
    if (usage?.type === 'tokens') {
      call.tokensIn = usage.input_tokens;
      call.tokensOut = usage.output_tokens;
    }
    call.firstByte();
    if (responseFormat && responseFormat !== 'json' && responseFormat !== 'verbose_json') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(done.result.text);
    } else {
      sendJson(response, JSON.stringify(done.result));
    }
    call.finish('ok', 200);
  } catch (error) {
    sendError(response, call.failed(error));
  }
}

/** POST /v1/audio/speech: the audio is streamed back as it arrives. */
export async function speech(
  runtime: GatewayRuntime,
  principal: Principal,
  body: Record<string, unknown>,
  response: ServerResponse,
): Promise<void> {
  const call = new CallRecord(runtime, principal, 'tts');
  try {
    if (typeof body.input !== 'string' || body.input === '')
      throw invalidRequest('input must be a non-empty string', 'input');
    if (body.voice !== undefined && typeof body.voice !== 'string')
      throw invalidRequest('voice must be a string', 'voice');
    const route = await runtime.route(principal, 'tts', requestedModel(body));
    call.route = route;
    const { speak } = route.adapter;
    if (!speak) throw unsupported(route, 'speech');
    const voices = route.adapter.manifest.models.find((model) => model.id === route.resolved.model)?.voices;
    const voice = (body.voice as string | undefined) ?? voices?.[0];
    if (!voice) throw invalidRequest('voice is required', 'voice');
    const upstream = { ...body, model: route.resolved.model, voice } as SpeechRequest;
    const signal = clientGone(response);
    const done = await runtime.withFailover(principal, route, (credential) =>
      speak.call(route.adapter, upstream, { credentials: credential.values, signal }),
    );
    call.credentialId = done.credentialId;
    call.tokensIn = body.input.length;
    response.writeHead(200, { 'content-type': done.result.contentType });
    try {
      for await (const chunk of done.result.body) {
        call.firstByte();
        await writeChunk(response, chunk, runtime.limits.writeIdleMs);
        if (response.destroyed) break;
      }
      response.end();
      call.finish(response.destroyed ? 'client_closed' : 'ok', 200);
    } catch (error) {
      // Audio has no error event: cut the connection so the client sees a failure, not a short file.
      runtime.failedMidStream(principal, done.credentialId, error);
      response.destroy();
      call.failed(error);
    }
  } catch (error) {
    sendError(response, call.failed(error));
  }
}
