// The JavaScript that runs inside the isolates: the per-context hardening prelude and the
// wrappers around user code. Everything here is plain source text; nothing of the host realm is
// ever handed to an isolate.
//
// Protocol: the host sets one global string, `__piper_in` (the scope as JSON), runs the wrapper
// script, and gets one string back:
//   'R' + json                        success (the JSON text of the result)
//   'E' + index + '|' + message       the user code threw (index empty for `run`)
//   'N' + index + '|' + message       the result could not be converted to JSON
// The result is stringified inside the isolate, so no user object, getter or `toJSON` ever runs
// in the host; the host only parses a string.

/** Name of the only global the host sets before a call; the wrapper deletes it first thing. */
export const INPUT_GLOBAL = '__piper_in';

/** How many Intl objects one call may create (their ICU memory is not counted by the isolate's limit). */
export const INTL_OBJECT_BUDGET = 1000;

export const SCRIPT_FILENAME = 'piper-script';
export const EXPRESSION_FILENAME = 'piper-expression';

/**
 * Run once in every fresh context before any user code (a separate script, so that nothing the
 * user writes can run before it). It removes what would let a script use memory that
 * isolated-vm's `memoryLimit` does not account for, which could take the whole host process down:
 *  - WebAssembly (a `WebAssembly.Memory` is reserved and committed outside the limit),
 *  - SharedArrayBuffer / Atomics (growable shared buffers; `Atomics.wait` blocks the thread),
 *  - resizable ArrayBuffers (`new ArrayBuffer(n, { maxByteLength })` reserves address space and
 *    commits memory outside the limit; exhausting the address space aborts the process): the
 *    global `ArrayBuffer` and `ArrayBuffer.prototype.constructor` are replaced by a wrapper that
 *    passes only the length, and no other path reaches the native constructor with options,
 *  - Intl objects hold ICU memory outside the limit (a DateTimeFormat is ~26 KB): their
 *    constructors are wrapped to allow at most INTL_OBJECT_BUDGET per call; Intl.Segmenter (whose
 *    `segment()` results hold ICU iterators) is removed.
 */
export const PRELUDE_SOURCE = `(function () {
'use strict';
const g = globalThis;
const defineProperty = Object.defineProperty;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const construct = Reflect.construct;
delete g.WebAssembly;
delete g.SharedArrayBuffer;
delete g.Atomics;

const NativeArrayBuffer = g.ArrayBuffer;
const arrayBufferPrototype = NativeArrayBuffer.prototype;
const ArrayBuffer = function ArrayBuffer(length) {
  if (new.target === undefined) throw new TypeError("Constructor ArrayBuffer requires 'new'");
  return construct(NativeArrayBuffer, [length], new.target);
};
defineProperty(ArrayBuffer, 'prototype', { value: arrayBufferPrototype, writable: false });
defineProperty(ArrayBuffer, 'isView', { value: NativeArrayBuffer.isView, writable: true, configurable: true });
defineProperty(ArrayBuffer, Symbol.species, getOwnPropertyDescriptor(NativeArrayBuffer, Symbol.species));
defineProperty(arrayBufferPrototype, 'constructor', { value: ArrayBuffer, writable: true, configurable: true });
delete arrayBufferPrototype.resize;
defineProperty(g, 'ArrayBuffer', { value: ArrayBuffer, writable: true, configurable: true });

const Intl = g.Intl;
if (Intl !== undefined) {
  delete Intl.Segmenter;
  let budget = ${INTL_OBJECT_BUDGET};
  const names = ['Collator', 'DateTimeFormat', 'DisplayNames', 'ListFormat', 'Locale', 'NumberFormat', 'PluralRules', 'RelativeTimeFormat'];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const Native = Intl[name];
    if (typeof Native !== 'function') continue;
    const Wrapped = { [name]: function (...args) {
      if (--budget < 0) throw new RangeError('Too many Intl objects in one evaluation (at most ${INTL_OBJECT_BUDGET}); create one and reuse it');
      return new.target === undefined ? Native(...args) : construct(Native, args, new.target);
    } }[name];
    defineProperty(Wrapped, 'length', { value: Native.length });
    defineProperty(Wrapped, 'prototype', { value: Native.prototype, writable: false });
    defineProperty(Wrapped, 'supportedLocalesOf', { value: Native.supportedLocalesOf, writable: true, configurable: true });
    defineProperty(Native.prototype, 'constructor', { value: Wrapped, writable: true, configurable: true });
    defineProperty(Intl, name, { value: Wrapped, writable: true, configurable: true });
  }
}
})();`;

