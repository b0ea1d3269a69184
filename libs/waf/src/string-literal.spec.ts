import { describe, expect, it } from 'vitest';
import { printQuoted, printRaw, readStringLiteral, startsStringLiteral } from './string-literal.ts';
import { WafError } from './waf-error.ts';

describe('string literals', () => {
  it.each([
    ['"abc"', 'abc'],
    ['""', ''],
    [String.raw`"a\"b"`, 'a"b'],
    [String.raw`"a\\b"`, 'a\\b'],
    [String.raw`"\n\r\t"`, '\n\r\t'],
    [String.raw`"\x41\xff\x00"`, 'A\u00ff\u0000'],
    ['"é😀"', 'é😀'],
    ['"a\nb"', 'a\nb'],
    [String.raw`r"^\d+\.x$"`, String.raw`^\d+\.x$`],
    ['r""', ''],
    ['r#"say "hi""#', 'say "hi"'],
    ['r##"a"#b"##', 'a"#b'],
  ])('reads %s', (source, value) => {
    expect(startsStringLiteral(source, 0)).toBe(true);
    expect(readStringLiteral(`${source} rest`, 0)).toEqual({ value, end: source.length });
  });

  it.each([
    ['"abc', 0],
    [String.raw`"\d"`, 1],
    [String.raw`"\x4"`, 1],
    [String.raw`"\u0041"`, 1],
    ['"\\', 0],
    ['r"abc', 0],
    ['r#"abc"', 0],
    [`r${'#'.repeat(256)}"a"${'#'.repeat(256)}`, 0],
  ])('refuses %j with Waf.BadLiteral at offset %i', (source, offset) => {
    try {
      readStringLiteral(source, 0);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(WafError);
      expect((error as WafError).code).toBe('Waf.BadLiteral');
      expect((error as WafError).position?.offset).toBe(offset);
    }
  });

  it('does not take r or r# alone for a string', () => {
    expect(startsStringLiteral('r', 0)).toBe(false);
    expect(startsStringLiteral('r#x', 0)).toBe(false);
    expect(startsStringLiteral('ray', 0)).toBe(false);
  });

  it.each(['', 'plain', 'a"b\\c', '\n\r\t\u0000\u001f\u007f', 'é😀\ud800', '"#"##'])('prints %j back to itself', (value) => {
    for (const printed of [printQuoted(value), printRaw(value)]) {
      expect(readStringLiteral(printed, 0)).toEqual({ value, end: printed.length });
    }
  });

  it('prints with as few # as the content allows', () => {
    expect(printRaw(String.raw`\d+`)).toBe(String.raw`r"\d+"`);
    expect(printRaw('a"b')).toBe('r#"a"b"#');
    expect(printRaw('a"#b')).toBe('r##"a"#b"##');
    expect(printQuoted('\u0001')).toBe(String.raw`"\x01"`);
  });
});
