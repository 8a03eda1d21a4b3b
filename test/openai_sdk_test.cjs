// Drives the server with the official OpenAI Node SDK (npm package "openai").
// usage: node test/openai_sdk_test.cjs BASE_URL MODULE_DIR
// Prints "ok - NAME" / "FAIL - NAME (details)" per check and "sdk: P passed, F failed".
const path = require('path');
const OpenAI = require(path.resolve(process.argv[3], 'node_modules/openai')).default;
const base = process.argv[2];
const CONTENT = '我是阿里云开发的一款超大规模语言模型，我叫通义千问。';
let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`FAIL - ${name} (${detail})`); }
}
const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test', maxRetries: 0, timeout: 20000 });
const messages = [{ role: 'user', content: 'hello' }];

async function active() {
  const r = await fetch(`${base}/health`);
  return (await r.json()).active_requests;
}
async function metric(name) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ')[1]) : NaN;
}
async function expectError(name, status, cls, fn) {
  try {
    await fn();
    check(name, false, 'no error thrown');
  } catch (e) {
    check(name, e instanceof cls && e.status === status, `${e && e.constructor && e.constructor.name} status ${e && e.status}`);
  }
}

(async () => {
  // Non-streamed.
  const r = await client.chat.completions.create({ model: 'qwen-plus', messages });
  check('non-streamed: the original answer', r.choices[0].message.content === CONTENT, r.choices[0].message.content);
  check('non-streamed: usage 3019/104/3123', r.usage.prompt_tokens === 3019 && r.usage.total_tokens === 3123, JSON.stringify(r.usage));
  check('non-streamed: id and model', /^chatcmpl-[0-9a-f]{32}$/.test(r.id) && r.model === 'qwen-plus', `${r.id} ${r.model}`);

  // Streamed, without and with include_usage.
  let text = '', finish = null, sawUsage = false;
  for await (const chunk of await client.chat.completions.create({ model: 'm', messages, stream: true })) {
    if (chunk.usage) sawUsage = true;
    if (chunk.choices.length) { text += chunk.choices[0].delta.content || ''; finish = chunk.choices[0].finish_reason || finish; }
  }
  check('stream: content and finish_reason stop', text === CONTENT && finish === 'stop', `${text} ${finish}`);
  check('stream: no usage without include_usage', !sawUsage, 'usage seen');
  let usage = null, n = 0;
  const stream = await client.chat.completions.create({
    model: 'm', messages, stream: true, stream_options: { include_usage: true }, max_tokens: 7 });
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length && chunk.choices[0].delta.content) n++;
    if (chunk.choices.length && chunk.choices[0].finish_reason) finish = chunk.choices[0].finish_reason;
  }
  check('stream include_usage: usage in the last chunk', usage && usage.completion_tokens === 7 && usage.total_tokens === usage.prompt_tokens + 7, JSON.stringify(usage));
  check('stream max_tokens 7: seven deltas, finish_reason length', n === 7 && finish === 'length', `${n} ${finish}`);

  // Injected errors arrive as the SDK's errors with the right status.
  const hdr = (s) => ({ headers: { 'X-Return-Error': String(s) } });
  await expectError('X-Return-Error 429 -> RateLimitError', 429, OpenAI.RateLimitError, () => client.chat.completions.create({ model: 'm', messages }, hdr(429)));
  await expectError('X-Return-Error 500 -> InternalServerError', 500, OpenAI.InternalServerError, () => client.chat.completions.create({ model: 'm', messages }, hdr(500)));
  await expectError('X-Return-Error 400 -> BadRequestError', 400, OpenAI.BadRequestError, () => client.chat.completions.create({ model: 'm', messages }, hdr(400)));
  await expectError('X-Return-Error 503 -> APIError 503', 503, OpenAI.APIError, () => client.chat.completions.create({ model: 'm', messages }, hdr(503)));

  // Retries honour Retry-After (retry-after-ms: 1000): two retries take at least 2 s.
  const retrying = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test', maxRetries: 2, timeout: 20000 });
  const before = await metric('llm_mock_rejected_requests_total');
  const t0 = Date.now();
  const before429 = await (await fetch(`${base}/metrics`)).text();
  const count429 = (t) => { const l = t.split('\n').find((x) => x.startsWith('llm_mock_requests_total{route="chat_completions",status="429"}')); return l ? Number(l.split(' ')[1]) : 0; };
  await expectError('retries: still 429 after 2 retries', 429, OpenAI.RateLimitError, () => retrying.chat.completions.create({ model: 'm', messages }, hdr(429)));
  const took = Date.now() - t0;
  const after429 = await (await fetch(`${base}/metrics`)).text();
  check('retries: three attempts reached the server', count429(after429) - count429(before429) === 3, `${count429(before429)} -> ${count429(after429)}`);
  check('retries: waited Retry-After between attempts (>= 1.9 s)', took >= 1900, `${took} ms`);
  check('retries: 429s are not overload rejections', (await metric('llm_mock_rejected_requests_total')) === before, 'changed');

  // An aborted stream frees its slot.
  const ac = new AbortController();
  const slow = await client.chat.completions.create({ model: 'm', messages, stream: true }, { signal: ac.signal, headers: { 'X-Mock-TTFT': '0', 'X-Mock-ITL': '0.5', 'X-Mock-Output-Tokens': '20' } });
  let got = 0;
  try {
    for await (const chunk of slow) { got++; if (got === 2) { check('abort: slot held while streaming', (await active()) === 1, 'not held'); ac.abort(); } }
  } catch (e) { /* the abort */ }
  let freed = false;
  for (let i = 0; i < 40 && !freed; i++) { freed = (await active()) === 0; if (!freed) await new Promise((r2) => setTimeout(r2, 50)); }
  check('abort: slot freed after the stream is aborted', freed, 'still held');

  // Other routes.
  const c = await client.completions.create({ model: 'm', prompt: 'Say this is a test', max_tokens: 3 });
  check('completions: text_completion', c.object === 'text_completion' && c.choices[0].text === '我是阿', JSON.stringify(c.choices[0]));
  const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'] });
  check('embeddings: two vectors of 1536 (SDK decodes base64)', e.data.length === 2 && e.data[0].embedding.length === 1536, `${e.data.length} ${e.data[0].embedding.length}`);
  const norm = e.data[0].embedding.reduce((s, v) => s + v * v, 0);
  check('embeddings: unit length', Math.abs(norm - 1) < 1e-3, norm);
  const models = [];
  for await (const m of client.models.list()) models.push(m.id);
  check('models: list', models.includes('qwen-plus'), models.join(','));
  const one = await client.models.retrieve('qwen-plus');
  check('models: retrieve', one.id === 'qwen-plus' && one.object === 'model', JSON.stringify(one));
  await expectError('models: retrieve an unknown model -> NotFoundError', 404, OpenAI.NotFoundError, () => client.models.retrieve('no-such-model'));

  console.log(`sdk: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL - sdk run (${e && e.stack})`); console.log(`sdk: ${passed} passed, ${failed + 1} failed`); process.exit(1); });
