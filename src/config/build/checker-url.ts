/**
 * HTTP_GET / SSL_GET's `url { path, digest, status_code (ranges), virtualhost, regex ... }`
 * block (keepalived check_http.c url keywords; PCRE regex options as JavaScript flags).
 */
import type { Statement } from '../ast.js';
import type { HttpCheckUrl } from '../model.js';
import { type BuildContext, type Handler, notSupported, requireArg } from './values.js';

/** readStatusCodes reads `status_code 200 [201-204 ...]`. */
function readStatusCodes(ctx: BuildContext, st: Statement): number[] {
  const codes: number[] = [];
  for (const w of st.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w.text);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      ctx.sink.warning(
        w.pos,
        'invalid-value',
        `status_code '${w.text}' is not an HTTP status code (100..599) or range; ignored`,
      );
      continue;
    }
    for (let c = lo; c <= hi; c++) codes.push(c);
  }
  return codes;
}

/** urlHandlers read the keywords of one url block. */
export const urlHandlers: Record<string, Handler<HttpCheckUrl>> = {
  path(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a path');
    if (w !== undefined) u.path = w.text;
  },
  digest(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'an MD5 digest');
    if (w === undefined) return;
    if (!/^[0-9a-fA-F]{32}$/.test(w.text))
      ctx.sink.warning(w.pos, 'invalid-value', `digest '${w.text}' is not 32 hex digits; ignored`);
    else u.digest = w.text.toLowerCase();
  },
  status_code(ctx, st, u) {
    u.statusCodes.push(...readStatusCodes(ctx, st));
  },
  virtualhost(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a host name');
    if (w !== undefined) u.virtualhost = w.text;
  },
  regex(ctx, st, u) {
    const w = requireArg(ctx, st, 0, 'a regular expression');
    if (w === undefined) return;
    try {
      new RegExp(w.text);
      u.regex = { pattern: w.text, noMatch: u.regex?.noMatch ?? false, flags: u.regex?.flags ?? '' };
    } catch (err) {
      ctx.sink.warning(w.pos, 'invalid-value', `regex '${w.text}': ${(err as Error).message}; ignored`);
    }
  },
  regex_no_match(_ctx, _st, u) {
    u.regex = { pattern: u.regex?.pattern ?? '', noMatch: true, flags: u.regex?.flags ?? '' };
  },
  regex_options(ctx, st, u) {
    // PCRE2 options keepalived names; the ones JavaScript has become flags.
    const map: Record<string, string> = { caseless: 'i', multiline: 'm', dotall: 's', unicode: 'u' };
    let flags = '';
    for (const w of st.args) {
      const f = map[w.text];
      if (f === undefined) notSupported(ctx, w, 'regex_options');
      else if (!flags.includes(f)) flags += f;
    }
    u.regex = { pattern: u.regex?.pattern ?? '', noMatch: u.regex?.noMatch ?? false, flags };
  },
  regex_min_offset(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
  regex_max_offset(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
  regex_stack(ctx, st) {
    notSupported(ctx, st.keyword, 'url');
  },
};
