// Rate limits through the official openai SDK (openai-node 6): against RATE_LIMIT_RPM=30, 36
// sequential chat.completions.create calls with maxRetries 2 all succeed, the ones past the
// limit after the SDK waited the retry-after-ms it was told (the suite then checks the server
// counted no early retry); the x-ratelimit-* headers through withResponse(); with maxRetries
// 0 the RateLimitError, its headers and its error type.
// usage: node test/rate_limits_sdk_test.cjs BASE_URL MODULE_DIR
// Prints "ok - NAME" / "FAIL - NAME (details)" per check and "sdk: P passed, F failed".
const path = require('path');
const base = process.argv[2];
const NODE_DIR = process.argv[3];
const OpenAI = require(path.resolve(NODE_DIR, 'node_modules/openai')).default;

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`FAIL - ${name} (${detail})`); }
}
const short = (v) => JSON.stringify(v === undefined ? null : v).slice(0, 300);
const body = { model: 'qwen-plus', messages: [{ role: 'user', content: 'hi' }] };

(async () => {
  const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-sdk', maxRetries: 2 });
  const first = await client.chat.completions.create(body).withResponse();
  check('withResponse: x-ratelimit-limit-requests 30, remaining 29',
    first.response.headers.get('x-ratelimit-limit-requests') === '30' &&
    first.response.headers.get('x-ratelimit-remaining-requests') === '29',
    short([...first.response.headers.entries()].filter(([k]) => k.startsWith('x-ratelimit'))));
  let ok = 1, slow = 0, errors = [];
  for (let i = 1; i < 36; i++) {
    const t0 = Date.now();
    try {
      const r = await client.chat.completions.create(body);
      if (r.choices && r.choices.length === 1) { ok++; }
    } catch (e) {
      errors.push(`${e.constructor.name} ${e.status}`);
    }
    if (Date.now() - t0 >= 500) { slow++; }
  }
  check('maxRetries 2: all 36 requests succeed', ok === 36, `${ok} ok; ${short(errors)}`);
  check('maxRetries 2: the 6 past the limit each waited for their retry (>= 0.5 s)', slow >= 6, `${slow} slow`);

  const once = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-sdk-2', maxRetries: 0 });
  for (let i = 0; i < 30; i++) { await once.chat.completions.create(body); }
  try {
    await once.chat.completions.create(body);
    check('maxRetries 0: RateLimitError', false, 'no error');
  } catch (e) {
    check('maxRetries 0: RateLimitError 429, type requests, code rate_limit_exceeded',
      e instanceof OpenAI.RateLimitError && e.status === 429 && e.type === 'requests' && e.code === 'rate_limit_exceeded',
      `${e.constructor.name} ${e.status} ${e.type} ${e.code}`);
    check('maxRetries 0: the error carries remaining 0 and retry-after-ms',
      e.headers && e.headers.get('x-ratelimit-remaining-requests') === '0' && Number(e.headers.get('retry-after-ms')) > 0,
      short(e.headers && [...e.headers.entries()]));
  }
})().then(() => {
  console.log(`sdk: ${passed} passed, ${failed} failed`);
}, (e) => {
  console.log(`FAIL - sdk run (${e && e.message})`);
  console.log(`sdk: ${passed} passed, ${failed + 1} failed`);
});
