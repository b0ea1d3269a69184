import { describe, expect, it } from 'vitest';
import { Output, formatCell, renderTable } from './output.ts';

describe('output', () => {
  it('pads table columns under upper-case headers, the last column unpadded', () => {
    const table = renderTable(
      [
        { id: 'cc_1', status: 'active', action: { type: 'block' } },
        { id: 'cc_22', status: 'revoked' },
      ],
      [
        ['id', 'id'],
        ['status', 'status'],
        ['action', 'action.type'],
      ],
    );
    expect(table).toBe('ID     STATUS   ACTION\ncc_1   active   block\ncc_22  revoked  -\n');
  });

  it('formats cells on one line', () => {
    expect(formatCell(undefined)).toBe('-');
    expect(formatCell([])).toBe('-');
    expect(formatCell(['a.test', 'b.test'])).toBe('a.test, b.test');
    expect(formatCell({ ruleId: 'r1', rules: 2 })).toBe('ruleId=r1 rules=2');
    expect(formatCell({ nested: { a: 1 } })).toBe('{"nested":{"a":1}}');
    expect(formatCell('two\nlines')).toBe('two lines');
    expect(formatCell(false)).toBe('false');
  });

  it('json lists keep totalCount and items; notes go to stderr only', () => {
    let stdout = '';
    let stderr = '';
    const out = new Output(
      'json',
      (t) => (stdout += t),
      (t) => (stderr += t),
    );
    out.list({ totalCount: 3, items: [{ id: 'a' }] }, [['id', 'id']]);
    out.text('not in json');
    out.note('for people');
    expect(JSON.parse(stdout)).toEqual({ totalCount: 3, items: [{ id: 'a' }] });
    expect(stderr).toBe('for people\n');
  });
});
