import { describe, expect, it } from 'vitest';
import { WAF_ERROR_CODES, WafError } from './waf-error.ts';

describe('WafError', () => {
  it('carries a stable code, HTTP 400, and a position from the source', () => {
    const error = new WafError('Waf.Syntax', 'boom', { source: 'ab\ncd\nef', offset: 4 });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('WafError');
    expect(error.code).toBe('Waf.Syntax');
    expect(error.httpStatus).toBe(400);
    expect(error.position).toEqual({ offset: 4, line: 2, column: 2 });
  });

  it('has a closed set of namespaced codes', () => {
    for (const code of Object.keys(WAF_ERROR_CODES)) expect(code).toMatch(/^Waf\.[A-Z][A-Za-z]+$/);
  });

  it('formats without a position as code and message', () => {
    expect(new WafError('Waf.BadRule', 'no id').format()).toBe('Waf.BadRule: no id');
  });

  it('formats a caret line, keeping tabs so the caret lines up', () => {
    const error = new WafError('Waf.Syntax', 'here', { source: 'ssl and\n\tfoo eq 1', offset: 9, length: 3 });
    expect(error.format()).toBe('Waf.Syntax at 2:2: here\n  \tfoo eq 1\n  \t^^^');
  });

  it('shows a window of a long line', () => {
    const source = `${'x'.repeat(200)}!${'y'.repeat(200)}`;
    const lines = new WafError('Waf.Syntax', 'bang', { source, offset: 200 }).format().split('\n');
    expect(lines[1]!.length).toBeLessThan(90);
    expect(lines[1]).toMatch(/^ {2}…x+!y+…$/);
    expect(lines[2]!.indexOf('^')).toBe(lines[1]!.indexOf('!'));
  });

  it('points past the end for errors at the end, and clamps offsets', () => {
    const error = new WafError('Waf.Syntax', 'end', { source: 'ssl and', offset: 7 });
    expect(error.format()).toBe('Waf.Syntax at 1:8: end\n  ssl and\n         ^');
    expect(new WafError('Waf.Syntax', 'x', { source: 'a', offset: 99 }).position).toEqual({ offset: 1, line: 1, column: 2 });
  });

  it('keeps the cause for logs', () => {
    const cause = new Error('engine');
    expect(new WafError('Waf.BadRegex', 'bad', { cause }).cause).toBe(cause);
  });
});
