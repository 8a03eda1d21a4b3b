// The Responses API through the official clients: openai-node's responses.create (text, a
// function call whose arguments ajv validates, text.format json_schema), responses.stream()
// with its helper's events and finalResponse() (text and a function call), a tool loop that
// sends function_call_output items back until the answer is text, and the Vercel AI SDK's
// default provider model (createOpenAI(...)('qwen-plus') calls /v1/responses): generateText,
// generateText with tools + stopWhen stepCountIs(5), streamText's textStream.
// usage: node test/responses_sdk_test.cjs BASE_URL MODULE_DIR
// The server runs with the default TOOL_ROUNDS=1 and TOOL_CALLS=1.
// Prints "ok - NAME" / "FAIL - NAME (details)" per check and "sdk: P passed, F failed".
const path = require('path');
const base = process.argv[2];
const NODE_DIR = process.argv[3];
const OpenAI = require(path.resolve(NODE_DIR, 'node_modules/openai')).default;
const { z } = require(path.resolve(NODE_DIR, 'node_modules/zod'));
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

const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'test', maxRetries: 0, timeout: 15000 });
const compat = new OpenAI({ baseURL: `${base}/compatible-mode/v1`, apiKey: 'test', maxRetries: 0, timeout: 15000 });
const ajv = new Ajv({ allErrors: true, strict: false });

const WEATHER = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 1 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
  },
  required: ['city', 'unit', 'days'],
  additionalProperties: false,
};
const validWeather = ajv.compile(WEATHER);
const TOOLS = [{ type: 'function', name: 'get_weather', description: 'Weather for a city', parameters: WEATHER, strict: true }];
const TOOL_ROUNDS = Number(process.env.TOOL_ROUNDS || 1);