// Shared head of both runners: strict code that reads and deletes the input global and captures
// the built-ins it needs before any user code runs. (User code can still tamper with built-ins
// later, but that only affects its own result, which the host validates.)
function runnerHead(lineFilename: string | null): string {
  return `(function (make) {
'use strict';
const input = globalThis.${INPUT_GLOBAL};
delete globalThis.${INPUT_GLOBAL};
const stringify = JSON.stringify;
const parse = JSON.parse;
const setPrototypeOf = Object.setPrototypeOf;
const apply = Reflect.apply;
const then = Promise.prototype.then;
const exec = RegExp.prototype.exec;
const toString = String;
const linePattern = ${lineFilename === null ? 'null' : `/^\\s+at (?:[^\\n(]*\\()?${lineFilename}:(\\d+):\\d+\\)?$/m`};
const describe = (error) => {
  try {
    if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
      const name = error.name;
      const message = error.message;
      if (typeof message === 'string') {
        const kind = typeof name === 'string' && name !== '' ? name : 'Error';
        let text = message === '' ? kind : kind + ': ' + message;
        const stack = error.stack;
        const match = linePattern !== null && typeof stack === 'string' ? apply(exec, linePattern, [stack]) : null;
        if (match !== null && match[1] !== '0') text = text + ' (line ' + match[1] + ')';
        return text;
      }
      const json = stringify(error);
      return 'Uncaught ' + (typeof json === 'string' ? json : toString(error));
    }
    return typeof error === 'string' ? error : 'Uncaught ' + toString(error);
  } catch (_) {
    return 'Uncaught exception';
  }
};
const toJson = (value) => {
  let text;
  try {
    text = stringify(value === undefined ? null : value);
  } catch (error) {
    return [false, 'Result is not JSON: ' + describe(error)];
  }
  if (typeof text !== 'string') return [false, 'Result is not JSON: a ' + typeof value + ' cannot be converted'];
  return [true, text];
};
const scope = setPrototypeOf(parse(input), null);
`;
}

const RUN_TAIL = `return apply(then, make(scope)(), [
  (value) => { const json = toJson(value); return json[0] ? 'R' + json[1] : 'N|' + json[1]; },
  (error) => 'E|' + describe(error),
]);
})(function (__piper_scope) { with (__piper_scope) { return async function () {
`;

const EVALUATE_TAIL = `const list = make(scope);
const count = list.length;
let out = '';
for (let i = 0; i < count; i++) {
  let value;
  try {
    value = list[i]();
  } catch (error) {
    return 'E' + i + '|' + describe(error);
  }
  const json = toJson(value);
  if (!json[0]) return 'N' + i + '|' + json[1];
  out = i === 0 ? json[1] : out + ',' + json[1];
}
return 'R[' + out + ']';
})(function (__piper_scope) { with (__piper_scope) { return [
`;

const RUN_PREFIX = runnerHead(SCRIPT_FILENAME) + RUN_TAIL;
// Expressions are short; a line number in the combined script would only confuse.
const EVALUATE_PREFIX = runnerHead(null) + EVALUATE_TAIL;

function countLines(text: string): number {
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** Line offset that makes the first line of the user's function body line 1 in errors. */
export const RUN_LINE_OFFSET = -countLines(RUN_PREFIX);

/** Wraps a function body (sloppy mode, so `with` gives a flat scope; `await` allowed). */
export function runSource(functionBody: string): string {
  return RUN_PREFIX + functionBody + '\n}; } })';
}

const EXPRESSION_PREFIX = 'function () { return (\n';
const EXPRESSION_SUFFIX = '\n); },\n';

/** Wraps several expressions; each is evaluated lazily, in order, by the runner. */
export function evaluateSource(expressions: readonly string[]): string {
  let source = EVALUATE_PREFIX;
  for (const expression of expressions) source += EXPRESSION_PREFIX + expression + EXPRESSION_SUFFIX;
  return source + ']; } })';
}

/** One expression alone, compiled only to find which expression holds a syntax error. */
export function singleExpressionSource(expression: string): string {
  return '(' + EXPRESSION_PREFIX + expression + '\n); })';
}

/** Line offset that makes the first line of an expression line 1 in `singleExpressionSource`. */
export const SINGLE_EXPRESSION_LINE_OFFSET = -1;

export type DecodedResult =
  | { kind: 'ok'; json: string }
  | { kind: 'error' | 'not_json'; message: string; index: number | undefined };

/** Decodes the runner's answer. Anything unexpected (user code can tamper with its runner) is not JSON. */
export function decodeResult(output: unknown): DecodedResult {
  if (typeof output !== 'string' || output.length === 0) {
    return { kind: 'not_json', message: 'Result is not JSON', index: undefined };
  }
  const tag = output[0];
  if (tag === 'R') return { kind: 'ok', json: output.slice(1) };
  const bar = output.indexOf('|');
  if ((tag === 'E' || tag === 'N') && bar > 0) {
    const digits = output.slice(1, bar);
    const index = /^\d{1,9}$/.test(digits) ? Number(digits) : undefined;
    return { kind: tag === 'E' ? 'error' : 'not_json', message: output.slice(bar + 1), index };
  }
  return { kind: 'not_json', message: 'Result is not JSON', index: undefined };
}
