import net from 'node:net';
import tls from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maxClientHelloBytes, readClientHello } from './client-hello.ts';

/** A ClientHello handshake message with the given extensions (type, data). */
function helloMessage(extensions: readonly [number, Uint8Array][] | undefined): Buffer {
  const parts: Buffer[] = [
    Buffer.from([3, 3]),
    Buffer.alloc(32, 7),
    Buffer.from([0]),
    Buffer.from([0, 2, 0x13, 0x01]),
    Buffer.from([1, 0]),
  ];
  if (extensions) {
    const body = Buffer.concat(extensions.map(([type, data]) => Buffer.concat([u16(type), u16(data.length), data])));
    parts.push(u16(body.length), body);
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function sniExtension(...names: string[]): [number, Uint8Array] {
  const entries = Buffer.concat(names.map((name) => Buffer.concat([Buffer.from([0]), u16(name.length), Buffer.from(name, 'latin1')])));
  return [0, Buffer.concat([u16(entries.length), entries])];
}

/** Wraps a handshake message into records of at most `size` bytes. */
function records(message: Buffer, size = 16_384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < message.length; at += size) {
    const fragment = message.subarray(at, at + size);
    out.push(Buffer.from([22, 3, 1]), u16(fragment.length), fragment);
  }
  return Buffer.concat(out);
}

function u16(value: number): Buffer {
  return Buffer.from([value >> 8, value & 0xff]);
}

/** The first bytes a real client sends, captured by a plain TCP server. */
async function capture(connect: (port: number) => void): Promise<Buffer> {
  return new Promise((resolve) => {
    const server = net.createServer((socket) => {
      let received = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (readClientHello(received).status !== 'incomplete') {
          socket.destroy();
          server.close();
          resolve(received);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => connect((server.address() as net.AddressInfo).port));
  });
}

describe('ClientHello SNI reader', () => {
  it('reads the SNI of a real Node ClientHello, and says incomplete for every prefix of it', async () => {
    const bytes = await capture((port) => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'API.Example.com', ALPNProtocols: ['http/1.1'] });
      socket.on('error', () => undefined);
    });
    expect(readClientHello(bytes)).toEqual({ status: 'complete', serverName: 'api.example.com' });
    for (let cut = 0; cut < bytes.length; cut++) expect(readClientHello(bytes.subarray(0, cut)).status).toBe('incomplete');
  });

  it('reads a ClientHello split over several records', () => {
    const message = helloMessage([[10, Buffer.from([0, 2, 0, 29])], sniExtension('a.example')]);
    expect(readClientHello(records(message, 7))).toEqual({ status: 'complete', serverName: 'a.example' });
  });

  it('reports no SNI, with and without an extensions block', () => {
    expect(readClientHello(records(helloMessage(undefined)))).toEqual({ status: 'complete', serverName: undefined });
    expect(readClientHello(records(helloMessage([[10, Buffer.from([0, 2, 0, 29])]])))).toEqual({
      status: 'complete',
      serverName: undefined,
    });
  });

  it('refuses garbage, plain HTTP, malformed lengths and bad names', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n')).status).toBe('invalid');
    expect(readClientHello(Buffer.from([22, 9, 1, 0, 1, 1])).status).toBe('invalid');
    expect(readClientHello(Buffer.from([22, 3, 1, 0, 0])).status).toBe('invalid');
    expect(readClientHello(records(Buffer.from([2, 0, 0, 0]))).status).toBe('invalid');
    const truncatedBody = Buffer.from([1, 0, 0, 3, 3, 3, 0]);
    expect(readClientHello(records(truncatedBody))).toEqual({ status: 'invalid', reason: 'a truncated ClientHello' });
    expect(readClientHello(records(helloMessage([sniExtension('a.example'), sniExtension('b.example')]))).status).toBe('invalid');
    expect(readClientHello(records(helloMessage([sniExtension('bad name')]))).status).toBe('invalid');
    expect(readClientHello(records(helloMessage([sniExtension('caf\xe9.example')]))).status).toBe('invalid');
    const lying = helloMessage([sniExtension('a.example')]);
    lying[lying.length - 14] = 0xff; // the server_name list length now overruns its extension
    expect(readClientHello(records(lying)).status).toBe('invalid');
  });

  it('refuses an oversized ClientHello from its header, before it arrives', () => {
    const header = Buffer.from([22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x00]);
    expect(readClientHello(header)).toEqual({ status: 'invalid', reason: `a ClientHello over ${maxClientHelloBytes} bytes` });
    const padded = helloMessage([sniExtension('a.example'), [21, Buffer.alloc(maxClientHelloBytes)]]);
    expect(readClientHello(records(padded)).status).toBe('invalid');
  });

  it('takes the first host_name of the list and a name with a trailing dot', () => {
    expect(readClientHello(records(helloMessage([sniExtension('a.example.', 'b.example')])))).toEqual({
      status: 'complete',
      serverName: 'a.example',
    });
  });

  it('never throws and never reads a name out of random bytes after a valid header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const bytes = Buffer.concat([Buffer.from([22, 3, 1, tail.length >> 8, tail.length & 0xff]), tail]);
        const result = readClientHello(bytes);
        expect(['incomplete', 'complete', 'invalid']).toContain(result.status);
      }),
      { numRuns: 2000 },
    );
  });
});
