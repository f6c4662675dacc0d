/**
 * JavaScript evaluated inside QuickJS before the agent's code. It receives the worker's native functions
 * (`host`), keeps private references to the intrinsics it relies on, removes itself from the global
 * object, and installs what the agent sees: `tools`, `callTool`, `console`, a recorded `Date` and
 * `Math.random`, and virtual-time timers.
 *
 * Nothing here is a security boundary: the guest can tamper with its own realm as it likes. The boundary is
 * that only strings leave QuickJS, and the worker and host parse and check them.
 *
 * Returns `{ settle, fireTimer }` for the worker.
 */
export const PRELUDE_SOURCE = String.raw`
(function (host, toolListJson, codeFile) {
  'use strict';
  const G = globalThis;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toolList = parse(toolListJson);
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const freeze = Object.freeze;
  const create = Object.create;
  const StringOf = String;
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const PromiseCtor = Promise;
  const then = Promise.prototype.then;
  const RealDate = Date;
  const dateUTC = Date.UTC;
  const hostCall = host.call;
  const hostSync = host.sync;
  const hostPrint = host.print;
  const hasOwn = Object.prototype.hasOwnProperty;

  // ---- tools -------------------------------------------------------------------------------------------
  class ToolError extends ErrorCtor {
    constructor(tool, error, site) {
      super(StringOf(error && error.message));
      this.name = 'ToolError';
      this.tool = tool;
      this.code = StringOf(error && error.code);
      if (error && typeof error.hint === 'string') this.hint = error.hint;
      if (error && typeof error.status === 'string') this.status = error.status;
      // Where the agent called the tool; an async stack no longer shows it once the call has settled.
      this.callSite = site;
    }
  }

  function callTool(name, input) {
    if (typeof name !== 'string') throw new TypeErrorCtor('callTool(name, input): name must be a string');
    let json;
    try {
      json = stringify(input === undefined ? {} : input);
    } catch (error) {
      throw new TypeErrorCtor('The input of tool "' + name + '" is not JSON-serializable: ' + (error && error.message));
    }
    if (typeof json !== 'string') throw new TypeErrorCtor('The input of tool "' + name + '" is not JSON-serializable');
    const site = StringOf(new ErrorCtor().stack);
    return apply(then, hostCall(name, json, site), [
      (envelope) => {
        const reply = parse(envelope);
        if (reply.ok) return reply.value;
        throw new ToolError(name, reply.error, site);
      },
    ]);
  }

  // tools.<name> resolves any name when used (the host checks it), so a space of 88,000 actions costs
  // nothing here; names are listed (for Object.keys and globals) only when the host sent the list.
  const listed = create(null);
  const made = create(null);
  const toolFor = (name) => {
    let fn = made[name];
    if (fn === undefined) {
      fn = (input) => callTool(name, input);
      defineProperty(fn, 'name', { value: name });
      made[name] = fn;
    }
    return fn;
  };
  for (let i = 0; i < toolList.length; i++) {
    const entry = toolList[i];
    listed[entry.name] = true;
    if (entry.global !== null && !hasOwn.call(G, entry.global)) {
      defineProperty(G, entry.global, { value: toolFor(entry.name), writable: true, configurable: true, enumerable: false });
    }
  }
  const tools = new Proxy(create(null), {
    get: (_, name) => (typeof name === 'string' && name !== 'then' ? toolFor(name) : undefined),
    has: (_, name) => typeof name === 'string' && (toolList.length === 0 || listed[name] === true),
    ownKeys: () => Object.keys(listed),
    getOwnPropertyDescriptor: (_, name) =>
      typeof name === 'string' && listed[name] === true ? { value: toolFor(name), writable: false, enumerable: true, configurable: true } : undefined,
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  });
  defineProperty(G, 'tools', { value: tools, writable: false, configurable: false, enumerable: false });
  defineProperty(G, 'callTool', { value: callTool, writable: false, configurable: false, enumerable: false });
  defineProperty(G, 'ToolError', { value: ToolError, writable: true, configurable: true, enumerable: false });

  // ---- console -----------------------------------------------------------------------------------------
  function show(value) {
    if (typeof value === 'string') return value;
    if (value === undefined) return 'undefined';
    if (typeof value === 'function') return '[Function ' + (value.name || 'anonymous') + ']';
    if (typeof value === 'bigint') return StringOf(value) + 'n';
    if (typeof value === 'symbol') return StringOf(value);
    if (value instanceof ErrorCtor) return StringOf(value.name) + ': ' + StringOf(value.message);
    try {
      const json = stringify(value);
      if (typeof json === 'string') return json;
    } catch (_) {
      // cyclic or BigInt inside: fall back to String()
    }
    try {
      return StringOf(value);
    } catch (_) {
      return '[unprintable]';
    }
  }
  function printer(prefix) {
    return function (...args) {
      let line = prefix;
      for (let i = 0; i < args.length; i++) line += (i === 0 ? '' : ' ') + show(args[i]);
      hostPrint(line);
    };
  }
  const consoleObject = freeze({
    log: printer(''),
    info: printer(''),
    debug: printer(''),
    warn: printer('warning: '),
    error: printer('error: '),
  });
  defineProperty(G, 'console', { value: consoleObject, writable: true, configurable: true, enumerable: false });

  // ---- recorded clock, in UTC ----------------------------------------------------------------------------
  // Date.now and new Date() read the executor's recorded clock, so a replay sees the same instants. Local
  // time is UTC whatever the machine's time zone, so a replay elsewhere formats dates the same way.
  const now = () => hostSync(0);
  const proto = RealDate.prototype;
  const localToUtc = [
    'FullYear', 'Month', 'Date', 'Day', 'Hours', 'Minutes', 'Seconds', 'Milliseconds',
  ];
  for (let i = 0; i < localToUtc.length; i++) {
    const part = localToUtc[i];
    defineProperty(proto, 'get' + part, { value: proto['getUTC' + part], writable: true, configurable: true });
    if (part !== 'Day') defineProperty(proto, 'set' + part, { value: proto['setUTC' + part], writable: true, configurable: true });
  }
  defineProperty(proto, 'getTimezoneOffset', { value: function () { return 0; }, writable: true, configurable: true });
  const toISOString = proto.toISOString;
  const toUTCString = proto.toUTCString;
  defineProperty(proto, 'toString', { value: function () { return apply(toUTCString, this, []); }, writable: true, configurable: true });
  defineProperty(proto, 'toLocaleString', { value: function () { return apply(toISOString, this, []); }, writable: true, configurable: true });
  defineProperty(proto, 'toDateString', { value: function () { return apply(toISOString, this, []).slice(0, 10); }, writable: true, configurable: true });
  defineProperty(proto, 'toLocaleDateString', { value: function () { return apply(toISOString, this, []).slice(0, 10); }, writable: true, configurable: true });
  defineProperty(proto, 'toTimeString', { value: function () { return apply(toISOString, this, []).slice(11, 23) + ' GMT+0000'; }, writable: true, configurable: true });
  defineProperty(proto, 'toLocaleTimeString', { value: function () { return apply(toISOString, this, []).slice(11, 19); }, writable: true, configurable: true });
  function ArborDate(...args) {
    if (new.target === undefined) return apply(proto.toString, new RealDate(now()), []);
    let date;
    if (args.length === 0) date = new RealDate(now());
    else if (args.length === 1) date = new RealDate(args[0]);
    else date = new RealDate(apply(dateUTC, undefined, args));
    if (new.target !== ArborDate) Object.setPrototypeOf(date, new.target.prototype);
    return date;
  }
  ArborDate.prototype = proto;
  ArborDate.now = now;
  ArborDate.parse = RealDate.parse;
  ArborDate.UTC = dateUTC;
  defineProperty(proto, 'constructor', { value: ArborDate, writable: true, configurable: true });
  defineProperty(G, 'Date', { value: ArborDate, writable: true, configurable: true, enumerable: false });

  // Math.random: sfc32 seeded once per run from the recorded random source, so a replay draws the same
  // numbers while a loop of a million draws records one value, not a million.
  let a = 0, b = 0, c = 0, d = 0, seeded = false;
  function seed() {
    const s = hostSync(1);
    a = (s * 4294967296) >>> 0;
    b = (s * 18446744073709551616) >>> 0;
    c = 0x9e3779b9;
    d = 1;
    for (let i = 0; i < 15; i++) next();
    seeded = true;
  }
  function next() {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  defineProperty(Math, 'random', {
    value: function random() {
      if (!seeded) seed();
      return next();
    },
    writable: true,
    configurable: true,
  });

  // Collected garbage is not a recorded event: drop what would make it observable.
  delete G.WeakRef;
  delete G.FinalizationRegistry;

  // ---- timers in virtual time ----------------------------------------------------------------------------
  // Callbacks fire in order of their delay once nothing else can run; nothing waits for real.
  const timers = [];
  let timerSeq = 0;
  let virtualTime = 0;
  function setTimeout(fn, delay, ...args) {
    if (typeof fn !== 'function') throw new TypeErrorCtor('setTimeout(callback, delay): callback must be a function');
    const at = virtualTime + (delay > 0 ? +delay : 0);
    const id = ++timerSeq;
    let index = timers.length;
    while (index > 0 && timers[index - 1].at > at) index--;
    timers.splice(index, 0, { id, at, fn, args });
    return id;
  }
  function clearTimeout(id) {
    for (let i = 0; i < timers.length; i++) {
      if (timers[i].id === id) {
        timers.splice(i, 1);
        return;
      }
    }
  }
  function fireTimer() {
    const timer = timers.shift();
    if (timer === undefined) return false;
    virtualTime = timer.at;
    apply(timer.fn, undefined, timer.args);
    return true;
  }
  defineProperty(G, 'setTimeout', { value: setTimeout, writable: true, configurable: true, enumerable: false });
  defineProperty(G, 'clearTimeout', { value: clearTimeout, writable: true, configurable: true, enumerable: false });
  if (typeof G.queueMicrotask !== 'function') {
    defineProperty(G, 'queueMicrotask', {
      value: (fn) => { apply(then, PromiseCtor.resolve(), [() => fn()]); },
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }

  // ---- settling the agent's code -------------------------------------------------------------------------
  // Outcome records have no prototype, so a toJSON the code planted on Object.prototype cannot garble them.
  function record() {
    return create(null);
  }
  function describeError(error) {
    const info = record();
    if (error instanceof ErrorCtor || (error !== null && typeof error === 'object' && typeof error.message === 'string')) {
      info.name = StringOf(error.name === undefined ? 'Error' : error.name);
      info.message = StringOf(error.message);
      info.stack = typeof error.stack === 'string' ? error.stack : '';
      if (error instanceof ToolError) {
        info.tool = StringOf(error.tool);
        info.code = StringOf(error.code);
        if (error.status !== undefined) info.status = StringOf(error.status);
        info.callSite = StringOf(error.callSite);
      }
      return info;
    }
    info.name = 'Thrown';
    info.thrownNull = error === null;
    info.message = 'the code threw a non-Error value: ' + show(error);
    info.stack = '';
    return info;
  }
  function encodeValue(value) {
    if (value === undefined) return '{"ok":true}';
    let json;
    try {
      json = stringify(value);
    } catch (error) {
      return encodeError(new TypeErrorCtor('the returned value is not JSON-serializable: ' + (error && error.message)));
    }
    if (typeof json !== 'string') return '{"ok":true}';
    return '{"ok":true,"value":' + json + '}';
  }
  function encodeError(error) {
    return '{"ok":false,"error":' + stringify(describeError(error)) + '}';
  }
  function settle(entry, inputJson) {
    let promise;
    if (inputJson === undefined) {
      promise = entry;
    } else if (typeof entry !== 'function') {
      promise = PromiseCtor.reject(new TypeErrorCtor('The code must evaluate to a function, for example: async function (input) { ... }'));
    } else {
      promise = new PromiseCtor((resolve) => resolve(entry(parse(inputJson))));
    }
    return apply(then, PromiseCtor.resolve(promise), [encodeValue, encodeError]);
  }
  return { settle, fireTimer };
})
`;

/** The file name the agent's code is evaluated under, as it appears in stack traces. */
export const CODE_FILE = 'code.js';
/** Lines added before the agent's first line by the wrapper, subtracted from reported positions. */
export const WRAPPER_LINES = 1;
