import { describe, expect, it } from 'vitest';
import { withoutHopByHop } from './response-fields.ts';

describe('response fields for the client', () => {
  it('drops hop-by-hop fields in any case, and those the Connection field names, keeping repeated fields in order', () => {
    expect(
      withoutHopByHop([
        'Connection',
        'close, X-Private',
        'Transfer-Encoding',
        'chunked',
        'Keep-Alive',
        'timeout=5',
        'set-cookie',
        'a=1',
        'x-private',
        'hop',
        'Content-Type',
        'text/plain',
        'set-cookie',
        'b=2',
        'upgrade',
        'h2c',
      ]),
    ).toEqual(['set-cookie', 'a=1', 'Content-Type', 'text/plain', 'set-cookie', 'b=2']);
  });
});
