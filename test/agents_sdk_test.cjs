// The agent features of chat completions (tool calls, reasoning, structured output, n) through
// the official clients: the OpenAI Node SDK (create, stream, runTools, parse), LangChain JS
// (@langchain/openai ChatOpenAI: bindTools, withStructuredOutput, a hand-written agent loop) and
// the Vercel AI SDK (ai v6 + @ai-sdk/openai v3 chat model: generateText / streamText with tools).
// usage: node test/agents_sdk_test.cjs BASE_URL MODULE_DIR [multi]
// The server runs with REASONING_TOKENS=8 (the reasoning_tokens checks rely on it) and the
// default TOOL_ROUNDS=1 / TOOL_CALLS=1; with "multi", a server with TOOL_CALLS=2 TOOL_ROUNDS=2.
// Prints "ok - NAME" / "FAIL - NAME (details)" per check and "sdk: P passed, F failed".
const path = require('path');
const base = process.argv[2];
const NODE_DIR = process.argv[3];
const mod = (name) => require(require.resolve(name, { paths: [NODE_DIR] }));
const OpenAI = require(path.resolve(NODE_DIR, 'node_modules/openai')).default;
const { zodResponseFormat } = mod('openai/helpers/zod');
const { z } = require(path.resolve(NODE_DIR, 'node_modules/zod'));
const Ajv = require(path.resolve(NODE_DIR, 'node_modules/ajv')).default;

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log(`ok - ${name}`); } else { failed++; console.log(`FAIL - ${name} (${detail})`); }
}
// step NAME FN: runs one group of checks; an exception (or 15 s without an answer) is one failure.
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
const user = (content) => [{ role: 'user', content }];

// A non-trivial argument schema: nested object, enums, integer bounds, array minItems, required.
const WEATHER = {
  type: 'object',
  properties: {
    location: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        country: { type: 'string', enum: ['CN', 'US', 'DE'] },
      },
      required: ['city', 'country'],
      additionalProperties: false,
    },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
  },
  required: ['location', 'unit', 'days', 'tags'],
  additionalProperties: false,
};
const TIME = {
  type: 'object',
  properties: { tz: { type: 'string', enum: ['UTC', 'Asia/Shanghai'] }, hours: { type: 'integer', minimum: 0, maximum: 23 } },
  required: ['tz'],
  additionalProperties: false,
};
const SCHEMAS = { get_weather: WEATHER, get_time: TIME };
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = { get_weather: ajv.compile(WEATHER), get_time: ajv.compile(TIME) };
const TOOLS = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast for a city', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'The current time in a zone', parameters: TIME } },
];
// valid NAME ARGS-STRING-OR-OBJECT: '' when the arguments validate against the tool's schema, else why not.
function invalid(name, args) {
  const v = validators[name];
  if (!v) return `unknown tool ${name}`;
  let obj = args;
  if (typeof args === 'string') {
    try { obj = JSON.parse(args); } catch (e) { return `not JSON: ${args.slice(0, 200)}`; }
  }
  return v(obj) ? '' : `${ajv.errorsText(v.errors)} in ${short(obj)}`;
}
const validCalls = (calls) => calls.map((c) => invalid(c.function.name, c.function.arguments)).filter((x) => x).join('; ');
const callId = /^call_[A-Za-z0-9]{24}$/;

