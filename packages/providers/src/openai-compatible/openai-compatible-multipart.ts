import { randomBytes } from 'node:crypto';
import type { AudioFile } from '@switchboard/provider-spec';

/** A multipart/form-data body, built by hand so the exact bytes are known and testable. */
export interface MultipartBody {
  body: Uint8Array;
  contentType: string;
}

const encoder = new TextEncoder();

/** Quotes a form field name or file name as browsers do (RFC 7578: escape quotes and line breaks). */
const quote = (value: string) => value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');

/** Encodes the fields in order; undefined values are left out. */
export function multipartBody(
  fields: [name: string, value: string | number | AudioFile | undefined][],
): MultipartBody {
  const boundary = `----switchboard${randomBytes(12).toString('hex')}`;
  const parts: Uint8Array[] = [];
  for (const [name, value] of fields) {
    if (value === undefined) continue;
    if (typeof value === 'object') {
      parts.push(
        encoder.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"; filename="${quote(value.filename)}"\r\nContent-Type: ${value.contentType}\r\n\r\n`,
        ),
        value.data,
        encoder.encode('\r\n'),
      );
    } else {
      parts.push(
        encoder.encode(
          `--${boundary}\r\nContent-Disposition: form-data; name="${quote(name)}"\r\n\r\n${value}\r\n`,
        ),
      );
    }
  }
  parts.push(encoder.encode(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
