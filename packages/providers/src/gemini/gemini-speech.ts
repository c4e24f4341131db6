import { BadRequestError, MalformedResponseError, type SpeechRequest } from '@switchboard/provider-spec';
import type { GeminiResponse } from './gemini-chat.ts';

/** Gemini's prebuilt TTS voices. */
export const GEMINI_VOICES = [
  'Zephyr',
  'Puck',
  'Charon',
  'Kore',
  'Fenrir',
  'Leda',
  'Orus',
  'Aoede',
  'Callirrhoe',
  'Autonoe',
  'Enceladus',
  'Iapetus',
  'Umbriel',
  'Algieba',
  'Despina',
  'Erinome',
  'Algenib',
  'Rasalgethi',
  'Laomedeia',
  'Achernar',
  'Alnilam',
  'Schedar',
  'Gacrux',
  'Pulcherrima',
  'Achird',
  'Zubenelgenubi',
  'Vindemiatrix',
  'Sadachbia',
  'Sadaltager',
  'Sulafat',
];

const voiceByLowerName = new Map(GEMINI_VOICES.map((voice) => [voice.toLowerCase(), voice]));

/** generateContent body asking a TTS model for audio in one prebuilt voice. */
export interface GeminiSpeechRequest {
  contents: { role: 'user'; parts: { text: string }[] }[];
  generationConfig: {
    responseModalities: ['AUDIO'];
    speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: string } } };
  };
}

/**
 * The TTS request for a canonical speech request. Gemini takes style directions as words in the
 * prompt ("Say cheerfully: ..."), so `instructions` lead the text; `speed` has no equivalent.
 */
export function toSpeechRequest(request: SpeechRequest): GeminiSpeechRequest {
  const voiceName = voiceByLowerName.get(request.voice.toLowerCase());
  if (!voiceName) {
    throw new BadRequestError(
      `Gemini: unknown voice "${request.voice}"; use one of ${GEMINI_VOICES.join(', ')}`,
      {
        provider: 'gemini',
        field: 'voice',
      },
    );
  }
  const instructions = request.instructions?.trim();
  const text = instructions ? `${instructions}: ${request.input}` : request.input;
  return {
    contents: [{ role: 'user', parts: [{ text }] }],
    generationConfig: {
      responseModalities: ['AUDIO'],
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName } } },
    },
  };
}

/** Raw PCM and its sample rate from a TTS answer (`audio/L16;codec=pcm;rate=24000`). */
export function speechAudio(response: GeminiResponse): { pcm: Buffer; sampleRate: number } {
  for (const part of response.candidates?.[0]?.content?.parts ?? []) {
    const inline = part.inlineData;
    if (!inline?.data) continue;
    const rate = inline.mimeType.indexOf('rate=');
    const sampleRate = rate === -1 ? 24_000 : Number.parseInt(inline.mimeType.slice(rate + 5), 10) || 24_000;
    return { pcm: Buffer.from(inline.data, 'base64'), sampleRate };
  }
  throw new MalformedResponseError('Gemini: the speech answer holds no audio', { provider: 'gemini' });
}

/** A 44-byte RIFF header before 16-bit mono PCM, so any player can open it. */
export function pcmToWav(pcm: Buffer, sampleRate: number): Buffer {
  const channels = 1;
  const bytesPerSample = 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * bytesPerSample, 28);
  header.writeUInt16LE(channels * bytesPerSample, 32);
  header.writeUInt16LE(bytesPerSample * 8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