// The second server: TOOL_CALLS=2 TOOL_ROUNDS=2 (two parallel calls a turn, two tool turns).
async function multi() {
  await step('multi create', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Weather and time?'), tools: TOOLS });
    const calls = r.choices[0].message.tool_calls || [];
    check('TOOL_CALLS=2: two calls, distinct ids, each valid', calls.length === 2 && calls[0].id !== calls[1].id && !validCalls(calls), short(calls) + validCalls(calls));
    const one = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Weather?'), tools: TOOLS, parallel_tool_calls: false });
    const oc = one.choices[0].message.tool_calls || [];
    check('TOOL_CALLS=2: parallel_tool_calls false -> one call', oc.length === 1 && !validCalls(oc), short(oc));
  });
  for (const stream of [false, true]) {
    const tag = `TOOL_ROUNDS=2 runTools${stream ? ' stream' : ''}`;
    await step(tag, async () => {
      const got = [];
      const runner = client.chat.completions.runTools({
        model: 'qwen-plus', messages: user('Weather in Berlin?'), stream,
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER, parse: JSON.parse,
          function: async (args) => { got.push(args); return 'sunny'; } } }],
      });
      const content = await runner.finalContent();
      const turns = runner.messages.filter((m) => m.role === 'assistant' && (m.tool_calls || []).length);
      check(`${tag}: two tool turns of two calls, the function ran 4 times, then text`, turns.length === 2 &&
        turns.every((m) => m.tool_calls.length === 2) && got.length === 4 && typeof content === 'string' && content.length > 0,
        `${turns.length} turns, ${got.length} runs, ${short(content)}`);
    });
  }
  let ai = null, aiOpenAI = null;
  try {
    ai = await import(require.resolve('ai', { paths: [NODE_DIR] }));
    aiOpenAI = await import(require.resolve('@ai-sdk/openai', { paths: [NODE_DIR] }));
  } catch (e) {
    check('ai-sdk: modules load', false, String(e && e.message));
    return;
  }
  await step('TOOL_ROUNDS=2 ai-sdk generateText', async () => {
    let runs = 0;
    const r = await ai.generateText({ model: aiOpenAI.createOpenAI({ baseURL: `${base}/v1`, apiKey: 'test' }).chat('qwen-plus'),
      tools: { weather: ai.tool({ description: 'Weather', inputSchema: z.object({ city: z.string() }), execute: async () => { runs++; return 'sunny'; } }) },
      stopWhen: ai.stepCountIs(5), maxRetries: 0, prompt: 'Weather?', abortSignal: AbortSignal.timeout(15000) });
    check('TOOL_ROUNDS=2 ai-sdk generateText: three steps, four executions, text', r.steps.length === 3 && runs === 4 && r.text.length > 0,
      `${r.steps.length} steps, ${runs} runs, '${r.text}'`);
  });
}

