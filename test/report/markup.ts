// Checks on generated markup shared by the SVG and HTML report tests.
import * as assert from 'uvu/assert';

/** Markup injection attempts that every escaped string in a report must neutralize. */
export const HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>';

/** Checks that every tag opened in `markup` is closed in order (void elements aside). */
export function assertBalanced(markup: string, what: string): void {
  const VOID = new Set(['meta', 'br', 'hr', 'img', 'input', 'link']);
  const stack: string[] = [];
  const body = markup.replace(/<!DOCTYPE[^>]*>/i, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>/g)) {
    const [, close, name, , self] = m;
    const tag = name!.toLowerCase();
    if (self || (!close && VOID.has(tag))) continue;
    if (!close) stack.push(tag);
    else {
      const top = stack.pop();
      assert.is(top, tag, `${what}: </${tag}> closes <${top}>`);
    }
  }
  assert.equal(stack, [], `${what}: unclosed tags`);
}
