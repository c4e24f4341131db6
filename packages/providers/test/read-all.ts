// Test-only helper shared by the stream tests of several providers (imported by *.test.ts).

/** Reads a whole byte stream (an SSE body) as UTF-8 text. */
export async function readAll(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