(async () => {
  if (process.argv[4] === 'multi') {
    await multi();
    console.log(`sdk: ${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
  // ---- OpenAI Node SDK: tool calls ---------------------------------------------------------
  await step('openai tools: non-streamed create', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Weather in Berlin?'), tools: TOOLS });
    const ch = r.choices[0], calls = ch.message.tool_calls || [];
    check('openai tools: finish_reason tool_calls', ch.finish_reason === 'tool_calls', ch.finish_reason);
    check('openai tools: one call, an offered function, id call_+24', calls.length === 1 && calls[0].type === 'function' &&
      calls[0].function.name in SCHEMAS && callId.test(calls[0].id), short(calls));
    check('openai tools: arguments validate against the schema (ajv)', calls.length && !validCalls(calls), validCalls(calls));
    check('openai tools: content null', ch.message.content === null, short(ch.message.content));
  });
  await step('openai tools: named tool_choice', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Time?'), tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } } });
    const calls = r.choices[0].message.tool_calls || [];
    check('openai tools: named tool_choice calls that function, valid', calls.length >= 1 && calls.every((c) => c.function.name === 'get_time') && !validCalls(calls),
      short(calls) + validCalls(calls));
    const n = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Time?'), tools: TOOLS, tool_choice: 'none' });
    check('openai tools: tool_choice none -> text, finish stop', !n.choices[0].message.tool_calls?.length && n.choices[0].finish_reason === 'stop' &&
      typeof n.choices[0].message.content === 'string' && n.choices[0].message.content.length > 0, short(n.choices[0]));
  });
  await step('openai tools: parallel', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Weather and time?'), tools: TOOLS },
      { headers: { 'X-Mock-Tool-Calls': '3' } });
    const calls = r.choices[0].message.tool_calls || [];
    check('openai tools: X-Mock-Tool-Calls 3 -> three calls', calls.length === 3, short(calls));
    check('openai tools: parallel ids distinct, call_+24', new Set(calls.map((c) => c.id)).size === calls.length && calls.every((c) => callId.test(c.id)), short(calls.map((c) => c.id)));
    check('openai tools: parallel calls each valid (ajv)', calls.length === 3 && !validCalls(calls), validCalls(calls));
  });
  await step('openai tools: stream helper', async () => {
    const done = [];
    let deltas = 0;
    const s = client.chat.completions.stream({ model: 'qwen-plus', messages: user('Weather in Berlin?'), tools: TOOLS });
    s.on('tool_calls.function.arguments.delta', () => { deltas++; });
    s.on('tool_calls.function.arguments.done', (e) => done.push(e));
    const fc = await s.finalChatCompletion();
    const ch = fc.choices[0], calls = ch.message.tool_calls || [];
    check('openai stream tools: finalChatCompletion finish_reason tool_calls', ch.finish_reason === 'tool_calls', ch.finish_reason);
    check('openai stream tools: one call, offered name, id call_+24, type function', calls.length === 1 && calls[0].function.name in SCHEMAS &&
      callId.test(calls[0].id) && calls[0].type === 'function', short(calls));
    check('openai stream tools: accumulated arguments valid (ajv)', calls.length && !validCalls(calls), validCalls(calls));
    check('openai stream tools: arguments.delta events seen (fragments)', deltas >= 2, `${deltas} delta events`);
    check('openai stream tools: one arguments.done event with the final arguments', done.length === 1 && calls.length &&
      done[0].name === calls[0].function.name && done[0].arguments === calls[0].function.arguments, short(done));
  });
  await step('openai stream tools: parallel via header', async () => {
    const s = client.chat.completions.stream({ model: 'qwen-plus', messages: user('Weather and time?'), tools: TOOLS },
      { headers: { 'X-Mock-Tool-Calls': '2' } });
    const done = [];
    s.on('tool_calls.function.arguments.done', (e) => done.push(e));
    const fc = await s.finalChatCompletion();
    const calls = fc.choices[0].message.tool_calls || [];
    check('openai stream tools: two streamed calls, distinct ids, each valid', calls.length === 2 && calls[0].id !== calls[1].id && !validCalls(calls),
      short(calls) + validCalls(calls));
    check('openai stream tools: an arguments.done event per call', done.length === 2 && done[0].index === 0 && done[1].index === 1, short(done));
  });

  await step('compat tools', async () => {
    const r = await compat.chat.completions.create({ model: 'qwen-plus', messages: user('Weather in Berlin?'), tools: TOOLS, tool_choice: 'required' });
    const ch = r.choices[0], calls = ch.message.tool_calls || [];
    check('compat tools: finish tool_calls, valid call, content ""', ch.finish_reason === 'tool_calls' && calls.length === 1 &&
      callId.test(calls[0].id) && !validCalls(calls) && ch.message.content === '', short(ch) + validCalls(calls));
    const fc = await compat.chat.completions.stream({ model: 'qwen-plus', messages: user('Weather in Berlin?'), tools: TOOLS }).finalChatCompletion();
    const sc = fc.choices[0].message.tool_calls || [];
    check('compat stream tools: finalChatCompletion has a valid call', fc.choices[0].finish_reason === 'tool_calls' && sc.length === 1 && !validCalls(sc),
      short(fc.choices[0]) + validCalls(sc));
  });

  // ---- OpenAI Node SDK: runTools -------------------------------------------------------------
  for (const stream of [false, true]) {
    const tag = `openai runTools${stream ? ' stream' : ''}`;
    await step(tag, async () => {
      const got = [];
      const runner = client.chat.completions.runTools({
        model: 'qwen-plus', messages: user('What is the weather in Berlin?'), stream,
        tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather forecast', parameters: WEATHER,
          parse: JSON.parse, function: async (args) => { got.push(args); return { temperature: 21, sky: 'clear' }; } } }],
      });
      const content = await runner.finalContent();
      const msgs = runner.messages;
      check(`${tag}: the function ran at least once`, got.length >= 1, `${got.length} calls`);
      check(`${tag}: the function got schema-valid arguments`, got.length && got.every((a) => !invalid('get_weather', a)), got.map((a) => invalid('get_weather', a)).join('; '));
      check(`${tag}: ends with a text answer`, typeof content === 'string' && content.length > 0, short(content));
      check(`${tag}: transcript assistant(tool_calls) -> tool -> assistant(text)`,
        msgs.some((m) => m.role === 'tool') && msgs[msgs.length - 1].role === 'assistant' && !(msgs[msgs.length - 1].tool_calls || []).length,
        short(msgs.map((m) => m.role)));
    });
  }

  // ---- OpenAI Node SDK: parse with zod -------------------------------------------------------
  const Person = z.object({
    name: z.string(),
    age: z.number().int(),
    role: z.enum(['admin', 'user']),
    tags: z.array(z.string()),
    address: z.object({ city: z.string(), zip: z.string() }),
  });
  for (const [tag, c, messages] of [
    ['openai parse /v1', client, user('Describe a person')],
    ['openai parse compat', compat, [{ role: 'system', content: 'Answer in json.' }, ...user('Describe a person')]],
  ]) {
    await step(tag, async () => {
      const r = await c.chat.completions.parse({ model: 'qwen-plus', messages, response_format: zodResponseFormat(Person, 'person') });
      const p = r.choices[0].message.parsed;
      const ok = Person.safeParse(p);
      check(`${tag}: message.parsed passes the zod schema`, p && typeof p === 'object' && ok.success,
        `${short(p)} ${ok.success ? '' : short(ok.error.issues)}`);
      check(`${tag}: finish_reason stop, no refusal`, r.choices[0].finish_reason === 'stop' && !r.choices[0].message.refusal, short(r.choices[0]));
    });
  }
  await step('openai stream parse', async () => {
    const fc = await client.chat.completions.stream({ model: 'qwen-plus', messages: user('Describe a person'),
      response_format: zodResponseFormat(Person, 'person') }).finalChatCompletion();
    const p = fc.choices[0].message.parsed;
    const ok = Person.safeParse(p);
    check('openai stream parse: streamed json_schema content parses and passes zod', p && ok.success, `${short(fc.choices[0].message.content)} ${ok.success ? '' : short(ok.error.issues)}`);
  });
  await step('openai json_object', async () => {
    const r = await compat.chat.completions.create({ model: 'qwen-plus', messages: user('Reply in json'), response_format: { type: 'json_object' } });
    let obj = null;
    try { obj = JSON.parse(r.choices[0].message.content); } catch (e) { /* checked below */ }
    check('compat json_object: content is a JSON object', obj && typeof obj === 'object' && !Array.isArray(obj), short(r.choices[0].message.content));
  });

  // ---- Reasoning -----------------------------------------------------------------------------
  async function reasoningStream(c, extra) {
    const st = await c.chat.completions.create({ model: 'qwen-plus', messages: user('Think first'), stream: true,
      stream_options: { include_usage: true }, ...extra });
    let reasoning = '', content = '', order = true, seenContent = false, usage = null, reasoningChunks = 0;
    for await (const chunk of st) {
      if (chunk.usage) usage = chunk.usage;
      for (const ch of chunk.choices || []) {
        const d = ch.delta || {};
        if (d.reasoning_content) { reasoningChunks++; reasoning += d.reasoning_content; if (seenContent) order = false; }
        if (d.content) { content += d.content; seenContent = true; }
      }
    }
    return { reasoning, content, order, usage, reasoningChunks };
  }
  for (const [tag, c] of [['reasoning /v1 enable_thinking', client], ['reasoning compat enable_thinking', compat]]) {
    await step(tag, async () => {
      const r = await reasoningStream(c, { enable_thinking: true });
      check(`${tag}: reasoning_content deltas, non-empty`, r.reasoning.length > 0 && r.reasoningChunks === 8, `${r.reasoningChunks} chunks '${r.reasoning}'`);
      check(`${tag}: all reasoning before the first content delta, content follows`, r.order && r.content.length > 0, `order ${r.order} content '${r.content}'`);
      const rt = r.usage && r.usage.completion_tokens_details && r.usage.completion_tokens_details.reasoning_tokens;
      check(`${tag}: usage reasoning_tokens 8, counted in completion_tokens`, rt === 8 && r.usage.completion_tokens >= 8 &&
        r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens, short(r.usage));
    });
  }
  await step('reasoning /v1 reasoning_effort', async () => {
    const r = await reasoningStream(client, { reasoning_effort: 'medium' });
    check('reasoning /v1 reasoning_effort: no reasoning_content text', r.reasoning === '' && r.content.length > 0, `'${r.reasoning}' / '${r.content}'`);
    const rt = r.usage && r.usage.completion_tokens_details && r.usage.completion_tokens_details.reasoning_tokens;
    check('reasoning /v1 reasoning_effort: usage reasoning_tokens 8', rt === 8, short(r.usage));
  });
  await step('reasoning compat reasoning_effort', async () => {
    const r = await reasoningStream(compat, { reasoning_effort: 'medium' });
    check('reasoning compat reasoning_effort: reasoning_content streamed first', r.reasoning.length > 0 && r.order && r.content.length > 0, `'${r.reasoning}' / '${r.content}'`);
  });
  await step('reasoning header', async () => {
    const st = await client.chat.completions.create({ model: 'qwen-plus', messages: user('Think'), stream: true, enable_thinking: true,
      stream_options: { include_usage: true } }, { headers: { 'X-Mock-Reasoning-Tokens': '3' } });
    let n = 0, usage = null;
    for await (const chunk of st) {
      if (chunk.usage) usage = chunk.usage;
      for (const ch of chunk.choices || []) if (ch.delta && ch.delta.reasoning_content) n++;
    }
    check('reasoning: X-Mock-Reasoning-Tokens 3 -> three deltas, reasoning_tokens 3', n === 3 && usage && usage.completion_tokens_details &&
      usage.completion_tokens_details.reasoning_tokens === 3, `${n} ${short(usage)}`);
  });

  // ---- n > 1 ---------------------------------------------------------------------------------
  await step('n=3 non-streamed', async () => {
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('hello'), n: 3 });
    check('n=3: three choices, index 0,1,2, each with content', r.choices.length === 3 && r.choices.every((c, i) => c.index === i && c.message.content && c.finish_reason === 'stop'),
      short(r.choices.map((c) => [c.index, c.finish_reason])));
  });
  await step('n=2 streamed', async () => {
    const fc = await client.chat.completions.stream({ model: 'qwen-plus', messages: user('hello'), n: 2 }).finalChatCompletion();
    check('n=2 stream: finalChatCompletion has two choices, each with content and finish', fc.choices.length === 2 &&
      fc.choices.every((c, i) => c.index === i && typeof c.message.content === 'string' && c.message.content.length > 0 && c.finish_reason === 'stop'),
      short(fc.choices));
  });
  await step('compat n=2 streamed', async () => {
    const fc = await compat.chat.completions.stream({ model: 'qwen-plus', messages: user('hello'), n: 2 }).finalChatCompletion();
    check('compat n=2 stream: two choices, each with content and finish', fc.choices.length === 2 &&
      fc.choices.every((c, i) => c.index === i && typeof c.message.content === 'string' && c.message.content.length > 0 && c.finish_reason === 'stop'),
      short(fc.choices));
  });
  await step('stop', async () => {
    const plain = await client.chat.completions.create({ model: 'qwen-plus', messages: user('hello') });
    const text = plain.choices[0].message.content;
    const stopAt = text.slice(4, 6);
    const r = await client.chat.completions.create({ model: 'qwen-plus', messages: user('hello'), stop: [stopAt] });
    const want = text.slice(0, text.indexOf(stopAt));
    check('stop: content ends before the stop sequence, finish stop', r.choices[0].message.content === want && r.choices[0].finish_reason === 'stop',
      `stop '${stopAt}': got '${r.choices[0].message.content}' want '${want}' ${r.choices[0].finish_reason}`);
  });

  // ---- compat-route 400s surface as BadRequestError ------------------------------------------
  async function expect400(name, fn) {
    try {
      await fn();
      check(name, false, 'no error thrown');
    } catch (e) {
      check(name, e instanceof OpenAI.BadRequestError && e.status === 400, `${e && e.constructor && e.constructor.name} status ${e && e.status}: ${e && e.message}`);
    }
  }
  await step('compat 400s', async () => {
    await expect400('compat 400: n=5 -> BadRequestError', () => compat.chat.completions.create({ model: 'qwen-plus', messages: user('hello'), n: 5 }));
    await expect400('compat 400: enable_thinking with stream false -> BadRequestError',
      () => compat.chat.completions.create({ model: 'qwen-plus', messages: user('hello'), enable_thinking: true, stream: false }));
    await expect400('compat 400: json_object without the word json -> BadRequestError',
      () => compat.chat.completions.create({ model: 'qwen-plus', messages: user('hello'), response_format: { type: 'json_object' } }));
  });

  // ---- LangChain JS --------------------------------------------------------------------------
  let lc = null;
  try {
    lc = { ...mod('@langchain/openai'), ...mod('@langchain/core/messages') };
  } catch (e) {
    check('langchain: modules load', false, String(e && e.message));
  }
  if (lc) {
    const model = new lc.ChatOpenAI({ model: 'qwen-plus', apiKey: 'test', maxRetries: 0, timeout: 15000, configuration: { baseURL: `${base}/v1` } });
    const weatherTool = TOOLS[0];
    await step('langchain bindTools', async () => {
      const ai = await model.bindTools([weatherTool]).invoke('What is the weather in Berlin?');
      const tc = ai.tool_calls || [];
      check('langchain bindTools: tool_calls with the tool name', tc.length >= 1 && tc.every((t) => t.name === 'get_weather') && tc[0].id, short(tc));
      check('langchain bindTools: args object valid (ajv)', tc.length >= 1 && tc.every((t) => typeof t.args === 'object' && !invalid('get_weather', t.args)),
        tc.map((t) => invalid('get_weather', t.args)).join('; '));
      check('langchain bindTools: no invalid_tool_calls', !(ai.invalid_tool_calls || []).length, short(ai.invalid_tool_calls));
    });
    await step('langchain withStructuredOutput', async () => {
      const t0 = Date.now();
      const out = await model.withStructuredOutput(Person, { name: 'person' }).invoke('Describe a person');
      const ok = Person.safeParse(out);
      check('langchain withStructuredOutput: object valid for the zod schema', ok.success, `${short(out)} ${ok.success ? '' : short(ok.error.issues)}`);
      check('langchain withStructuredOutput: fast (< 5 s)', Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
    });
    await step('langchain agent loop', async () => {
      const bound = model.bindTools([weatherTool]);
      const messages = [new lc.HumanMessage('What is the weather in Berlin?')];
      const first = await bound.invoke(messages);
      const tc = first.tool_calls || [];
      check('langchain loop: first turn calls the tool', tc.length >= 1 && tc[0].name === 'get_weather', short(tc));
      messages.push(first);
      for (const t of tc) messages.push(new lc.ToolMessage({ tool_call_id: t.id, content: JSON.stringify({ temperature: 21 }) }));
      const second = await bound.invoke(messages);
      check('langchain loop: second turn is a text answer, no tool calls', typeof second.content === 'string' && second.content.length > 0 &&
        !(second.tool_calls || []).length, short({ content: second.content, tool_calls: second.tool_calls }));
    });
    await step('langchain stream tool call', async () => {
      let acc = null;
      for await (const chunk of await model.bindTools([weatherTool]).stream('What is the weather in Berlin?')) acc = acc ? acc.concat(chunk) : chunk;
      const tc = (acc && acc.tool_calls) || [];
      check('langchain stream: chunks concat to a valid tool call', tc.length === 1 && tc[0].name === 'get_weather' && !invalid('get_weather', tc[0].args),
        short(tc) + (tc.length ? invalid('get_weather', tc[0].args) : ''));
    });
  }

  // ---- Vercel AI SDK -------------------------------------------------------------------------
  let ai = null, aiOpenAI = null;
  try {
    ai = await import(require.resolve('ai', { paths: [NODE_DIR] }));
    aiOpenAI = await import(require.resolve('@ai-sdk/openai', { paths: [NODE_DIR] }));
  } catch (e) {
    check('ai-sdk: modules load', false, String(e && e.message));
  }
  if (ai && aiOpenAI) {
    const provider = aiOpenAI.createOpenAI({ baseURL: `${base}/v1`, apiKey: 'test' });
    const chatModel = provider.chat('qwen-plus');
    const WeatherInput = z.object({
      city: z.string(),
      unit: z.enum(['celsius', 'fahrenheit']),
      days: z.number().int().min(1).max(7),
    });
    const makeTools = (got) => ({
      weather: ai.tool({ description: 'Weather forecast for a city', inputSchema: WeatherInput,
        execute: async (input) => { got.push(input); return { temperature: 21, sky: 'clear' }; } }),
    });
    await step('ai-sdk generateText', async () => {
      const got = [];
      const r = await ai.generateText({ model: chatModel, tools: makeTools(got), stopWhen: ai.stepCountIs(5), maxRetries: 0,
        prompt: 'What is the weather in Berlin?', abortSignal: AbortSignal.timeout(15000) });
      check('ai-sdk generateText: execute ran with schema-valid input', got.length >= 1 && got.every((g) => WeatherInput.safeParse(g).success), short(got));
      check('ai-sdk generateText: at least two steps (tool call, then answer)', r.steps.length >= 2, `${r.steps.length} steps`);
      check('ai-sdk generateText: final text non-empty, finish stop', r.text.length > 0 && r.finishReason === 'stop', `'${r.text}' ${r.finishReason}`);
      check('ai-sdk generateText: first step finishReason tool-calls with a tool result', r.steps[0].finishReason === 'tool-calls' &&
        r.steps[0].toolResults.length >= 1, `${r.steps[0] && r.steps[0].finishReason} ${short(r.steps[0] && r.steps[0].toolResults)}`);
    });
    await step('ai-sdk structured output', async () => {
      const r = await ai.generateText({ model: chatModel, output: ai.Output.object({ schema: Person }), maxRetries: 0,
        prompt: 'Describe a person', abortSignal: AbortSignal.timeout(15000) });
      const ok = Person.safeParse(r.output);
      check('ai-sdk Output.object: result.output passes the zod schema', ok.success, `${short(r.output)} ${ok.success ? '' : short(ok.error.issues)}`);
    });
    await step('ai-sdk streamText', async () => {
      const got = [];
      const r = ai.streamText({ model: chatModel, tools: makeTools(got), stopWhen: ai.stepCountIs(5), maxRetries: 0,
        prompt: 'What is the weather in Berlin?', abortSignal: AbortSignal.timeout(15000) });
      const types = [];
      let toolCall = null, text = '', error = null;
      for await (const part of r.fullStream) {
        types.push(part.type);
        if (part.type === 'tool-call') toolCall = part;
        if (part.type === 'text-delta') text += part.text;
        if (part.type === 'error') error = part.error;
      }
      check('ai-sdk streamText: no error part', !error, String(error && (error.message || error)));
      check('ai-sdk streamText: a tool-call part for weather with valid input', toolCall && toolCall.toolName === 'weather' &&
        WeatherInput.safeParse(toolCall.input).success, short(toolCall));
      check('ai-sdk streamText: a tool-result part, then text-delta parts', types.includes('tool-result') && text.length > 0 &&
        types.lastIndexOf('text-delta') > types.indexOf('tool-call'), short([...new Set(types)]));
      check('ai-sdk streamText: execute ran', got.length >= 1, `${got.length}`);
    });
  }

  console.log(`sdk: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((e) => { console.log(`FAIL - sdk run (${e && e.stack})`); console.log(`sdk: ${passed} passed, ${failed + 1} failed`); process.exit(1); });
