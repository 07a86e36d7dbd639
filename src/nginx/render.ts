/**
 * Rendering a template with its context: pure apart from reading the template file. Output is
 * not HTML-escaped (nginx and keepalived.conf are not HTML); templates use `quote` for strings
 * that need it. `strict` makes a misspelt field an error instead of an empty string.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type HandlebarsNs from 'handlebars';
import { KeepvipError } from '../util/errors.js';
import { TEMPLATE_HELPERS } from './helpers.js';

/** BUILTIN_TEMPLATE_DIR is keepvip's own templates/ (the same relative place from src/ and dist/). */
export const BUILTIN_TEMPLATE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../templates');

/** TemplateError is a template that cannot be found, compiled or rendered (code E_TEMPLATE). */
export class TemplateError extends KeepvipError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_TEMPLATE', message, options);
  }
}

// handlebars is loaded on the first render (a CommonJS package, so synchronously): a daemon
// without nginx_upstream blocks does not carry it.
let env: typeof HandlebarsNs | undefined;
function handlebars(): typeof HandlebarsNs {
  if (env) return env;
  const h = (createRequire(import.meta.url)('handlebars') as typeof HandlebarsNs).create();
  for (const [name, fn] of Object.entries(TEMPLATE_HELPERS)) h.registerHelper(name, fn);
  env = h;
  return h;
}

/** resolveTemplatePath finds a template: an absolute path as is, else in `templateDir`, then in keepvip's templates/. */
export function resolveTemplatePath(template: string, templateDir?: string): string {
  if (isAbsolute(template)) return template;
  const candidates = [
    ...(templateDir ? [join(templateDir, template)] : []),
    join(BUILTIN_TEMPLATE_DIR, template),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined)
    throw new TemplateError(`template ${template} not found in ${candidates.join(', ')}`);
  return found;
}

/** renderTemplateText renders template source with a context; `name` is used in error messages. */
export function renderTemplateText(source: string, context: object, name = 'template'): string {
  try {
    return handlebars().compile(source, { noEscape: true, strict: true })(context);
  } catch (err) {
    throw new TemplateError(`${name}: ${(err as Error).message}`, { cause: err });
  }
}

/** renderTemplateFile reads a template (see resolveTemplatePath) and renders it. */
export function renderTemplateFile(template: string, context: object, templateDir?: string): string {
  const path = resolveTemplatePath(template, templateDir);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TemplateError(`cannot read template ${path}: ${(err as Error).message}`, { cause: err });
  }
  return renderTemplateText(source, context, path);
}