(async () => {
  for (const [label, c] of [['/v1', client], ['compat', compat]]) {
    await step(`create text ${label}`, async () => {
      const r = await c.responses.create({ model: 'qwen-plus', input: 'Say hello', instructions: 'Be terse.' });
      check(`create text ${label}: output_text non-empty`, typeof r.output_text === 'string' && r.output_text.length > 0, short(r.output_text));
      check(`create text ${label}: status completed, id resp_, _request_id req_`, r.status === 'completed' && /^resp_[0-9a-f]{32}$/.test(r.id) &&
        /^req_/.test(r._request_id || ''), short([r.status, r.id, r._request_id]));
      check(`create text ${label}: usage totals`, r.usage && r.usage.total_tokens === r.usage.input_tokens + r.usage.output_tokens &&
        r.usage.output_tokens > 0, short(r.usage));
      check(`create text ${label}: the response repeats instructions, default tools and tool_choice`,
        r.instructions === 'Be terse.' && Array.isArray(r.tools) && r.tools.length === 0 && r.tool_choice === 'auto',
        short([r.instructions, r.tools, r.tool_choice]));
    });
  }

  await step('create function call', async () => {
    const r = await client.responses.create({ model: 'qwen-plus', input: 'Weather in Paris?', tools: TOOLS, tool_choice: 'required' });
    const calls = r.output.filter((o) => o.type === 'function_call');
    check('create function call: one function_call item named get_weather', calls.length === 1 && calls[0].name === 'get_weather' &&
      /^call_/.test(calls[0].call_id), short(r.output));
    const args = calls.length ? JSON.parse(calls[0].arguments) : null;
    check('create function call: arguments valid against the schema (ajv)', args && validWeather(args), short([args, validWeather.errors]));
    check('create function call: the response repeats the tools and tool_choice as sent',
      r.tool_choice === 'required' && r.tools.length === 1 && r.tools[0].name === 'get_weather' &&
      JSON.stringify(r.tools[0].parameters) === JSON.stringify(WEATHER), short([r.tool_choice, r.tools]));
  });

  await step('create json_schema', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' }, score: { type: 'integer', minimum: 0, maximum: 10 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['answer', 'score', 'tags'], additionalProperties: false };
    const r = await client.responses.create({ model: 'qwen-plus', input: 'Rate it',
      text: { format: { type: 'json_schema', name: 'rating', schema, strict: true } } });
    let v = null;
    try { v = JSON.parse(r.output_text); } catch (e) { v = null; }
    check('create json_schema: JSON.parse(output_text) validates (ajv)', v !== null && ajv.validate(schema, v), short([r.output_text, ajv.errors]));
  });

  await step('stream text', async () => {
    const s = client.responses.stream({ model: 'qwen-plus', input: 'Say hello' });
    let deltas = '', created = 0, completed = 0, snapshot = '';
    s.on('response.created', () => { created++; });
    s.on('response.output_text.delta', (e) => { deltas += e.delta; snapshot = e.snapshot; });
    s.on('response.completed', () => { completed++; });
    const r = await s.finalResponse();
    check('stream text: created and completed once each', created === 1 && completed === 1, short([created, completed]));
    check('stream text: the deltas == finalResponse().output_text == the last snapshot', deltas.length > 0 && deltas === r.output_text &&
      snapshot === deltas, short([deltas, r.output_text]));
    check('stream text: finalResponse status completed, usage', r.status === 'completed' && r.usage && r.usage.output_tokens > 0, short(r.usage));
  });

  await step('stream function call', async () => {
    const s = client.responses.stream({ model: 'qwen-plus', input: 'Weather in Paris?', tools: TOOLS, tool_choice: 'required' });
    let args = '', done = null;
    s.on('response.function_call_arguments.delta', (e) => { args += e.delta; });
    s.on('response.function_call_arguments.done', (e) => { done = e; });
    const r = await s.finalResponse();
    const call = r.output.find((o) => o.type === 'function_call');
    check('stream function call: deltas == arguments.done == finalResponse()\'s arguments', call && args === call.arguments &&
      done && done.arguments === args && done.name === 'get_weather', short([args, call, done]));
    let v = null;
    try { v = JSON.parse(args); } catch (e) { v = null; }
    check('stream function call: arguments valid against the schema (ajv)', v && validWeather(v), short([v, validWeather.errors]));
  });

  await step('tool loop', async () => {
    const input = [{ role: 'user', content: 'Weather in Paris?' }];
    let rounds = 0, r = null;
    for (let i = 0; i < 6; i++) {
      r = await client.responses.create({ model: 'qwen-plus', input, tools: TOOLS });
      const calls = r.output.filter((o) => o.type === 'function_call');
      if (calls.length === 0) break;
      rounds++;
      for (const c of calls) {
        input.push({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments });
        input.push({ type: 'function_call_output', call_id: c.call_id, output: JSON.stringify({ temperature: 21 }) });
      }
    }
    check(`tool loop: ${TOOL_ROUNDS} round(s) of calls, then text`, rounds === TOOL_ROUNDS && r.output_text.length > 0, short([rounds, r.output_text]));
  });

  await step('errors', async () => {
    let err = null;
    try { await client.responses.create({ model: 'qwen-plus', input: 'x', max_output_tokens: 15 }); } catch (e) { err = e; }
    check('400: BadRequestError with param max_output_tokens', err instanceof OpenAI.BadRequestError && err.param === 'max_output_tokens',
      short(err && [err.constructor.name, err.param]));
    const r = await client.responses.create({ model: 'qwen-plus', input: 'x', max_output_tokens: 16 },
      { headers: { 'X-Mock-Output-Tokens': '40' } });
    check('max_output_tokens 16 (40 planned): status incomplete, reason max_output_tokens', r.status === 'incomplete' &&
      r.incomplete_details && r.incomplete_details.reason === 'max_output_tokens', short([r.status, r.incomplete_details]));
  });

  // The Vercel AI SDK: the provider's default model speaks the Responses API.
  let ai = null, aiOpenAI = null;
  try {
    ai = await import(require.resolve('ai', { paths: [NODE_DIR] }));
    aiOpenAI = await import(require.resolve('@ai-sdk/openai', { paths: [NODE_DIR] }));
  } catch (e) {
    check('ai-sdk: modules load', false, String(e && e.message));
  }
  if (ai && aiOpenAI) {
    const model = aiOpenAI.createOpenAI({ baseURL: `${base}/v1`, apiKey: 'test' })('qwen-plus');
    await step('ai-sdk generateText', async () => {
      const r = await ai.generateText({ model, prompt: 'Say hello', maxRetries: 0, abortSignal: AbortSignal.timeout(15000) });
      check('ai-sdk generateText: text non-empty, finishReason stop', r.text.length > 0 && r.finishReason === 'stop', short([r.text, r.finishReason]));
      check('ai-sdk generateText: usage outputTokens > 0', r.usage && r.usage.outputTokens > 0, short(r.usage));
    });
    await step('ai-sdk generateText with tools', async () => {
      const got = [];
      const WeatherInput = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']), days: z.number().int().min(1).max(7) });
      const tools = { weather: ai.tool({ description: 'Weather for a city', inputSchema: WeatherInput,
        execute: async (input) => { got.push(input); return { temperature: 21 }; } }) };
      const r = await ai.generateText({ model, tools, stopWhen: ai.stepCountIs(5), maxRetries: 0, prompt: 'Weather in Berlin?',
        abortSignal: AbortSignal.timeout(15000) });
      check('ai-sdk tools: execute ran with schema-valid input', got.length >= 1 && got.every((g) => WeatherInput.safeParse(g).success), short(got));
      check('ai-sdk tools: final text after the tool step', r.text.length > 0 && r.steps.length >= 2, short([r.text, r.steps.length]));
    });
    await step('ai-sdk streamText', async () => {
      const r = ai.streamText({ model, prompt: 'Say hello', maxRetries: 0, abortSignal: AbortSignal.timeout(15000) });
      let text = '';
      for await (const t of r.textStream) text += t;
      check('ai-sdk streamText: textStream non-empty and == text', text.length > 0 && text === (await r.text), short(text));
    });
  }

  console.log(`sdk: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL - sdk run (${e && e.stack})`); console.log(`sdk: ${passed} passed, ${failed + 1} failed`); process.exit(1); });
