'use strict';
/**
 * The process registered JSONata mappings run in, started by mapping.ts (`fork`, with --max-old-space-size). A
 * mapping is data an admin registered: it may recurse forever, loop, backtrack in a regular expression or build a
 * string of hundreds of megabytes. JSONata's own guardrails (`timeout`, `stack` depth and `sequence` length, checked
 * each time an expression node is entered) stop most runaways here, cooperatively, and this process carries on;
 * what they cannot interrupt (one regular expression, one builtin call) is stopped by the parent killing this
 * process, and memory by the heap limit it was started with. Either way the gateway's own event loop never runs a
 * mapping.
 *
 * Plain CommonJS, no TypeScript loader: a replacement starts in tens of milliseconds.
 *
 * Messages: in `{ id, expression, input }`; out `{ ready: true }` once, then per call `{ id, json }` (the record as
 * JSON, at most maxOutputBytes) or `{ id, error: { message, limit } }` (`limit`: a bound was exceeded).
 */
const jsonata = require('jsonata');

const bounds = JSON.parse(process.argv[2] || '{}');
const { timeoutMs, maxDepth, maxOutputBytes, maxSequence } = bounds;

/** JSONata's guardrail codes: stack depth, time, sequence length, range size. */
const LIMIT_CODES = new Set(['D1011', 'D1012', 'D2014', 'D2015', 'U9001']);

/**
 * $pad as JSONata's own (width in characters, counted as code points; negative pads on the left), refusing a width
 * past the output bound before the padding is allocated: `$pad("", 200000000, "x")` is one builtin call the
 * guardrails never see.
 */
function boundedPad(str, width, char) {
  if (typeof str === 'undefined') return undefined;
  width = Math.trunc(width);
  if (Math.abs(width) > maxOutputBytes)
    throw {
      code: 'U9001',
      message: `$pad width ${Math.abs(width)} exceeds the output bound (${maxOutputBytes} bytes)`,
    };
  const fill = typeof char === 'undefined' || char.length === 0 ? [' '] : Array.from(char);
  const padLength = Math.abs(width) - Array.from(str).length;
  if (padLength <= 0) return str;
  const padding = Array.from({ length: padLength }, (_, i) => fill[i % fill.length]).join('');
  return width > 0 ? str + padding : padding + str;
}

/** Compiled expressions by their text, the most recently used last (a Map keeps insertion order). */
const compiled = new Map();
const MAX_COMPILED = 256;

function compile(expression) {
  let expr = compiled.get(expression);
  if (expr) {
    compiled.delete(expression);
  } else {
    expr = jsonata(expression, { timeout: timeoutMs, stack: maxDepth, sequence: maxSequence });
    expr.registerFunction('pad', boundedPad, '<s-ns?:s>');
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value);
  }
  compiled.set(expression, expr);
  return expr;
}

process.on('message', async (message) => {
  const { id, expression, input } = message;
  try {
    const record = await compile(expression).evaluate(input);
    // A record is plain JSON (it is cached as JSON and read by compiled queries): JSONata's sequences are arrays.
    const json = record === undefined ? 'null' : JSON.stringify(record);
    if (Buffer.byteLength(json) > maxOutputBytes) {
      process.send({ id, error: { message: `the record is larger than ${maxOutputBytes} bytes`, limit: true } });
      return;
    }
    process.send({ id, json });
  } catch (err) {
    const { code, message: text } = err || {};
    // A RangeError is the engine's own limit (string length, call stack): a bound too.
    const limit = LIMIT_CODES.has(code) || err instanceof RangeError;
    process.send({ id, error: { message: String(text || err), limit } });
  }
});

// The gateway went away: so does this process.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
