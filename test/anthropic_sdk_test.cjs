// Anthropic Messages through the official @anthropic-ai/sdk (1.x): messages.create (text; tool
// use, its input validated by ajv against the tool's input_schema), messages.stream(...)
// .finalMessage() for text, tool use and thinking, messages.countTokens, OverloadedError on 529
// (maxRetries 0), the retry after retry-after (maxRetries 1), and an aborted stream freeing its slot.
// usage: node test/anthropic_sdk_test.cjs BASE_URL MODULE_DIR MODE
//   MODE main: a server with REASONING_TOKENS=8; MODE full: MAX_CONCURRENT=1 RETRY_AFTER_SECONDS=1
//   and answers that take 1.5 s (the test holds the one slot itself).
// Prints "ok - NAME" / "FAIL - NAME (details)" per check and "sdk: P passed, F failed".
const path = require('path');
const base = process.argv[2];
const NODE_DIR = process.argv[3];
const MODE = process.argv[4] || 'main';
const Anthropic = require(path.resolve(NODE_DIR, 'node_modules/@anthropic-ai/sdk')).default;
const Ajv = require(path.resolve(NODE_DIR, 'node_modules/ajv')).default;

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`FAIL - ${name} (${detail})`); }
}
async function step(name, fn, ms = 15000) {
  let timer;
  try {
    await Promise.race([fn(), new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms`)), ms); })]);
  } catch (e) {
    check(name, false, `threw ${e && e.constructor && e.constructor.name}: ${String(e && e.message).slice(0, 300)}`);
  } finally {
    clearTimeout(timer);
  }
}
const short = (v) => JSON.stringify(v === undefined ? null : v).slice(0, 300);
const CONTENT = '我是阿里云开发的一款超大规模语言模型，我叫通义千问。';
const MODEL = 'claude-sonnet-4-6';
const user = (content) => [{ role: 'user', content }];
const WEATHER = {
  type: 'object',
  properties: {
    location: {
      type: 'object',
      properties: { city: { type: 'string', minLength: 1 }, country: { type: 'string', enum: ['CN', 'US', 'DE'] } },
      required: ['city', 'country'],
      additionalProperties: false,
    },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
  required: ['location', 'unit', 'days'],
  additionalProperties: false,
};
const tools = [{ name: 'get_weather', description: 'The weather', input_schema: WEATHER }];
const validate = new Ajv({ strict: false }).compile(WEATHER);
const health = async () => (await (await fetch(`${base}/health`)).json()).active_requests;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const client = new Anthropic({ baseURL: base, apiKey: 'sk-ant-test', maxRetries: 0, timeout: 15000 });
  await step('create text', async () => {
    const m = await client.messages.create({ model: MODEL, max_tokens: 1024, messages: user('hi') });
    check('create text: type message, role assistant', m.type === 'message' && m.role === 'assistant', short(m));
    check('create text: the text block', m.content.length === 1 && m.content[0].type === 'text' && m.content[0].text === CONTENT, short(m.content));
    check('create text: stop_reason end_turn', m.stop_reason === 'end_turn' && m.stop_sequence === null, short(m));
    check('create text: usage numbers', m.usage.input_tokens > 0 && m.usage.output_tokens > 0, short(m.usage));
    check('create text: _request_id from request-id', /^req_[0-9a-f]{32}$/.test(m._request_id || ''), String(m._request_id));
  });
  await step('create tool use', async () => {
    const m = await client.messages.create({ model: MODEL, max_tokens: 1024, tools, tool_choice: { type: 'any' }, messages: user('weather?') });
    const b = m.content.find((c) => c.type === 'tool_use');
    check('create tool_use: a tool_use block, stop_reason tool_use', b && b.name === 'get_weather' && m.stop_reason === 'tool_use', short(m));
    check('create tool_use: id toolu_', b && /^toolu_[0-9A-Za-z]{24}$/.test(b.id), short(b));
    check('create tool_use: input valid against input_schema (ajv)', b && validate(b.input), short(b && b.input) + ' ' + short(validate.errors));
    // The tool's answer back: the next turn is text (TOOL_ROUNDS=1).
    const next = await client.messages.create({
      model: MODEL, max_tokens: 1024, tools,
      messages: [...user('weather?'), { role: 'assistant', content: m.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: b.id, content: 'sunny' }] }],
    });
    check('create tool_use: after the tool_result, text end_turn', next.content[0].type === 'text' && next.stop_reason === 'end_turn', short(next));
  });
  await step('stream text finalMessage', async () => {
    const s = client.messages.stream({ model: MODEL, max_tokens: 1024, messages: user('hi') });
    let text = '';
    s.on('text', (d) => { text += d; });
    const m = await s.finalMessage();
    check('stream text: text events = the server text', text === CONTENT, short(text));
    check('stream text: finalMessage text block', m.content.length === 1 && m.content[0].text === CONTENT, short(m.content));
    check('stream text: finalMessage stop_reason end_turn, output_tokens', m.stop_reason === 'end_turn' && m.usage.output_tokens > 0, short(m));
    check('stream text: finalMessage id msg_', /^msg_[0-9a-f]{32}$/.test(m.id), m.id);
  });
  await step('stream tool use finalMessage', async () => {
    const s = client.messages.stream({ model: MODEL, max_tokens: 1024, tools, messages: user('weather?') });
    let json = '';
    s.on('inputJson', (d) => { json += d; });
    const m = await s.finalMessage();
    const b = m.content.find((c) => c.type === 'tool_use');
    check('stream tool_use: finalMessage tool_use block, stop_reason tool_use', b && m.stop_reason === 'tool_use', short(m));
    check('stream tool_use: input an object valid against input_schema', b && typeof b.input === 'object' && validate(b.input), short(b && b.input));
    check('stream tool_use: inputJson fragments = the input', b && json.length > 0 && JSON.stringify(JSON.parse(json)) === JSON.stringify(b.input), json);
  });
  await step('stream thinking finalMessage', async () => {
    const s = client.messages.stream({ model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: user('hi') });
    let thinking = '';
    s.on('thinking', (d) => { thinking += d; });
    const m = await s.finalMessage();
    check('stream thinking: blocks thinking then text', m.content.length === 2 && m.content[0].type === 'thinking' && m.content[1].type === 'text', short(m.content));
    check('stream thinking: 8 tokens of thinking, a signature', m.content[0].thinking.length > 0 && m.content[0].thinking === thinking && m.content[0].signature.length > 0, short(m.content[0]));
    check('stream thinking: text is the server text', m.content[1].text === CONTENT, short(m.content[1]));
    const w = await client.messages.create({ model: MODEL, max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: user('hi') });
    check('create thinking: the same thinking text as streamed', w.content[0].type === 'thinking' && w.content[0].thinking === thinking, short(w.content));
  });
  await step('countTokens', async () => {
    const c = await client.messages.countTokens({ model: MODEL, messages: user('What is the weather in Paris?'), system: 'Be terse.' });
    const m = await client.messages.create({ model: MODEL, max_tokens: 16, messages: user('What is the weather in Paris?'), system: 'Be terse.' });
    check('countTokens: input_tokens = the message usage', c.input_tokens > 0 && c.input_tokens === m.usage.input_tokens, `${short(c)} vs ${m.usage.input_tokens}`);
  });
  await step('400 BadRequestError', async () => {
    try {
      await client.messages.create({ model: MODEL, max_tokens: 0, messages: user('hi') });
      check('max_tokens 0: BadRequestError', false, 'no error');
    } catch (e) {
      check('max_tokens 0: BadRequestError, invalid_request_error', e instanceof Anthropic.BadRequestError && e.status === 400 &&
        e.error && e.error.error && e.error.error.type === 'invalid_request_error', `${e.constructor.name} ${short(e.error)}`);
      check('max_tokens 0: requestID', /^req_/.test(e.requestID || ''), String(e.requestID));
    }
  });
  await step('aborted stream frees its slot', async () => {
    const ac = new AbortController();
    const s = client.messages.stream({ model: MODEL, max_tokens: 1024, messages: user('hi') }, { signal: ac.signal, headers: { 'X-Mock-ITL': '0.5' } });
    let got = 0;
    s.on('text', () => { got++; if (got === 1) { ac.abort(); } });
    try { await s.finalMessage(); } catch (e) { /* aborted */ }
    check('abort: the stream had begun', got >= 1, `got ${got}`);
    const t0 = Date.now();
    let n = await health();
    while (n !== 0 && Date.now() - t0 < 2000) { await sleep(50); n = await health(); }
    check('abort: active_requests back to 0 within 2 s', n === 0, `active ${n} after ${Date.now() - t0} ms`);
  });
}

async function full() {
  // The one slot held by a raw request of 1.5 s.
  const hold = (delay) => fetch(`${base}/v1/messages`, {
    method: 'POST', headers: { 'content-type': 'application/json', ...(delay ? { 'X-Mock-Delay': String(delay) } : {}) },
    body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: user('hi') }),
  }).then((r) => r.text());
  const waitActive = async (n) => { const t0 = Date.now(); while ((await health()) !== n && Date.now() - t0 < 2000) { await sleep(20); } };
  await step('529 OverloadedError', async () => {
    const held = hold();
    await waitActive(1);
    const c0 = new Anthropic({ baseURL: base, apiKey: 'k', maxRetries: 0, timeout: 15000 });
    try {
      await c0.messages.create({ model: MODEL, max_tokens: 16, messages: user('hi') });
      check('529: OverloadedError', false, 'no error');
    } catch (e) {
      check('529: OverloadedError', e instanceof Anthropic.OverloadedError && e.status === 529, `${e.constructor.name} ${e.status}`);
      check('529: overloaded_error in the body', e.error && e.error.error && e.error.error.type === 'overloaded_error', short(e.error));
    }
    await held;
  });
  await step('529 retried after retry-after', async () => {
    const held = hold(0.7);  // gone before the retry, 1 s after the first attempt
    await waitActive(1);
    const times = [];
    const c1 = new Anthropic({
      baseURL: base, apiKey: 'k', maxRetries: 1, timeout: 15000,
      fetch: async (url, init) => { times.push(Date.now()); return fetch(url, init); },
    });
    const m = await c1.messages.create({ model: MODEL, max_tokens: 16, messages: user('hi') });
    await held;
    check('retry: two attempts, the second answered', times.length === 2 && m.type === 'message', `${times.length} attempts ${short(m)}`);
    const gap = times.length === 2 ? (times[1] - times[0]) / 1000 : 0;
    check('retry: the second attempt >= 0.9 s after the first (retry-after: 1)', gap >= 0.9, `${gap} s`);
  }, 20000);
}

(MODE === 'full' ? full() : main()).then(() => {
  console.log(`sdk: ${passed} passed, ${failed} failed`);
}, (e) => {
  console.log(`FAIL - sdk run (${e && e.message})`);
  console.log(`sdk: ${passed} passed, ${failed + 1} failed`);
});
